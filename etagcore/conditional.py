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
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Optional, Union

from . import _backend, _fields_py
from ._match_py import ABSENT, MATCH, STRONG_LIST, STRONG_ONE, WEAK_LIST
from .etag import ETag
from .httpdate import parse_http_date, to_timestamp
from .match import evaluate

__all__ = ["evaluate_preconditions", "honour_range", "request_fields", "Headers", "LastModified"]

Headers = Union[Mapping[Any, Any], Iterable[tuple[Any, Any]]]
LastModified = Union[datetime, float, str, None]
IGNORING_METHODS = frozenset({"CONNECT", "OPTIONS", "TRACE"})
_MULTI_GETTERS = ("get_list", "getlist", "get_all", "getall")  # Tornado; Werkzeug, Starlette; email; multidict


def _name(key: object) -> str:
    return key.decode("latin-1").lower() if isinstance(key, (bytes, bytearray)) else str(key).lower()


def _is_environ(headers: object) -> bool:
    return type(headers) is dict and ("wsgi.version" in headers or "REQUEST_METHOD" in headers)


def _environ_key(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")


def field_lines(headers: Headers, name: str) -> list[Any] | None:
    """Every line of field *name* (case-insensitive), or None when absent."""
    if type(headers) is dict:  # the common, cheap case (request_fields() gives exact names)
        value = headers.get(name)
        if value is None:
            if _is_environ(headers):
                value = headers.get(_environ_key(name))
            else:
                wanted = name.lower()
                value = next((v for k, v in headers.items() if _name(k) == wanted), None)
            if value is None:
                return None
        return value if type(value) is list else list(value) if isinstance(value, tuple) else [value]
    getall = getattr(headers, "getall", None)  # multidict (aiohttp): KeyError unless given a default
    if callable(getall):
        return list(getall(name, ())) or None
    for attr in _MULTI_GETTERS:
        getter = getattr(headers, attr, None)
        if callable(getter):
            return list(getter(name) or ()) or None  # email's get_all() gives None when absent
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
    object or a WSGI environ. The result is itself a valid *headers* argument, and a cheap one."""
    wanted = _lowered(tuple(names))
    found: dict[str, list[Any]] = {}
    if type(headers) is dict and not headers:
        return found
    if _is_environ(headers) or (type(headers) is not dict and _has_multi_getter(headers)):
        for name in wanted.values():
            lines = field_lines(headers, name)
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


def _has_multi_getter(headers: object) -> bool:
    return any(callable(getattr(headers, attr, None)) for attr in _MULTI_GETTERS)


# The four precondition fields, read at once: (If-Match, If-None-Match, If-Modified-Since,
# If-Unmodified-Since), each None when absent, else a line or a list of lines; or None for all.
_NAMES = ("If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")
CONDITIONAL_FIELDS = tuple(name.lower().encode("ascii") for name in _NAMES)
ENVIRON_FIELDS = tuple(_environ_key(name) for name in _NAMES)
Fields = Sequence[Any]

_ext = _backend.load_extension("_fields")
pick: Callable[..., Optional[list[Any]]] = _fields_py.pick if _ext is None else _ext.pick


def read_conditions(headers: Headers) -> Fields | None:
    """The four precondition fields of *headers* (see CONDITIONAL_FIELDS and decide()), or None
    when it has none of them."""
    kind = type(headers)
    if kind is list or kind is tuple:
        return pick(headers, CONDITIONAL_FIELDS)
    if kind is dict:
        if "wsgi.version" in headers or "REQUEST_METHOD" in headers:  # a WSGI environ
            get = headers.get  # type: ignore[union-attr]
            found = get(ENVIRON_FIELDS[0]), get(ENVIRON_FIELDS[1]), get(ENVIRON_FIELDS[2]), get(ENVIRON_FIELDS[3])
            return None if found[0] is None and found[1] is None and found[2] is None and found[3] is None else found
        return pick(headers, CONDITIONAL_FIELDS)
    as_list = getattr(headers, "_as_list", None)  # Tornado's HTTPHeaders: lines by canonical name
    if type(as_list) is dict:
        get = as_list.get
        found = get(_NAMES[0]), get(_NAMES[1]), get(_NAMES[2]), get(_NAMES[3])
        return None if found[0] is None and found[1] is None and found[2] is None and found[3] is None else found
    raw = getattr(headers, "raw", None)  # Starlette's Headers: the ASGI pairs
    if type(raw) is list:
        return pick(raw, CONDITIONAL_FIELDS)
    if not isinstance(headers, Mapping) and not _has_multi_getter(headers):
        return pick(list(headers), CONDITIONAL_FIELDS)  # any iterable of pairs (ASGI allows one), read once
    lines = tuple(field_lines(headers, name) for name in _NAMES)
    return None if lines == _ABSENT else lines


_ABSENT = (None, None, None, None)


def _single_date(value: Any) -> int | None:
    if type(value) is list:
        return parse_http_date(value[0]) if len(value) == 1 else None
    return parse_http_date(value)


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
    ``If-Match: *`` fails). *headers* is any mapping (case-insensitive or plain), a WSGI environ,
    a multi-valued headers object (Tornado, Werkzeug, Starlette, ``email.message.Message``), or
    (name, value) pairs such as ASGI's; repeated lines are combined. Nothing is copied: the four
    fields are read where they are. Call it after deciding the response would otherwise be 2xx
    (13.2.1). Untrusted header values never raise. Range handling is :func:`honour_range`.
    """
    if method in IGNORING_METHODS:
        return None
    fields = pick(headers, CONDITIONAL_FIELDS) if type(headers) is list else read_conditions(headers)  # ASGI pairs: no frame
    if fields is None:
        return None
    return decide(method, fields, etag, last_modified, exists)


# The Python reference above; where C is built, the same function in C (src_c/preconditions.c:
# the common cases without a Python frame, the rest through read_conditions() and decide()).
python_evaluate_preconditions = evaluate_preconditions


def decide(method: str, fields: Fields, etag: ETag | str | None, last_modified: LastModified,
           exists: bool = True) -> Literal[304, 412] | None:
    """The RFC 9110 13.2.2 decision of :func:`evaluate_preconditions` from the four fields already
    read: (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since), each None, a line or
    a list of lines, as :func:`pick` gives them for ``CONDITIONAL_FIELDS``."""
    if_match, if_none_match, modified_since, unmodified_since = fields
    current = etag if exists else None
    absent = 0 if exists else ABSENT

    if if_match is not None:
        if evaluate(if_match, current, STRONG_LIST | absent) != MATCH:
            return 412
    elif unmodified_since is not None and exists and last_modified is not None:
        date, lm = _single_date(unmodified_since), to_timestamp(last_modified)
        if date is not None and lm is not None and lm > date:
            return 412

    get_or_head = method == "GET" or method == "HEAD"
    if if_none_match is not None:
        if evaluate(if_none_match, current, WEAK_LIST | absent) == MATCH:
            return 304 if get_or_head else 412
    elif get_or_head and modified_since is not None and exists and last_modified is not None:
        date, lm = _single_date(modified_since), to_timestamp(last_modified)  # an unreadable date is none
        if date is not None and lm is not None and lm <= date:
            return 304
    return None


def honour_range(
    method: str,
    headers: Headers,
    *,
    etag: ETag | str | None = None,
    last_modified: LastModified = None,
    now: float | None = None,
) -> bool:
    """Whether a Range header may be honoured (RFC 9110 13.2.2 step 5, 13.1.5).

    True only for a GET that carries Range and either no If-Range, or an If-Range whose
    entity-tag strongly matches *etag*, or whose HTTP-date exactly equals *last_modified* while
    that date is a strong validator (8.8.2.2): its second is over at *now* (default: the clock),
    so no second change within it can follow. Otherwise two versions could be spliced. That alone
    cannot tell whether the client got the date while its second was still running: a server
    that honours date If-Range must not send a Last-Modified less than one second old (the
    static server sends none for a file changed that recently).
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
    if date is None or last_modified is None or to_timestamp(last_modified) != date:
        return False
    return date + 1 <= (time.time() if now is None else now)


def _bind(core: Any) -> Callable[..., Literal[304, 412] | None]:
    """The C evaluate_preconditions of a build of etagcore._response, given the Python parts it calls."""
    return core.bind_preconditions(python_evaluate_preconditions, read_conditions, decide, pick,  # type: ignore[no-any-return]
                                   CONDITIONAL_FIELDS, ENVIRON_FIELDS, IGNORING_METHODS, ETag)


_c = _backend.load_extension("_response")
if _c is not None:
    evaluate_preconditions = _bind(_c)  # type: ignore[assignment]
