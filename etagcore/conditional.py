"""RFC 9110 13.2.2: the order in which a server evaluates preconditions.

    1. If-Match present:              false -> 412
    2. else If-Unmodified-Since:      false -> 412
    3. If-None-Match present:         false -> 304 for GET/HEAD, else 412
    4. else If-Modified-Since (GET/HEAD only): false -> 304
    5. GET with Range and If-Range:   false -> ignore Range, send 200   (see honour_range)

13.2.1: CONNECT, OPTIONS and TRACE ignore preconditions. Date fields that are not a single valid
HTTP-date are ignored (13.1.3, 13.1.4), as they are when the representation has no date.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, Union

from ._match_py import ABSENT, MATCH, STRONG_LIST, STRONG_ONE, WEAK_LIST
from .etag import ETag
from .httpdate import parse_http_date, to_timestamp
from .match import evaluate

__all__ = ["evaluate_preconditions", "honour_range", "request_fields", "Headers", "LastModified"]

Headers = Union[Mapping[Any, Any], Iterable[tuple[Any, Any]]]
LastModified = Union[datetime, float, str, None]
IGNORING_METHODS = frozenset({"CONNECT", "OPTIONS", "TRACE"})
_MULTI_GETTERS = ("get_list", "getlist", "get_all")  # Tornado; Werkzeug, Starlette; email, wsgiref


def _name(key: object) -> str:
    return key.decode("latin-1").lower() if isinstance(key, (bytes, bytearray)) else str(key).lower()


def field_lines(headers: Headers, name: str) -> list[Any] | None:
    """Every line of field *name* (case-insensitive), or None when absent."""
    if type(headers) is dict:  # the common, cheap case (request_fields() gives exact names)
        value = headers.get(name)
        if value is None:
            wanted = name.lower()
            value = next((v for k, v in headers.items() if _name(k) == wanted), None)
            if value is None:
                return None
        return value if type(value) is list else list(value) if isinstance(value, tuple) else [value]
    for attr in _MULTI_GETTERS:
        getter = getattr(headers, attr, None)
        if callable(getter):
            return list(getter(name)) or None
    wanted = name.lower()
    if isinstance(headers, Mapping):
        value = headers.get(name)
        if value is None:
            value = next((v for k, v in headers.items() if _name(k) == wanted), None)
        if value is None:
            return None
        return list(value) if isinstance(value, (list, tuple)) else [value]
    lines = [v for k, v in headers if _name(k) == wanted]  # (name, value) pairs, e.g. ASGI
    return lines or None


@functools.lru_cache(maxsize=16)
def _lowered(names: tuple[str, ...]) -> dict[str, str]:
    return {name.lower(): name for name in names}


def request_fields(headers: Headers, names: Iterable[str]) -> dict[str, list[Any]]:
    """The lines of each field in *names* that *headers* has, keyed by the name as given: one pass
    over a plain mapping or (name, value) pairs, one lookup per name on a multi-valued headers
    object. The result is itself a valid *headers* argument, and a cheap one."""
    wanted = _lowered(tuple(names))
    found: dict[str, list[Any]] = {}
    if type(headers) is dict and not headers:
        return found
    for attr in _MULTI_GETTERS if type(headers) is not dict else ():
        getter = getattr(headers, attr, None)
        if callable(getter):
            for name in wanted.values():
                lines = list(getter(name))
                if lines:
                    found[name] = lines
            return found
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        canonical = wanted.get(_name(key))
        if canonical is not None:
            if isinstance(value, (list, tuple)):
                found.setdefault(canonical, []).extend(value)
            else:
                found.setdefault(canonical, []).append(value)
    return found


def _single_date(lines: list[Any]) -> int | None:
    return parse_http_date(lines[0]) if len(lines) == 1 else None


def _tag_mode(mode: int, exists: bool) -> int:
    return mode if exists else mode | ABSENT


def evaluate_preconditions(
    method: str,
    headers: Headers,
    *,
    etag: ETag | str | None = None,
    last_modified: LastModified = None,
    exists: bool = True,
) -> Literal[304, 412] | None:
    """304, 412, or None to go ahead, for a request with these *headers* (RFC 9110 13.2.2).

    *etag* and *last_modified* describe the selected representation (None when it has none);
    ``exists=False`` says there is no current representation (``If-None-Match: *`` passes,
    ``If-Match: *`` fails). *headers* is any mapping (case-insensitive or plain), a
    multi-valued headers object, or (name, value) pairs; repeated lines are combined.
    Call it after deciding the response would otherwise be 2xx (13.2.1). Untrusted header
    values never raise. Range handling is :func:`honour_range`.
    """
    if method in IGNORING_METHODS:
        return None
    current = etag if exists else None
    lm = to_timestamp(last_modified) if exists and last_modified is not None else None

    if_match = field_lines(headers, "If-Match")
    if if_match is not None:
        if evaluate(if_match, current, _tag_mode(STRONG_LIST, exists)) != MATCH:
            return 412
    else:
        unmodified_since = field_lines(headers, "If-Unmodified-Since")
        if unmodified_since is not None and lm is not None:
            date = _single_date(unmodified_since)
            if date is not None and lm > date:
                return 412

    get_or_head = method in ("GET", "HEAD")
    if_none_match = field_lines(headers, "If-None-Match")
    if if_none_match is not None:
        if evaluate(if_none_match, current, _tag_mode(WEAK_LIST, exists)) == MATCH:
            return 304 if get_or_head else 412
    elif get_or_head and lm is not None:
        modified_since = field_lines(headers, "If-Modified-Since")
        if modified_since is not None:
            date = _single_date(modified_since)
            if date is not None and lm <= date:
                return 304
    return None


def honour_range(
    method: str,
    headers: Headers,
    *,
    etag: ETag | str | None = None,
    last_modified: LastModified = None,
) -> bool:
    """Whether a Range header may be honoured (RFC 9110 13.2.2 step 5, 13.1.5).

    True only for a GET that carries Range and either no If-Range, or an If-Range whose
    entity-tag strongly matches *etag* or whose HTTP-date exactly equals *last_modified*.
    """
    if method != "GET" or field_lines(headers, "Range") is None:
        return False
    if_range = field_lines(headers, "If-Range")
    if if_range is None:
        return True
    if len(if_range) != 1:
        return False
    value = if_range[0]
    first = value.lstrip(b" \t" if isinstance(value, bytes) else " \t")[:2]
    if first[:1] in ('"', b'"') or first in ("W/", b"W/"):
        return etag is not None and evaluate(value, etag, STRONG_ONE) == MATCH
    date = parse_http_date(value)
    return date is not None and last_modified is not None and to_timestamp(last_modified) == date
