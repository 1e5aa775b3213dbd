"""Random, often hostile, requests for the two implementations of evaluate_preconditions (the C
one of src_c/preconditions.c and the Python reference in etagcore/conditional.py): :func:`case`
makes one, :func:`outcome` runs it, so that two outcomes compare (a result, or the error)."""

from __future__ import annotations

import email.message
import http
import random
from datetime import datetime, timezone
from typing import Any, Callable

from etagcore import ETag

FIELDS = ["If-None-Match", "If-Match", "If-Modified-Since", "If-Unmodified-Since", "Range", "Host"]
CURRENT = "CURRENT"  # replaced by the text of the case's current tag
VALUES = [CURRENT, CURRENT, CURRENT, '"a"', 'W/"a"', "*", '"a", "b"', "junk", "", " " + CURRENT, CURRENT + " ",
          '"\u00e9"', "Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 2094 08:49:37 GMT", "W/", '"', '""', "\x00"]
ODD_VALUES: list[Any] = [None, 7, ["a"], [], [CURRENT, CURRENT], b"\xff\xfe", bytearray(b'"a"')]


class _SubTag(ETag):
    __slots__ = ()


class _BrokenTag(ETag):
    __slots__ = ()

    def header_bytes(self) -> bytes:
        raise ValueError("broken")


CURRENTS: list[Any] = [ETag("a"), ETag("a", weak=True), ETag("x" * 40), '"a"', 'W/"a"', "a", ' "a"', '"a" ', '"\u00e9"',
                       '"a"b"', "", _SubTag("a"), _BrokenTag("a"), None, 5, b'"a"']
METHODS: list[Any] = ["GET", "GET", "HEAD", "POST", "PUT", "OPTIONS", "get", http.HTTPMethod.GET, b"GET", None]
LAST_MODIFIED: list[Any] = [None, datetime(2000, 1, 1, tzinfo=timezone.utc), 784111777.0, "Sun, 06 Nov 1994 08:49:37 GMT",
                            "junk"]
EXISTS: list[Any] = [True, True, True, False, 0, 1, None]


class _AsListNotADict:
    _as_list = [("If-None-Match", '"a"')]

    def __iter__(self) -> Any:
        return iter([("If-None-Match", '"a"')])


class _RaisingAttributes:
    def __getattr__(self, name: str) -> Any:
        raise ValueError(name)


class _RawTuple:
    raw = ((b"if-none-match", b'"a"'),)

    def __iter__(self) -> Any:
        return iter(self.raw)


def _text(value: Any) -> Any:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value


def _containers(pairs: list[tuple[str, Any]]) -> list[Callable[[], Any]]:
    """Ways to hold *pairs* as request headers."""

    def tornado() -> Any:
        from tornado.httputil import HTTPHeaders

        headers = HTTPHeaders()
        for name, value in pairs:
            if isinstance(value, str):
                headers.add(name, value)
        return headers

    def starlette() -> Any:
        from starlette.datastructures import Headers

        return Headers(raw=[(n.lower().encode(), v if isinstance(v, bytes) else str(v).encode("utf-8"))
                            for n, v in pairs])

    def message() -> Any:
        headers = email.message.Message()
        for name, value in pairs:
            if isinstance(value, str):
                headers[name] = value
        return headers

    def environ(marker: str) -> Any:
        found: dict[str, Any] = {marker: "GET"}
        for name, value in pairs:
            found["HTTP_" + name.upper().replace("-", "_")] = _text(value)
        return found

    return [
        lambda: [(n.lower().encode(), v.encode("latin-1") if isinstance(v, str) and v.isascii() else v)
                 for n, v in pairs],
        lambda: tuple((n, v) for n, v in pairs),
        lambda: [(n, v) for n, v in pairs],
        lambda: dict(pairs),
        lambda: environ("REQUEST_METHOD"), lambda: environ("wsgi.version"), tornado, tornado, starlette, message,
        lambda: _AsListNotADict(), lambda: _RaisingAttributes(), lambda: _RawTuple(),
        lambda: iter([(n, v) for n, v in pairs]),
    ]


def case(rng: random.Random) -> dict[str, Any]:
    current = rng.choice(CURRENTS)
    text = str(current) if isinstance(current, (ETag, str)) else '"a"'
    pairs = []
    for _ in range(rng.randrange(0, 4)):
        value = rng.choice(VALUES) if rng.random() < 0.92 else rng.choice(ODD_VALUES)
        if isinstance(value, str):
            value = value.replace(CURRENT, text)
        elif isinstance(value, list):
            value = [text if v == CURRENT else v for v in value]
        pairs.append((rng.choice(FIELDS), value))
    return {"method": rng.choice(METHODS), "headers": rng.choice(_containers(pairs)), "etag": current,
            "last_modified": rng.choice(LAST_MODIFIED), "exists": rng.choice(EXISTS),
            "keywords": rng.random() < 0.95}


def outcome(evaluate: Callable[..., Any], given: dict[str, Any]) -> Any:
    """What *evaluate* answers for the case: its result, or the type and text of its error."""
    try:
        headers = given["headers"]()
        if given["keywords"]:
            return evaluate(given["method"], headers, etag=given["etag"], last_modified=given["last_modified"],
                            exists=given["exists"])
        return evaluate(given["method"], headers)
    except Exception as exc:  # noqa: BLE001 - the error is the answer compared
        return (type(exc).__name__, str(exc))
