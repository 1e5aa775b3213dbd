"""Content tags of open files, computed once per file version and off the event loop.

Small files are hashed in the caller's thread (microseconds). Larger ones are hashed in a small
pool of worker threads; requests for the same file version that arrive while it is being hashed
share that one computation (single flight). The worker reads its own duplicate of the
descriptor, so a request that ends early (a client that disconnects) cannot close it under the
worker, nor let the number be reused for another file.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Union

from ..etag import ETag
from ..files import cache_key, digest_cache, is_stable, tag_open_file
from ..strategy import Strategy

__all__ = ["TagJobs", "INLINE_MAX"]

INLINE_MAX = 256 << 10  # hashing this much takes well under a millisecond with every strategy
TagOrFuture = Union[ETag, None, "Future[ETag | None]"]


class TagJobs:
    """Single-flight content tagging over a lazily started thread pool."""

    def __init__(self, workers: int = 2) -> None:
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: dict[tuple[Any, ...], Future[ETag | None]] = {}
        self._lock = threading.Lock()

    def tag(self, strategy: Strategy, fd: int, st: os.stat_result) -> TagOrFuture:
        """The tag (None: the file is not stable), or a future of it when it must be hashed."""
        if st.st_size <= INLINE_MAX or not is_stable(st):
            return tag_open_file(strategy, fd, st)  # small, or answered without reading
        key = cache_key(strategy, st)
        if key is None:  # a strategy whose tags are not cached: hashed apart, never shared
            key = (object(),)
        cached = digest_cache.get(key)
        if cached is not None:
            return cached
        with self._lock:
            running = self._inflight.get(key)
            if running is not None:
                return running
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="etagcore-hash")
            own_fd = os.dup(fd)
            try:
                future = self._pool.submit(self._run, strategy, own_fd, st, key)
            except BaseException:
                os.close(own_fd)
                raise
            self._inflight[key] = future
        future.add_done_callback(lambda done: self._forget_cancelled(done, key, own_fd))
        return future

    def _forget_cancelled(self, future: Future[ETag | None], key: tuple[Any, ...], fd: int) -> None:
        if future.cancelled():  # it never ran (e.g. at shutdown): its descriptor and entry are ours
            os.close(fd)
            with self._lock:
                if self._inflight.get(key) is future:
                    del self._inflight[key]

    def _run(self, strategy: Strategy, fd: int, st: os.stat_result, key: tuple[Any, ...]) -> ETag | None:
        try:
            return tag_open_file(strategy, fd, st)
        finally:
            os.close(fd)
            with self._lock:
                self._inflight.pop(key, None)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
