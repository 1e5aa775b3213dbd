"""The sans-IO conditional response: what the WSGI and ASGI middlewares (and any other adapter)
do with one response, decided here once and without I/O.

An adapter feeds it the response as the app produces it and acts on each answer::

    conditional = ConditionalResponse(policy, method, request_headers)
    action = conditional.start(status, headers)   # PASS | BUFFER | a Reply (304/412: drop the app's body)
    while buffering:
        if conditional.feed(chunk) is FLUSH: ...  # over max_body: send the held start and chunks, stream on
    reply = conditional.finish()                  # the Reply to send: tagged 200, 304, 412, or untagged

An adapter whose framework already holds the whole body and keeps its own response object calls
``conditional.whole(status, headers, body)`` instead: PASS (send the response as it is), the
ETag header value to set on it (``bytes`` when *binary*, else ``str``), or the Reply to send
in its place (a 304 or 412).

Headers are ``(name, value)`` pairs of ``str`` (WSGI) or ``bytes`` (ASGI); replies use the kind
they were given. The rules, each here once:

- Only 200 responses to GET and HEAD are tagged. A response with its own ETag keeps it, and its
  preconditions are decided from it before any body is read; a malformed own tag is no validator
  (passed through, never an error). An own tag on a body with a Content-Encoding becomes
  ``W/"<opaque>-<coding>"``: a compressor between the app and here may have kept the identity
  body's tag.
- A tag is computed only from the body GET sends: a HEAD response whose body is empty (Werkzeug
  and many servers send none) or whose length disagrees with its Content-Length gets no tag, nor
  does any body whose length disagrees with its Content-Length.
- Event streams (``text/event-stream``), responses marked ``X-Accel-Buffering: no`` (the nginx
  convention a streaming route already uses to keep proxies from buffering it: a per-route
  opt-out), responses a *skip* predicate names, responses that ask for trailers, and bodies over
  *max_body* (first chunk included) go through at once, untagged.
- 304 keeps the 200's caching fields (ETag, Cache-Control, Vary, Expires, Date, Content-Location)
  and Set-Cookie, and no Content-Length; 412 has no validators, no caching or content fields, Content-Length 0.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _backend, _response_py
from .conditional import Headers, evaluate_preconditions, pick
from .errors import ConfigError, InvalidETagError
from .etag import ETag
from .strategy import Strategy

__all__ = ["ConditionalResponse", "AsgiResponse", "Policy", "Reply", "PASS", "BUFFER", "FLUSH", "STREAMED_TYPE", "checked_validator",
           "encoded_variant", "validator_tag", "validator_reply"]

Pairs = Sequence[tuple[Any, Any]]
Skip = Callable[[int, Pairs], bool]

# The hot path (start, feed, finish, whole) is src_c/response.c, or its pure-Python twin.
_ext = _backend.load_extension("_response")
_core: Any = _response_py if _ext is None else _ext
PASS: str = _core.PASS  # send the app's response as it comes
BUFFER: str = _core.BUFFER  # hold the start, feed the body
FLUSH: str = _core.FLUSH  # over max_body: send what is held, then pass the rest through
STREAMED_TYPE = _response_py.STREAMED_TYPE

# RFC 9110 15.4.5: a 304 keeps what a cache needs to update its stored 200; and Set-Cookie,
# which is about the response, not the representation (a session set on a revalidated page must
# not be lost: Django and Tornado keep it too).
KEPT_ON_304 = frozenset({"etag", "cache-control", "vary", "expires", "date", "content-location", "set-cookie"})
# 412 is an error about the request: no validators, freshness or content fields of the 200.
DROPPED_ON_412 = frozenset({"etag", "last-modified", "cache-control", "expires", "content-type",
                            "content-length", "content-encoding", "content-language", "content-range",
                            "content-location", "transfer-encoding", "accept-ranges"})

_KEPT_ON_304 = KEPT_ON_304 | {name.encode() for name in KEPT_ON_304}
_DROPPED_ON_412 = DROPPED_ON_412 | {name.encode() for name in DROPPED_ON_412}


@dataclass(frozen=True)
class Policy:
    """A middleware's configuration: the strategy, the largest body it buffers, what it skips."""

    strategy: Strategy
    max_body: int
    skip: Optional[Skip] = None

    def __post_init__(self) -> None:
        if type(self.max_body) is not int or self.max_body < 0:
            raise ConfigError(f"max_body must be a byte count (an int >= 0), not {self.max_body!r}")


@dataclass(slots=True)
class Reply:
    """What to send instead of (or as) the app's response; *body* None means no body at all.
    With *passthrough* the app's own body follows these headers, streamed as it comes."""

    status: int
    headers: list[tuple[Any, Any]]
    body: Optional[list[bytes]]
    passthrough: bool = False


_NOT_TOKEN = re.compile(r"[^a-z0-9]+")


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value


def _name(value: Any) -> str:
    return _text(value).lower()


class _Branches:
    """The rare branch of a response, called by the core: a tag of its own."""

    if TYPE_CHECKING:  # the core's attributes
        headers: list[tuple[Any, Any]]
        status: int
        method: str
        request: Headers
        _binary: bool
        _last_modified: Any

        def _failed(self, outcome: int) -> Reply: ...
    else:
        __slots__ = ()

    def _own_tag(self, own_tag: Any, coding: Any) -> Union[str, Reply]:
        try:
            tag = ETag.parse(_text(own_tag))
        except InvalidETagError:
            return PASS  # not an entity-tag: no validator, and never an error
        coding = None if coding is None else _text(coding).strip().lower()
        rewritten = bool(coding) and coding != "identity"
        if rewritten:
            # A compressor between the app and here (Starlette's GZipMiddleware, ...) may have
            # kept the identity body's tag: the encoded variant gets a tag of its own.
            tag = encoded_variant(tag, coding or "")
            self.headers = [(k, v) for k, v in self.headers if _name(k) != "etag"]
            self.headers.append((b"etag", tag.header_bytes()) if self._binary else ("ETag", str(tag)))
        outcome = evaluate_preconditions(self.method, self.request, etag=tag, last_modified=self._last_modified)
        if outcome is not None:
            return self._failed(outcome)
        return Reply(self.status, self.headers, None, passthrough=True) if rewritten else PASS


if TYPE_CHECKING:
    from ._response_py import AsgiResponse as _AsgiCore
    from ._response_py import ResponseCore as _ResponseCore
else:
    _ResponseCore, _AsgiCore = _core.ResponseCore, _core.AsgiResponse


class ConditionalResponse(_Branches, _ResponseCore):
    """One response on its way through a middleware (see the module docstring).

    ``ConditionalResponse(policy, method, request_headers, binary=False)``: *request_headers* is
    anything :func:`etagcore.evaluate_preconditions` reads (a WSGI environ, ASGI pairs, ...);
    *binary*: response header pairs are bytes (ASGI), else str (WSGI).

    - ``start(status, headers)``: PASS, BUFFER, or the 304/412 Reply that replaces a response
      carrying its own tag. A response that repeats one of the fields read here, or whose field
      value is neither bytes nor Latin-1 text, is passed through as it is.
    - ``feed(chunk)``: add a body chunk; BUFFER to go on, FLUSH when the body is over max_body.
    - ``finish()``: the whole body has been fed: the Reply to send.
    - ``whole(status, headers, body)``: for a framework that holds the whole body and keeps its
      own response object: PASS (send it as it is), the ETag header value to set on it (bytes
      when *binary*, else str; it replaces the response's own tag when that was rewritten for a
      Content-Encoding), or the 304/412 Reply to send instead; as start(), feed() and finish()
      would decide.
    """

    __slots__ = ()


class AsgiResponse(_Branches, _AsgiCore):
    """A :class:`ConditionalResponse` fed by an ASGI app, for the ASGI middleware.

    ``AsgiResponse(policy, method, request_headers, send)``: ``send_message`` is the send() the
    app is given; it feeds the app's messages to the core in order and returns what the app
    awaits (the server's send() of what goes out now, or an awaitable of nothing yet). Held
    start and body go out as they were when the body is over max_body or the app sends a
    message other than a body (``http.response.pathsend``, ...) while it is buffered; after a
    304/412 decided from the app's own tag, the app's body messages are dropped. Chunks that
    are not ``bytes`` are copied when held (an app may refill its buffer once send returns).
    ``send_message`` calls the core's own start/feed/finish: overriding them in a subclass does
    not change it (``_own_tag`` and ``_failed`` are looked up on the subclass).
    """

    __slots__ = ()


def _bind(core: Any) -> None:
    """Give a core (the C module or its twin) the Python-level parts it calls."""
    core.bind(Reply, pick, _KEPT_ON_304, _DROPPED_ON_412, _response_py.send_all)


for _module in {_response_py, _core}:
    _bind(_module)


def encoded_variant(tag: ETag, coding: str) -> ETag:
    """The tag for bytes that are *tag*'s representation sent with Content-Encoding *coding*:
    ``W/"<opaque>-<coding>"`` (Apache's "-gzip" suffix), weak because compressors do not promise
    the same bytes twice (Tornado's gzip stamps the time in), distinct so that no 304 crosses
    encodings. Identity (or no coding) keeps *tag*."""
    coding = coding.strip().lower()
    if not coding or coding == "identity":
        return tag
    return ETag._trusted(f"{tag.opaque}-{_NOT_TOKEN.sub('-', coding)}", True)


_TAG_FIELDS = (b"etag", b"content-encoding")


def validator_tag(tag: ETag, headers: Pairs) -> Optional[ETag]:
    """The tag a validator-first 200 (``with_etag``) carries, given its *headers*: None when the
    response has an ETag of its own, the encoded variant's when a compressor inside gave it a
    Content-Encoding (the validator names the identity body), else *tag*."""
    if type(headers) is not list and type(headers) is not tuple and type(headers) is not dict:
        headers = list(headers)
    found = pick(headers, _TAG_FIELDS)
    if found is None:
        return tag
    own, coding = found
    if own is not None:
        return None
    if coding is None:
        return tag
    return encoded_variant(tag, ", ".join(map(_text, coding)) if type(coding) is list else _text(coding))


def validator_reply(outcome: int, tag: Optional[ETag], binary: bool = False) -> Reply:
    """What ``with_etag`` sends when a precondition failed before the app ran: a 304 carrying the
    tag, or a 412 with no validators and ``Content-Length: 0``. No body."""
    if outcome == 304 and tag is not None:
        return Reply(304, [(b"etag", tag.header_bytes()) if binary else ("ETag", str(tag))], None)
    return Reply(outcome, [(b"content-length", b"0") if binary else ("Content-Length", "0")], None)


@functools.lru_cache(maxsize=256)  # validators often answer with the same few texts
def _parsed(text: str) -> ETag:
    return ETag.parse(text)


def checked_validator(tag: Union[ETag, str, None]) -> Union[ETag, None]:
    """A validator function's answer as an ETag (or None), whatever the request: a malformed tag
    is the app's error and must fail every request alike, not only those with conditions."""
    if tag is None or type(tag) is ETag:
        return tag
    if isinstance(tag, str):
        return _parsed(str(tag))
    raise TypeError(f"a validator must return an ETag, its header text or None, not {type(tag).__name__}")
