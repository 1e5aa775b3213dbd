"""Content tags for files: bounded reads (no whole-file copy, no mmap) and a stat-keyed digest cache.

mmap is avoided on purpose: a file truncated while mapped raises SIGBUS, which would kill the
server. Reads into one reused 1 MiB buffer cost a memory copy, which is small next to hashing.

The cache key is (strategy config, device, inode, size, mtime_ns, ctime_ns). A tag is cached
only if the file's stat is the same after hashing as before, and only if the file's ctime is
more than :data:`RACY_WINDOW_NS` in the past when hashing starts: timestamps have a coarse
granularity, so a write landing in the same tick as a recent one would not change the key
("racy git" has the same problem and the same cure).
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from ._types import StrPath
from .etag import ETag

if TYPE_CHECKING:
    from .strategy import BaseStrategy

__all__ = ["tag_file_content", "DigestCache", "digest_cache"]

READ_SIZE = 1 << 20
RACY_WINDOW_NS = 1_000_000_000
ATTEMPTS = 3  # re-hash a file that changed while it was read, then give up caching


class DigestCache:
    """A thread-safe LRU map from file identity keys to tags."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], ETag] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> ETag | None:
        with self._lock:
            tag = self._entries.get(key)
            if tag is not None:
                self._entries.move_to_end(key)
            return tag

    def put(self, key: tuple[Any, ...], tag: ETag) -> None:
        with self._lock:
            self._entries[key] = tag
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


digest_cache = DigestCache()


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _hash_open_file(strategy: BaseStrategy, fd: int) -> ETag:
    tagger = strategy.new()
    buf = bytearray(READ_SIZE)
    view = memoryview(buf)
    while n := os.readv(fd, [buf]):
        tagger.update(view[:n] if n < READ_SIZE else view)
    return tagger.etag()


def tag_file_content(strategy: BaseStrategy, path: StrPath) -> ETag:
    """Tag the regular file at *path* by hashing its content with *strategy*, using the cache."""
    config = (type(strategy), tuple(strategy._config().items()))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"not a regular file: {os.fsdecode(path)!r}")
        for _ in range(ATTEMPTS):
            key = (config, *_identity(st))
            cached = digest_cache.get(key)
            if cached is not None:
                return cached
            started = time.time_ns()
            os.lseek(fd, 0, os.SEEK_SET)
            tag = _hash_open_file(strategy, fd)
            after = os.fstat(fd)
            if _identity(after) == _identity(st):
                if st.st_ctime_ns < started - RACY_WINDOW_NS:
                    digest_cache.put(key, tag)
                return tag
            st = after  # changed while we read it: hash again
        return tag  # still changing: this tag describes no stable version, so it is not cached
    finally:
        os.close(fd)
