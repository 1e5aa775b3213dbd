"""``sha1``: Tornado's automatic ETag, ``'"%s"' % sha1(body).hexdigest()``, for any chunking."""

from __future__ import annotations

import hashlib
from typing import ClassVar

from ..strategy import HashStrategy

__all__ = ["SHA1Strategy"]


class SHA1Strategy(HashStrategy):
    """SHA-1 of the body, hex: byte-identical to Tornado's ``RequestHandler.compute_etag``."""

    name: ClassVar[str] = "sha1"
    _MAPPED_READS: ClassVar[bool] = True  # large files hashed from a leased mapping (files._hash_leased)
    _hasher = staticmethod(hashlib.sha1)  # type: ignore[assignment]
    _C_SHA1_BELOW: ClassVar[int] = 448  # measured crossover: below ~450 B OpenSSL's set-up costs more
