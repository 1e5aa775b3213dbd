"""Content tags for files: bounded reads or a leased mapping (no whole-file copy) and a
stat-keyed digest cache.

Small files are read (``pread``, so a descriptor's offset is never moved) into a reused 1 MiB
buffer. From :data:`OVERLAP_MIN` bytes on, the built-in hashes read the file from a read-only
mapping, without a copy, but only under a read lease and only where the pages are in memory
(:func:`_hash_leased`): a file truncated under a mapping would kill the process with SIGBUS,
and the lease makes any truncation or open for writing wait until it is let go, which happens
as soon as one is attempted. Where no lease can be had (or for the rest of a file after a break
or a page not in memory), a reader thread copies the next 4 MiB while the current ones are hashed, so the
copy is paid beside the hash, not on top of it (XXH3 hashes faster than the copy: there it is
the bound).

The stability rule (Apache's one-second rule, "racy git"'s cure): timestamps have a coarse
granularity, so a write landing in the same tick as an earlier one does not change the stat.
A file whose ctime (which no user can set) is less than :data:`STABLE_AFTER_NS` before now may
still be changing unseen: its tag is never cached, and servers give it no validator. A file that
is stable when hashing starts and has the same stat afterwards was not written meanwhile (any
write would move its ctime past the old one), so its tag describes its bytes.

"Now" is :func:`clock_ns`, the clock the kernel stamps file times with: on Linux the coarse
realtime clock, which lags ``time.time_ns()`` by up to a tick, so that a write in the tick
before a check never looks older than the check (a filesystem with one-second timestamps would
otherwise give it the ctime of the write before).

The cache key is (strategy class, name and options, device, inode, size, mtime_ns, ctime_ns).
Writes through a shared mmap move no timestamp once a page is dirty: such files are outside
what a stat-keyed cache can see (as for git and make).
"""

from __future__ import annotations

import fcntl
import functools
import itertools
import io
import mmap
import os
import signal
import stat
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional, TypeVar

from . import _backend
from ._types import StrPath
from .errors import FileChangingError
from .etag import ETag

if TYPE_CHECKING:
    from .strategy import BaseStrategy, Strategy

__all__ = ["tag_file_content", "tag_open_file", "hash_fd", "is_stable", "identity", "cache_key",
           "DigestCache", "digest_cache", "STABLE_AFTER_NS", "SETTLE_TIMEOUT_NS"]

_T = TypeVar("_T")
READ_SIZE = 1 << 20
STABLE_AFTER_NS = 1_000_000_000
SETTLE_TIMEOUT_NS = 3 * STABLE_AFTER_NS  # how long tag_file waits for a changing file to settle


class DigestCache:
    """A thread-safe LRU map from file identity keys to tags."""

    def __init__(self, max_entries: int = 4096) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be >= 0, not {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], ETag] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> ETag | None:
        # No lock on the hit path (a file tag is read far more than written): each OrderedDict
        # call is atomic under the GIL, and an entry evicted in between is simply not refreshed.
        tag = self._entries.get(key)
        if tag is not None:
            try:
                self._entries.move_to_end(key)
            except KeyError:
                pass
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
_etag: Any = _backend.load_extension("_etag")


def identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What changes when a file's bytes may have changed (given :func:`is_stable`); cache_key()
    spells the same fields out."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


# Linux's CLOCK_REALTIME_COARSE (<linux/time.h>: 5), which the time module does not name
_COARSE_CLOCK = 5 if sys.platform.startswith("linux") else None


def clock_ns() -> int:
    """Now, by the clock file timestamps are taken from (see the module docstring)."""
    return time.time_ns() if _COARSE_CLOCK is None else time.clock_gettime_ns(_COARSE_CLOCK)


def is_stable(st: os.stat_result, now_ns: Optional[int] = None) -> bool:
    """Whether the file's last change is more than :data:`STABLE_AFTER_NS` before *now_ns*
    (default: :func:`clock_ns`)."""
    return (clock_ns() if now_ns is None else now_ns) - st.st_ctime_ns > STABLE_AFTER_NS


def cache_key(strategy: Strategy | BaseStrategy, st: os.stat_result) -> tuple[Any, ...] | None:
    """The digest-cache key of the file with stat *st* tagged by *strategy*: the strategy's class
    and options, and the file's identity. None for a strategy that gives no options
    (:meth:`~etagcore.BaseStrategy.options`): nothing says which of its instances tag alike, so
    its tags are not cached."""
    number = _cache_number(strategy)
    return None if number is None else (number, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _cache_number(strategy: Strategy | BaseStrategy) -> int | None:
    try:
        return _strategy_identity(strategy)  # type: ignore[arg-type]
    except TypeError:  # an unhashable plug-in
        return _strategy_identity.__wrapped__(strategy)


_numbers: dict[tuple[Any, ...], int] = {}  # (class, options) -> a small int: keys hash in a few ns
_next_number = itertools.count()


@functools.lru_cache(maxsize=64)  # holds the strategies it has seen, so their ids stay theirs
def _strategy_identity(strategy: Strategy | BaseStrategy) -> int | None:
    options = getattr(strategy, "options", None)
    given = options() if callable(options) else None
    if given is None:
        return None
    # the class, the name (one class may serve several algorithms) and each option with its type
    # (1 and True are equal in Python, not as options)
    described = (type(strategy), getattr(strategy, "name", None), tuple((k, type(v), v) for k, v in given.items()))
    try:
        return _numbers.setdefault(described, next(_next_number))
    except TypeError:  # options that cannot key anything: not cached
        return None


def hash_fd(strategy: Strategy | BaseStrategy, fd: int, size: Optional[int] = None) -> ETag:
    """The content tag of the open file *fd*, read with ``pread`` from offset 0 up to *size* bytes
    (default: to the end). A caller that checks the stat afterwards passes the size it saw, so a
    file growing meanwhile is not read on and on. From :data:`OVERLAP_MIN` bytes on, a built-in
    hash reads from a leased mapping (:func:`_hash_leased`) as far as the lease holds; the rest is
    read with the next chunk read while the current one is hashed (both release the GIL): at the
    speed of the slower of the two, not of their sum (unless the strategy hashes faster than a
    read copies, as XXH3 does: then the hand-over costs more than it saves)."""
    sized = getattr(strategy, "_new_for_size", None)
    tagger = sized(size) if sized is not None and size is not None else strategy.new()
    offset = 0
    if size is not None and size >= OVERLAP_MIN:
        if getattr(strategy, "_MAPPED_READS", False):
            offset = _hash_leased(tagger, fd, size)
        if offset < size and getattr(strategy, "_OVERLAPPED_READS", True):
            _hash_overlapped(tagger, fd, size, offset)
            return tagger.etag()
    buf = bytearray(READ_SIZE)
    view = memoryview(buf)
    while size is None or offset < size:
        n = os.preadv(fd, [buf if size is None or size - offset >= READ_SIZE else view[: size - offset]], offset)
        if not n:
            break
        tagger.update(view[:n] if n < READ_SIZE else view)
        offset += n
    return tagger.etag()


OVERLAP_MIN = 8 << 20
OVERLAP_CHUNK = 4 << 20
_readers: Optional[ThreadPoolExecutor] = None
_readers_lock = threading.Lock()


def _reader() -> ThreadPoolExecutor:
    global _readers
    with _readers_lock:
        if _readers is None:
            _readers = ThreadPoolExecutor(4, thread_name_prefix="etagcore-read")
        return _readers


def _forget_readers() -> None:
    """In a forked child: the parent's pool is there without its threads; start afresh."""
    global _readers, _readers_lock
    _readers, _readers_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_readers)


def _read_ahead(reader: ThreadPoolExecutor, read: Callable[[int, int], _T], i: int, offset: int) -> Future[_T]:
    try:
        return reader.submit(read, i, offset)
    except RuntimeError:  # the interpreter is shutting down: no new threads, read here
        done: Future[_T] = Future()
        try:
            done.set_result(read(i, offset))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            done.set_exception(exc)
        return done


def _hash_overlapped(tagger: Any, fd: int, size: int, offset: int = 0) -> None:
    """Feed *tagger* the bytes of *fd* from *offset* up to *size*, reading one chunk ahead in a
    reader thread into the other of two buffers (the one not being hashed)."""
    views = [memoryview(bytearray(OVERLAP_CHUNK)), memoryview(bytearray(OVERLAP_CHUNK))]
    reader = _reader()

    def read(i: int, offset: int) -> int:
        return os.preadv(fd, [views[i][: min(OVERLAP_CHUNK, size - offset)]], offset)

    i = 0
    pending: Optional[Future[int]] = _read_ahead(reader, read, 0, offset)
    while pending is not None:
        n = pending.result()
        if not n:
            break
        offset += n
        pending = _read_ahead(reader, read, 1 - i, offset) if offset < size else None
        try:
            tagger.update(views[i][:n])
        except BaseException:
            if pending is not None:
                pending.result()  # its buffer must not be read into once this returns
            raise
        i = 1 - i


# Linux fcntl commands the fcntl module does not name (<linux/fcntl.h>)
_F_SETLEASE, _F_GETLEASE, _F_SETSIG = 1024, 1025, 10
MAPPED_SLICE = 64 << 20  # hashed between two checks that the lease holds and the pages are in memory
_LEASE_BREAK_MIN = 5  # seconds fs.lease-break-time must give: ~100x the time to hash a slice in memory


@functools.lru_cache(maxsize=1)
def _leases_usable() -> bool:
    """Linux with file leases on, a lease break time (the longest a truncation waits for the
    holder) of at least :data:`_LEASE_BREAK_MIN` seconds, and the C build (mincore)."""
    if not sys.platform.startswith("linux") or _etag is None:
        return False
    try:
        with open("/proc/sys/fs/leases-enable") as enabled, open("/proc/sys/fs/lease-break-time") as wait:
            return enabled.read().strip() == "1" and int(wait.read()) >= _LEASE_BREAK_MIN
    except (OSError, ValueError):
        return False


def _hash_leased(tagger: Any, fd: int, size: int) -> int:
    """Feed *tagger* bytes of *fd* from a read-only mapping held under a read lease; how many
    (0 when no lease could be had: the caller reads them all).

    A mapping is read without a copy, but a file truncated under it would kill the process with
    SIGBUS. A read lease (fcntl F_SETLEASE) is granted only while nobody has the file open for
    writing, and while it is held, an open for writing or a truncate(2) of the file waits until
    the holder lets go (an open with O_NONBLOCK, as coreutils' truncate does, fails with EAGAIN
    instead), or until fs.lease-break-time passes. So each slice is hashed only while the lease
    holds (F_GETLEASE shows a break in progress) and only when all its pages are in memory
    (mincore): hashing it takes milliseconds, not the seconds a page read from slow storage
    could, so the lease cannot run out under it. At a break or a page not in memory, the mapping
    and the lease are let go and the caller reads the rest, which its stat check then judges.
    The lease is taken on a description of our own (/proc/self/fd), so the caller's keeps its
    owner and signal; no signal is sent for a break (the owner is cleared; before that the
    break signal is SIGURG, which is ignored unless a program handles it). Not taken: without
    leases, on files of another user (unless CAP_LEASE), on filesystems without them (NFS),
    while any writer has the file open, on anything but a regular file."""
    if not _leases_usable():
        return 0
    try:
        own = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return 0
    offset = 0
    try:
        st = os.fstat(own)
        if not stat.S_ISREG(st.st_mode) or st.st_size < size:
            return 0
        fcntl.fcntl(own, _F_SETSIG, signal.SIGURG)
        fcntl.fcntl(own, _F_SETLEASE, fcntl.F_RDLCK)
    except OSError:
        os.close(own)
        return 0
    try:
        fcntl.fcntl(own, fcntl.F_SETOWN, 0)
        if os.fstat(own).st_size < size:  # truncated before the lease
            return 0
        with mmap.mmap(own, size, access=mmap.ACCESS_READ) as mapped:
            def in_memory(_: int, start: int) -> bool:  # asked one slice ahead, in a reader thread
                return bool(_etag.resident(mapped, start, min(MAPPED_SLICE, size - start)))

            reader = _reader()
            ahead: Optional[Future[bool]] = _read_ahead(reader, in_memory, 0, 0)
            try:
                while ahead is not None:
                    end = min(offset + MAPPED_SLICE, size)
                    resident = ahead.result()
                    ahead = _read_ahead(reader, in_memory, 0, end) if end < size else None
                    if not resident or fcntl.fcntl(own, _F_GETLEASE) != fcntl.F_RDLCK:
                        break
                    with memoryview(mapped)[offset:end] as chunk:  # released even if the tagger keeps it
                        tagger.update(chunk)
                    offset = end
            finally:
                if ahead is not None:
                    ahead.result()  # it holds the mapping: done before the mapping is closed
    finally:
        try:
            fcntl.fcntl(own, _F_SETLEASE, fcntl.F_UNLCK)
        except OSError:
            pass  # EAGAIN: the kernel took it back already (the break time ran out)
        finally:
            os.close(own)
    return offset


# File objects whose read() returns their descriptor's bytes from where they stand (not a
# GzipFile, whose fileno() is the compressed file's, nor subclasses that may read otherwise).
PLAIN_FILE_TYPES = (io.BufferedReader, io.FileIO)


def plain_file_fd(file: Any) -> Optional[int]:
    """The descriptor of *file* when what it reads is its descriptor's file from the start, else None."""
    if type(file) not in PLAIN_FILE_TYPES:
        return None
    try:
        return file.fileno() if file.tell() == 0 else None
    except (OSError, ValueError):  # closed, detached
        return None


def tag_open_file(strategy: Strategy | BaseStrategy, fd: int, st: os.stat_result) -> ETag | None:
    """The tag of the open regular file *fd* whose ``fstat`` is *st*, or None when the file is not
    stable (changed recently, or while it was read): a metadata strategy's tag of *st*, else the
    content tag, cached. What a framework adapter tags a file response with, before sending that
    same open file."""
    tag_stat = getattr(strategy, "tag_stat", None)
    if tag_stat is not None:
        return tag_stat(st) if is_stable(st) else None
    # Size 0: empty, or a pseudo-file (/proc) whose stat says nothing of its bytes: read to the
    # end, never cached.
    key = cache_key(strategy, st) if st.st_size else None
    cached = None if key is None else digest_cache.get(key)
    if cached is not None:
        return cached
    if not is_stable(st):
        return None
    tag = hash_fd(strategy, fd, st.st_size or None)
    if identity(os.fstat(fd)) != identity(st):
        return None
    if key is not None:
        digest_cache.put(key, tag)
    return tag


def tag_file_content(strategy: Strategy | BaseStrategy, path: StrPath) -> ETag:
    """Tag the regular file at *path* by hashing its content with *strategy*, using the cache.

    A file changed less than :data:`STABLE_AFTER_NS` ago is tagged once it has settled (this waits
    for the rest of that second); one that keeps changing for :data:`SETTLE_TIMEOUT_NS` raises
    :class:`~etagcore.FileChangingError`, since no tag would describe its bytes.
    """
    # a cached tag of this very version (inode, size, times): one stat
    if _etag is not None:  # the key from stat(2) in one C call (src_c/stat_tag.c), None if not regular
        number = _cache_number(strategy)
        key = None if number is None else _etag.stat_key(path, number)
    else:
        st = os.stat(path)
        key = cache_key(strategy, st) if stat.S_ISREG(st.st_mode) else None
    if key is not None and (cached := digest_cache.get(key)) is not None:
        return cached
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory", os.fsdecode(path))
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"not a regular file: {os.fsdecode(path)!r}")
        deadline = clock_ns() + SETTLE_TIMEOUT_NS
        while (tag := tag_open_file(strategy, fd, st)) is None:
            now = clock_ns()
            if now >= deadline:
                raise FileChangingError(f"{os.fsdecode(path)!r} kept changing while it was read")
            settled_at = os.fstat(fd).st_ctime_ns + STABLE_AFTER_NS
            time.sleep(max(0, min(settled_at, deadline) - now) / 1e9 + 0.001)
            st = os.fstat(fd)
        return tag
    finally:
        os.close(fd)
