"""``xxh3-64``, ``xxh3-128`` and ``xxh64`` from the ``xxhash`` package (non-cryptographic, fastest)."""

from __future__ import annotations

from typing import ClassVar

import xxhash

from ..strategy import HashStrategy

__all__ = ["XXH3_64Strategy", "XXH3_128Strategy", "XXH64Strategy"]


class XXH3_64Strategy(HashStrategy):
    """XXH3, 64-bit digest (16 hex digits)."""

    name: ClassVar[str] = "xxh3-64"
    _MAPPED_READS: ClassVar[bool] = True  # large files hashed from a leased mapping (files._hash_leased)
    _hasher = staticmethod(xxhash.xxh3_64)  # type: ignore[assignment]
    _HEX_FUNCTION = staticmethod(xxhash.xxh3_64_hexdigest)
    _OVERLAPPED_READS: ClassVar[bool] = False  # it hashes faster than a read copies (see files.hash_fd)


class XXH3_128Strategy(HashStrategy):
    """XXH3, 128-bit digest (32 hex digits); the collision-resistant choice among the xxhashes."""

    name: ClassVar[str] = "xxh3-128"
    _MAPPED_READS: ClassVar[bool] = True  # large files hashed from a leased mapping (files._hash_leased)
    _hasher = staticmethod(xxhash.xxh3_128)  # type: ignore[assignment]
    _HEX_FUNCTION = staticmethod(xxhash.xxh3_128_hexdigest)
    _OVERLAPPED_READS: ClassVar[bool] = False


class XXH64Strategy(HashStrategy):
    """XXH64, 64-bit digest (16 hex digits); the classic xxHash, slower than XXH3 on short inputs."""

    name: ClassVar[str] = "xxh64"
    _MAPPED_READS: ClassVar[bool] = True  # large files hashed from a leased mapping (files._hash_leased)
    _hasher = staticmethod(xxhash.xxh64)  # type: ignore[assignment]
    _HEX_FUNCTION = staticmethod(xxhash.xxh64_hexdigest)
