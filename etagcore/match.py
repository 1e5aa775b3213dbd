"""If-None-Match, If-Match and If-Range evaluation (RFC 9110 13.1.1, 13.1.2, 13.1.5).

Each function returns the RFC's condition value: ``if_none_match(...)`` is False exactly when
a GET or HEAD gets 304, ``if_match(...)`` is False exactly when the request gets 412,
``if_range(...)`` is False when the Range must be ignored (send the whole representation).

``header`` is the request field value: str, bytes (read as Latin-1), a list of field lines
(combined as RFC 9110 5.3 says), or None (or no lines) when the field is absent (the condition
then holds).
``current`` is the selected representation's tag (an :class:`ETag` or its header text), or
None when there is no current representation.

Untrusted headers never raise: a malformed If-None-Match counts as true (full response, never a
wrong 304), a malformed If-Match as false (412), a malformed If-Range as false (no Range).
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Literal, Union

from . import _backend, _match_py
from ._match_py import ABSENT, MALFORMED_CURRENT, MATCH, STRONG_LIST, STRONG_ONE, TORNADO, WEAK_LIST
from .errors import InvalidETagError
from .etag import ETag

__all__ = ["if_none_match", "if_match", "if_range", "matcher_backend", "HeaderValue"]

HeaderValue = Union[str, bytes, Sequence[Union[str, bytes]], None]

# Both backends take (header, header_len, current, mode), *current* NUL-terminated (bytes are);
# the C one is called directly, with no Python frame in between: on a one-tag header the call
# overhead is most of the cost.
_ext = _backend.load_extension("_matcher")
if _ext is not None:
    _match = _ext.lib.etagcore_match
    _NULL = _ext.ffi.NULL
    _BACKEND: Literal["c", "python"] = "c"
else:
    _match = _match_py.match
    _NULL = None
    _BACKEND = "python"


def matcher_backend() -> Literal["c", "python"]:
    """``"c"`` when the compiled matcher is in use, else ``"python"``."""
    return _BACKEND


# A character above 0xFF cannot come off the wire; it becomes DEL, which is not etagc,
# so the header is malformed rather than accidentally valid.
def _to_del(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    return "\x7f" * (error.end - error.start), error.end


codecs.register_error("etagcore.del", _to_del)


def _header_bytes(header: str | bytes | Sequence[str | bytes], separator: bytes) -> bytes:
    if isinstance(header, str):
        return header.encode("latin-1", "etagcore.del")
    if isinstance(header, (bytes, bytearray, memoryview)):
        return bytes(header)
    if isinstance(header, Sequence):
        return separator.join(_header_bytes(line, separator) for line in header)  # type: ignore[arg-type]
    raise TypeError(f"header must be str, bytes, a list of field lines or None, not {type(header).__name__}")


def _current_bytes(current: ETag | str | None) -> bytes | None:
    if current is None:
        return None
    if isinstance(current, ETag):
        return current.header_bytes()
    if isinstance(current, str):
        try:
            if "\0" not in current:
                return current.encode("latin-1")
        except UnicodeEncodeError:
            pass
        raise InvalidETagError(f"current tag {current!r} is not an entity-tag")
    raise TypeError(f"current must be an ETag, its header text or None, not {type(current).__name__}")


# str current tags seen, as bytes when one well-formed entity-tag, else None. A server sends the
# same few current tags again and again; a dict read is the cheapest check (cleared when full).
_CHECKED: dict[str, bytes | None] = {}


def _checked_current(current: str) -> bytes | None:
    """*current* as bytes when it is ASCII and one entity-tag as the matcher reads a current tag
    (matched against itself, a well-formed tag matches), else None."""
    try:
        return _CHECKED[current]
    except KeyError:
        pass
    checked = None
    if current.isascii() and "\0" not in current:
        c = current.encode("ascii")
        if _match(c, len(c), c, WEAK_LIST) == MATCH:
            checked = c
    if len(_CHECKED) >= 1024:
        _CHECKED.clear()
    _CHECKED[current] = checked
    return checked


def evaluate(header: str | bytes | Sequence[str | bytes], current: ETag | str | None, mode: int) -> int:
    """Run the matcher. *current* None means the representation has no tag; add ABSENT to *mode*
    when there is no representation at all."""
    # The common cases (a str or bytes header, or one line of it; an ETag or str current) stay
    # on the fewest Python operations: no call, no raised exception.
    if type(header) is list and len(header) == 1:
        header = header[0]
    h: bytes
    if type(header) is str:
        h = header.encode("latin-1", "etagcore.del")
    elif type(header) is bytes:
        h = header
    else:
        h = _header_bytes(header, b", ")
    c: bytes | None
    if type(current) is ETag:
        c = current.header_bytes()
        if h == c and (mode == WEAK_LIST or (not current.weak and (mode == STRONG_LIST or mode == STRONG_ONE))):
            return MATCH  # the header is exactly the current tag (the usual revalidation): no C call
    elif type(current) is str and (c := _checked_current(current)) is not None:
        if h == c and (mode == WEAK_LIST or (c[:1] == b'"' and (mode == STRONG_LIST or mode == STRONG_ONE))):
            return MATCH  # the same, for a current tag known well-formed
    else:
        c = _current_bytes(current)
    result = _match(h, len(h), _NULL if c is None else c, mode)
    if result == MALFORMED_CURRENT:
        raise InvalidETagError(f"current tag {current!r} is not an entity-tag (expected \"opaque\" or W/\"opaque\")")
    return result


def _tornado(header: str | bytes | Sequence[str | bytes], current: ETag | str | None) -> bool:
    # Tornado joins repeated lines with "," and UTF-8-encodes both sides; header bytes are first
    # decoded as Latin-1, as Tornado's HTTP parser does, so equal inputs give equal decisions.
    if not isinstance(header, str):
        header = _header_bytes(header, b",").decode("latin-1")
    h = header.encode("utf-8", "surrogatepass")
    if current is None:
        return _match(h, len(h), _NULL, TORNADO) != MATCH
    if "\0" in str(current):  # Tornado refuses such a header value when it is set
        raise InvalidETagError(f"current tag {current!r} contains NUL")
    return _match(h, len(h), str(current).encode("utf-8", "surrogatepass"), TORNADO) != MATCH


def _no_lines(header: str | bytes | Sequence[str | bytes]) -> bool:
    """A list of no field lines: the field is absent, as for None."""
    return type(header) in (list, tuple) and not header


def if_none_match(header: HeaderValue, current: ETag | str | None, *, mode: Literal["rfc", "tornado"] = "rfc") -> bool:
    """The If-None-Match condition (weak comparison): False means 304 for GET/HEAD, else 412.

    ``mode="tornado"`` reproduces Tornado's ``check_etag_header`` decision exactly (negated).
    """
    # The per-request hot path: evaluate()'s own steps for a str or bytes header and an ETag or
    # well-formed str current, without its frame; a str header identical to a str current is the
    # usual revalidation and needs no encoding. WEAK_LIST (0), MATCH (1): literals save lookups.
    if mode == "rfc":
        if type(current) is str:
            try:
                c = _CHECKED[current]
            except KeyError:
                c = _checked_current(current)
            if c is not None:
                if type(header) is str:
                    return header != current and _match(h := header.encode("latin-1", "etagcore.del"), len(h), c, 0) != 1
                if type(header) is bytes:
                    return header != c and _match(header, len(header), c, 0) != 1
        elif type(current) is ETag:
            if type(header) is str:
                return header != current._text and _match(
                    h := header.encode("latin-1", "etagcore.del"), len(h), c := current.header_bytes(), 0) != 1
            if type(header) is bytes:
                return header != (c := current.header_bytes()) and _match(header, len(header), c, 0) != 1
    if mode != "rfc" and mode != "tornado":
        raise ValueError(f"mode must be 'rfc' or 'tornado', not {mode!r}")
    if header is None or _no_lines(header):
        return True
    if mode == "rfc":
        return evaluate(header, current, WEAK_LIST if current is not None else WEAK_LIST | ABSENT) != MATCH
    return _tornado(header, current)  # type: ignore[arg-type]


def if_match(header: HeaderValue, current: ETag | str | None) -> bool:
    """The If-Match condition (strong comparison): False means 412."""
    if header is None or _no_lines(header):
        return True
    return evaluate(header, current, STRONG_LIST if current is not None else STRONG_LIST | ABSENT) == MATCH


def if_range(header: HeaderValue, current: ETag | str | None) -> bool:
    """The If-Range condition, entity-tag form (strong comparison): False means ignore Range.

    A header that is not one entity-tag (an HTTP-date, say) gives False here; use
    :func:`etagcore.honour_range` for the date form.
    """
    if header is None or _no_lines(header):
        return True
    return evaluate(header, current, STRONG_ONE if current is not None else STRONG_ONE | ABSENT) == MATCH
