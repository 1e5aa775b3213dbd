"""``blake3``: BLAKE3 from the ``blake3`` package, truncated to ``bits`` (64..256, default 128)."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import blake3

from .. import _options
from .._types import Buffer
from ..strategy import HashStrategy, HashTagger

__all__ = ["Blake3Strategy"]

# Measured on 2 vCPUs: blake3's multi-threaded update loses to one thread below about 1 MiB.
THREADED_MIN_BYTES = 1 << 20


# BLAKE3's worker threads do not survive a fork: a child of a process that started them would
# wait for them forever. Such a child hashes on its own thread.
_pool_started = False
_pool_usable = True


def _usable(threads: int) -> int:
    global _pool_started
    if threads == 1 or not _pool_usable:
        return 1
    _pool_started = True
    return threads


def _after_fork_in_child() -> None:
    global _pool_usable
    _pool_usable = _pool_usable and not _pool_started


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Blake3Strategy(HashStrategy):
    """BLAKE3 of the body; ``bits`` sets the digest length (a prefix of the 256-bit output)."""

    name: ClassVar[str] = "blake3"
    _MAPPED_READS: ClassVar[bool] = True  # large files hashed from a leased mapping (files._hash_leased)
    _DIRECT_MIN: ClassVar[int] = 64 << 10  # blake3 hashes 1 KiB blocks in parallel only in long updates
    OPTIONS: ClassVar[dict[str, str]] = {
        "bits": "digest length, 64 to 256 in steps of 8 (default 128)",
        "threads": "auto (default: all cores for contiguous bodies of 1 MiB or more) or 1 to 256",
        **HashStrategy.OPTIONS,
    }

    def __init__(
        self, *, bits: int | str = 128, threads: int | str = "auto", encoding: str = "hex", weak: bool | str = False
    ) -> None:
        super().__init__(encoding=encoding, weak=weak)
        self.bits = _options.parse_int(self.name, "bits", bits, 64, 256, 8)
        if isinstance(threads, str) and threads.strip().lower() == "auto":
            self.threads: int | str = "auto"
        else:
            self.threads = _options.parse_int(self.name, "threads", threads, 1, 256)
        self._length = self.bits // 8
        self._max_threads = self.threads if isinstance(self.threads, int) else 1

    def _hasher(self, data: Buffer = b"", /) -> Any:
        threads = self._max_threads
        if self.threads == "auto" and memoryview(data).nbytes >= THREADED_MIN_BYTES:
            threads = blake3.blake3.AUTO
        return blake3.blake3(data, max_threads=_usable(threads))

    def _new_for_size(self, size: int) -> HashTagger:
        """With threads=auto a file of 1 MiB or more is hashed on all cores, chunk by chunk."""
        if self.threads == "auto" and size >= THREADED_MIN_BYTES:
            return HashTagger(blake3.blake3(max_threads=_usable(blake3.blake3.AUTO)), self._finish, self._DIRECT_MIN)
        return self.new()

    def _digest(self, hasher: Any) -> bytes:
        return hasher.digest(self._length)

    def _hexdigest(self, hasher: Any) -> str:
        return hasher.hexdigest(self._length)

    def options(self) -> dict[str, Any]:
        return {"bits": self.bits, "threads": self.threads, **super().options()}
