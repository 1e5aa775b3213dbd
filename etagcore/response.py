"""The sans-IO conditional response: what the WSGI and ASGI middlewares (and any other adapter)
do with one response, decided here once and without I/O.

An adapter feeds it the response as the app produces it and acts on each answer::

    conditional = ConditionalResponse(policy, method, request_headers)
    action = conditional.start(status, headers)   # PASS | BUFFER | a Reply (304/412: drop the app's body)
    while buffering:
        if conditional.feed(chunk) is FLUSH: ...  # over max_body: send the held start and chunks, stream on
    reply = conditional.finish()                  # the Reply to send: tagged 200, 304, 412, or untagged

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
- Event streams (``text/event-stream``), responses a *skip* predicate names, responses that ask
  for trailers, and bodies over *max_body* (first chunk included) go through at once, untagged.
- 304 keeps the 200's caching fields (ETag, Cache-Control, Vary, Expires, Date, Content-Location)
  and no Content-Length; 412 has no validators, no caching or content fields, Content-Length 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

from .conditional import Headers, evaluate_preconditions
from .errors import InvalidETagError
from .etag import ETag
from .strategy import Strategy

__all__ = ["ConditionalResponse", "Policy", "Reply", "PASS", "BUFFER", "FLUSH", "STREAMED_TYPES", "checked_validator"]

Pairs = Sequence[tuple[Any, Any]]
Skip = Callable[[int, Pairs], bool]

PASS = "pass"  # send the app's response as it comes
BUFFER = "buffer"  # hold the start, feed the body
FLUSH = "flush"  # over max_body: send what is held, then pass the rest through
STREAMED_TYPES = frozenset({"text/event-stream"})

# RFC 9110 15.4.5: a 304 keeps what a cache needs to update its stored 200.
KEPT_ON_304 = frozenset({"etag", "cache-control", "vary", "expires", "date", "content-location"})
# 412 is an error about the request: no validators, freshness or content fields of the 200.
DROPPED_ON_412 = frozenset({"etag", "last-modified", "cache-control", "expires", "content-type",
                            "content-length", "content-encoding", "content-language", "content-range",
                            "content-location", "transfer-encoding", "accept-ranges"})


@dataclass(frozen=True)
class Policy:
    """A middleware's configuration: the strategy, the largest body it buffers, what it skips."""

    strategy: Strategy
    max_body: int
    skip: Optional[Skip] = None


@dataclass
class Reply:
    """What to send instead of (or as) the app's response; *body* None means no body at all.
    With *passthrough* the app's own body follows these headers, streamed as it comes."""

    status: int
    headers: list[tuple[Any, Any]]
    body: Optional[list[bytes]]
    passthrough: bool = False


_NOT_TOKEN = re.compile(r"[^a-z0-9]+")
_FIELDS = ("etag", "content-type", "content-length", "last-modified", "content-encoding")
_FIELD_INDEX: dict[Any, int] = {**{n: i for i, n in enumerate(_FIELDS)}, **{n.encode(): i for i, n in enumerate(_FIELDS)}}
_FIELD_LENGTHS = frozenset(len(n) for n in _FIELDS)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value


def _name(value: Any) -> str:
    return _text(value).lower()


class ConditionalResponse:
    """One response on its way through a middleware (see the module docstring)."""

    __slots__ = ("policy", "method", "request", "status", "headers", "chunks", "size", "_binary",
                 "_length", "_last_modified")

    def __init__(self, policy: Policy, method: str, request_headers: Headers, *, binary: bool = False) -> None:
        """*request_headers*: anything :func:`etagcore.evaluate_preconditions` reads (a WSGI environ,
        ASGI pairs, ...); *binary*: response header pairs are bytes (ASGI), else str (WSGI)."""
        self.policy, self.method, self.request = policy, method, request_headers
        self.status = 0
        self.headers: list[tuple[Any, Any]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self._binary = binary
        self._length: Optional[int] = None
        self._last_modified: Optional[str] = None

    def start(self, status: int, headers: Pairs) -> Union[str, Reply]:
        """PASS, BUFFER, or the 304/412 Reply that replaces a response carrying its own tag."""
        if status != 200 or (self.method != "GET" and self.method != "HEAD"):
            return PASS
        found: list[Any] = [None, None, None, None, None]  # as _FIELDS
        for name, value in headers:
            index = _FIELD_INDEX.get(name)
            if index is None:
                if len(name) not in _FIELD_LENGTHS:
                    continue
                index = _FIELD_INDEX.get(name.lower())
                if index is None:
                    continue
            found[index] = value
        own_tag, content_type, length, last_modified, coding = found
        if content_type is not None and _text(content_type).split(";", 1)[0].strip().lower() in STREAMED_TYPES:
            return PASS
        skip = self.policy.skip
        if skip is not None and skip(status, headers):
            return PASS
        self.status, self.headers = status, list(headers)
        self._last_modified = None if last_modified is None else _text(last_modified)
        if own_tag is not None:
            return self._own_tag(_text(own_tag), None if coding is None else _text(coding).strip().lower())
        if length is not None:
            try:
                self._length = int(length)
            except ValueError:
                return PASS
            if self._length > self.policy.max_body:
                return PASS
        return BUFFER

    def _own_tag(self, text: str, coding: Optional[str]) -> Union[str, Reply]:
        try:
            tag = ETag.parse(text)
        except InvalidETagError:
            return PASS  # not an entity-tag: no validator, and never an error
        rewritten = bool(coding) and coding != "identity"
        if rewritten:
            # A compressor between the app and here (Starlette's GZipMiddleware, ...) may have
            # kept the identity body's tag: give the encoded variant a tag of its own, weak since
            # such compressors do not promise the same bytes twice (Apache's "-gzip", made weak).
            suffix = _NOT_TOKEN.sub("-", coding or "")
            tag = ETag._trusted(f"{tag.opaque}-{suffix}", True)
            self.headers = [(k, v) for k, v in self.headers if _name(k) != "etag"]
            self.headers.append((b"etag", tag.header_bytes()) if self._binary else ("ETag", str(tag)))
        outcome = evaluate_preconditions(self.method, self.request, etag=tag, last_modified=self._last_modified)
        if outcome is not None:
            return self._failed(outcome)
        return Reply(self.status, self.headers, None, passthrough=True) if rewritten else PASS

    def feed(self, chunk: bytes) -> str:
        """Add a body chunk: BUFFER to go on, FLUSH when the body is over max_body."""
        self.chunks.append(chunk)
        self.size += len(chunk)
        return FLUSH if self.size > self.policy.max_body else BUFFER

    def finish(self) -> Reply:
        """The whole body has been fed: the reply to send."""
        headers, size = self.headers, self.size
        if self._length is not None and self._length != size:
            return Reply(self.status, headers, self.chunks)  # not the body it says: no tag
        if self.method == "HEAD" and (size == 0) != (self._length == 0):
            return Reply(self.status, headers, None)  # no body to tag: GET's tag is unknown
        chunks = self.chunks
        tag = self.policy.strategy.tag(chunks[0] if len(chunks) == 1 else chunks)
        outcome = evaluate_preconditions(self.method, self.request, etag=tag, last_modified=self._last_modified)
        headers.append((b"etag", tag.header_bytes()) if self._binary else ("ETag", str(tag)))
        if outcome is not None:
            return self._failed(outcome)
        if self._length is None:
            headers.append(self._pair("Content-Length", str(size)))
        return Reply(self.status, headers, None if self.method == "HEAD" else chunks)

    def _failed(self, outcome: int) -> Reply:
        if outcome == 304:
            return Reply(304, [(k, v) for k, v in self.headers if _name(k) in KEPT_ON_304], None)
        kept = [(k, v) for k, v in self.headers if _name(k) not in DROPPED_ON_412]
        return Reply(412, [*kept, self._pair("Content-Length", "0")], None)

    def _pair(self, name: str, value: str) -> tuple[Any, Any]:
        if self._binary:
            return name.lower().encode("latin-1"), value.encode("latin-1")
        return name, value


def checked_validator(tag: Union[ETag, str, None]) -> Union[ETag, None]:
    """A validator function's answer as an ETag (or None), whatever the request: a malformed tag
    is the app's error and must fail every request alike, not only those with conditions."""
    if tag is None or type(tag) is ETag:
        return tag
    if isinstance(tag, str):
        return ETag.parse(tag)
    raise TypeError(f"a validator must return an ETag, its header text or None, not {type(tag).__name__}")
