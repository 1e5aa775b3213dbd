"""The entity-tag value (RFC 9110 section 8.8.3).

    entity-tag = [ weak ] opaque-tag
    weak       = %s"W/"
    opaque-tag = DQUOTE *etagc DQUOTE
    etagc      = %x21 / %x23-7E / obs-text
    obs-text   = %x80-FF

``opaque`` is held as a ``str`` of code points 0x00-0xFF (header bytes read as Latin-1),
without the quotes.
"""

from __future__ import annotations

import re
from typing import Final

from . import _backend
from .errors import InvalidETagError

__all__ = ["ETag"]

_ETAGC: Final = "\x21\x23-\x7e\x80-\xff"
_OPAQUE_RE: Final = re.compile(f"[{_ETAGC}]*")
_ENTITY_TAG_RE: Final = re.compile(f'[ \\t]*(W/)?"([{_ETAGC}]*)"[ \\t]*')


class _ETagBase:
    """Pure-Python storage of ETag; the C build's ``etagcore._etag.ETagBase`` has the same slots."""

    __slots__ = ("opaque", "weak", "_text", "_latin1")

    opaque: str
    weak: bool
    _text: str
    _latin1: bytes

    @classmethod
    def _trusted(cls, opaque: str, weak: bool) -> ETag:
        """Build a tag from an opaque value already known to be valid (strategies' hot path)."""
        tag = object.__new__(cls)
        _init(tag, opaque, weak)
        return tag  # type: ignore[return-value]

    def __str__(self) -> str:
        return self._text

    def header_bytes(self) -> bytes:
        """The header value as bytes (Latin-1), computed once."""
        try:
            return self._latin1
        except AttributeError:
            object.__setattr__(self, "_latin1", self._text.encode("latin-1"))
            return self._latin1


_etag = _backend.load_extension("_etag")
_Base: type[_ETagBase] = _ETagBase if _etag is None else _etag.ETagBase


class ETag(_Base):  # type: ignore[valid-type,misc]
    """An HTTP entity-tag: an opaque string and a weak flag.

    ``str(tag)`` is the header value (``"…"`` or ``W/"…"``). Instances are immutable and
    hashable; two tags are equal when both the opaque value and the weak flag are equal.
    Use :meth:`strong_equals` / :meth:`weak_equals` for the RFC 9110 comparisons.
    """

    __slots__ = ()

    def __init__(self, opaque: str, weak: bool = False) -> None:
        if hasattr(self, "_text"):  # __init__ called again on a made tag
            raise AttributeError("ETag is immutable")
        if not isinstance(opaque, str):
            raise TypeError(f"ETag opaque must be str, not {type(opaque).__name__}")
        if _OPAQUE_RE.fullmatch(opaque) is None:
            bad = next(c for c in opaque if _OPAQUE_RE.fullmatch(c) is None)
            raise InvalidETagError(
                f"invalid character {bad!r} in entity-tag opaque {opaque!r}: RFC 9110 allows "
                "0x21, 0x23-0x7E and 0x80-0xFF (no spaces, quotes or control characters)"
            )
        _init(self, opaque, bool(weak))

    @classmethod
    def parse(cls, text: str | bytes) -> ETag:
        """Parse one entity-tag, e.g. ``'W/"abc"'``; surrounding spaces and tabs are allowed.

        Raises :class:`~etagcore.InvalidETagError` if *text* is not exactly one entity-tag.
        """
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("latin-1")
        elif not isinstance(text, str):
            raise TypeError(f"ETag.parse() takes str or bytes, not {type(text).__name__}")
        m = _ENTITY_TAG_RE.fullmatch(text)
        if m is None:
            raise InvalidETagError(f"not an entity-tag: {text!r} (expected \"opaque\" or W/\"opaque\")")
        return cls._trusted(m.group(2), m.group(1) is not None)

    def strong_equals(self, other: ETag) -> bool:
        """RFC 9110 strong comparison: both strong and the same opaque value."""
        return not self.weak and not other.weak and self.opaque == other.opaque

    def weak_equals(self, other: ETag) -> bool:
        """RFC 9110 weak comparison: the same opaque value, weakness ignored."""
        return self.opaque == other.opaque

    def __repr__(self) -> str:
        return f"ETag({self.opaque!r}, weak={self.weak})" if self.weak else f"ETag({self.opaque!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ETag):
            return NotImplemented
        return self._text == other._text

    def __hash__(self) -> int:
        return hash(self._text)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ETag is immutable")

    def __reduce__(self) -> tuple[type[ETag], tuple[str, bool]]:
        return (ETag, (self.opaque, self.weak))


_set = object.__setattr__


def _init(tag: _ETagBase, opaque: str, weak: bool) -> None:
    _set(tag, "opaque", opaque)
    _set(tag, "weak", weak)
    _set(tag, "_text", f'W/"{opaque}"' if weak else f'"{opaque}"')
