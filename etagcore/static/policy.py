"""What a static file's headers say besides its validators: content type and caching."""

from __future__ import annotations

import functools
import mimetypes
import re

__all__ = ["content_type", "default_cache_control", "IMMUTABLE", "REVALIDATE", "CHANGING"]

IMMUTABLE = "public, max-age=31536000, immutable"  # a fingerprinted name never changes content
REVALIDATE = "no-cache"  # store, but ask (a 304 is cheap) before each reuse
CHANGING = "no-store"  # a file being written has no validator: caching it could keep stale bytes
# name.<8+ hex digits>.ext, as Django's ManifestStaticFilesStorage, webpack and Vite name them
_FINGERPRINTED = re.compile(r"[^/]+\.[0-9a-f]{8,64}\.[A-Za-z0-9]+$", re.ASCII)
_COMPRESSED_TYPES = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz",
                     "br": "application/x-brotli", "compress": "application/x-compress"}


@functools.lru_cache(maxsize=4096)
def default_cache_control(relpath: str) -> str:
    """``immutable`` for a year for fingerprinted names (``app.3f9a1c2b.js``), else ``no-cache``."""
    return IMMUTABLE if _FINGERPRINTED.search(relpath) else REVALIDATE


@functools.lru_cache(maxsize=1024)
def content_type(name: str) -> str:
    """The Content-Type for a file *name*, from its extension; text types in UTF-8."""
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None:  # a .gz or .br file served as itself
        return _COMPRESSED_TYPES.get(encoding, "application/octet-stream")
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/javascript", "application/json"):
        return guessed + "; charset=utf-8"
    return guessed
