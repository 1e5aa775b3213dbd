"""Random, often hostile, responses for the two implementations of the core's hot path
(src_c/response.c and etagcore/_response_py.py): :func:`case` makes one, :func:`trace` runs it
through a class and records every answer and the state after it, so that two traces compare."""

from __future__ import annotations

import array
import http
import random
from typing import Any

from etagcore import get_strategy
from etagcore.response import Policy, Reply, _Branches

SHA1 = get_strategy("sha1")
BODY_TAG = "BODYTAG"  # replaced by the tag of the case's body

METHODS = ["GET", "GET", "HEAD", "POST", "get", b"GET", None, http.HTTPMethod.GET, http.HTTPMethod.HEAD]
STATUSES = [200, 200, 200, 304, 404, "200", 200.0, True, 2**70, None]
NAMES = {
    "etag": ["ETag", b"etag", "ETAG", b"eTaG"],
    "content-type": ["Content-Type", b"content-type"],
    "content-length": ["Content-Length", b"content-length", "CONTENT-LENGTH"],
    "last-modified": ["Last-Modified", b"last-modified"],
    "content-encoding": ["Content-Encoding", b"content-encoding"],
    "x-accel-buffering": ["X-Accel-Buffering", b"x-accel-buffering"],
    "other": ["Cache-Control", b"vary", "Set-Cookie", b"x-etag", "ETag2", "\u00e9tag", b"", ""],
}
VALUES = {
    "etag": ['"v1"', "v1", 'W/"v1"', '"a", "b"', BODY_TAG, "", '"\u00e9"'],
    "content-type": ["text/html", "text/event-stream", "TEXT/Event-Stream ; charset=utf-8", " text/event-stream\t",
                     "text/event-streamx", "text/event-stream\u0100", "text/event-stream; x=\u0100", ";",
                     "text/event-stream\x0c", "\xa0text/event-stream"],
    "content-length": ["LEN", "LEN", " LEN ", "+3", "3.0", "\u0663", "0" * 30 + "5", "9" * 25, "", "-1", "\tLEN",
                       "0", "1", "100000", "LEN\n", "\xa0LEN", "1_0"],
    "last-modified": ["Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 2094 08:49:37 GMT", "nonsense"],
    "content-encoding": ["gzip", "identity", " GZIP ", "br, gzip", ""],
    "x-accel-buffering": ["no", "NO", " no ", "No\t", "nope", "n\u00f6", "yes", "no\r", "no\xa0"],
    "other": ["max-age=60", "a=b", "x"],
}
ODD_VALUES = [None, 7, ["a", "b"], bytearray(b"no"), memoryview(b"3")]
REQUESTS = [
    [], [(b"host", b"x")], [(b"if-none-match", BODY_TAG)], [(b"If-None-Match", b'"v1"')], [(b"if-match", b'"v1"')],
    [(b"if-match", b"*")], [(b"if-none-match", b"*")], [(b"if-modified-since", b"Sun, 06 Nov 2094 08:49:37 GMT")],
    [(b"if-unmodified-since", b"Sun, 06 Nov 1994 08:49:37 GMT")], [(b"if-none-match", b"junk")],
    ((b"if-none-match", BODY_TAG),), {"If-None-Match": BODY_TAG}, {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": BODY_TAG},
    {"wsgi.version": (1, 0)}, {"REQUEST_METHOD": "GET", "HTTP_IF_MATCH": None}, {"HTTP_IF_NONE_MATCH": "*"}, [(b"if-none-match", BODY_TAG), (b"if-none-match", b'"x"')],
]
CHUNKS = [b"", b"abc", b"x" * 40, bytearray(b"ab"), memoryview(b"mv"), memoryview(array.array("I", [1, 2, 3]))]
ODD_CHUNKS = ["str", None, 3]


def _skip_true(status: Any, headers: Any) -> bool:
    return True


def _skip_false(status: Any, headers: Any) -> bool:
    return False


def _skip_raises(status: Any, headers: Any) -> bool:
    raise ValueError("skip")


def _skip_list(status: Any, headers: Any) -> Any:
    return []


SKIPS = [None, None, None, _skip_true, _skip_false, _skip_raises, _skip_list]


def case(rng: random.Random) -> dict[str, Any]:
    chunks = [rng.choice(CHUNKS) for _ in range(rng.randrange(0, 4))]
    if rng.random() < 0.03:
        chunks.append(rng.choice(ODD_CHUNKS))
    size = sum(memoryview(c).nbytes for c in chunks if isinstance(c, (bytes, bytearray, memoryview)))
    try:
        body_tag = str(SHA1.tag(b"".join(chunks)))
    except TypeError:
        body_tag = '"none"'
    headers: list[Any] = []
    for _ in range(rng.randrange(0, 6)):
        field = rng.choice(list(NAMES))
        name = rng.choice(NAMES[field])
        value: Any = rng.choice(VALUES[field]).replace("LEN", str(size)).replace(BODY_TAG, body_tag)
        r = rng.random()
        if r < 0.05:
            value = rng.choice(ODD_VALUES)
        elif isinstance(name, bytes) and r < 0.8:
            value = value.encode("utf-8")
        headers.append((name, value))
    if rng.random() < 0.02:
        headers.append(rng.choice([("Only",), ("a", "b", "c"), None, b"ab"]))
    request = rng.choice(REQUESTS)
    if isinstance(request, dict):
        request = {k: body_tag if v == BODY_TAG else v for k, v in request.items()}
    else:
        request = type(request)((k, body_tag.encode() if v == BODY_TAG else v) for k, v in request)
    return {
        "policy": Policy(SHA1, rng.choice([0, 3, 64, 1 << 20, 2**80]), rng.choice(SKIPS)),
        "method": rng.choice(METHODS), "request": request, "binary": rng.random() < 0.5,
        "status": rng.choice(STATUSES), "headers": headers if rng.random() < 0.8 else tuple(headers),
        "chunks": chunks, "whole": rng.random() < 0.3,
    }


def _answer(value: Any) -> Any:
    if isinstance(value, Reply):
        return ("Reply", value.status, value.headers, value.body, value.passthrough)
    return value


def _state(response: Any) -> tuple[Any, ...]:
    headers, chunks = response.headers, response.chunks  # copied: later calls change them
    return (response.status, None if headers is None else list(headers), list(chunks), response.size,
            response._length, response._last_modified)


def trace(core: type, given: dict[str, Any]) -> list[Any]:
    """Every answer of a ResponseCore class *core* on the case, and its state after each."""
    cls = type("Response", (_Branches, core), {"__slots__": ()})
    steps: list[Any] = []
    try:
        response = cls(given["policy"], given["method"], given["request"], given["binary"])
        headers = given["headers"]
        if given["whole"]:
            body = given["chunks"][0] if given["chunks"] else b""
            steps.append(_answer(response.whole(given["status"], headers, body)))
            steps.append(_state(response))
            return steps
        action = response.start(given["status"], headers)
        steps.append(_answer(action))
        steps.append(_state(response))
        if action == "buffer":
            for chunk in given["chunks"]:
                action = response.feed(chunk)
                steps.append(action)
                if action == "flush":
                    return steps
            steps.append(_answer(response.finish()))
            steps.append(_state(response))
    except Exception as exc:  # noqa: BLE001 - the kind of failure is what is compared
        steps.append(type(exc).__name__)
    return steps
