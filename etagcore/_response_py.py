"""Pure-Python :class:`ResponseCore`, the reference for ``src_c/response.c`` (same results, always):
the hot path of :class:`etagcore.response.ConditionalResponse` (start, feed, finish, whole).
Its rare branches (a response's own tag, a 304/412) are the subclass's ``_own_tag`` and
``_failed``; the rules are described in ``etagcore/response.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, Optional

from .conditional import python_evaluate_preconditions

PASS = "pass"
BUFFER = "buffer"
FLUSH = "flush"
REPEATED = object()  # pick()'s mark of a field sent more than once
# The response fields start() reads, in one pass (see conditional.pick).
FIELDS = (b"etag", b"content-type", b"content-length", b"last-modified", b"content-encoding",
          b"x-accel-buffering")
STREAMED_TYPE = "text/event-stream"
_LONGEST_LENGTH = 18  # significant digits of a Content-Length read; more is over any max_body

_bound: dict[str, Any] = {}


def bind(reply: Callable[..., Any], pick: Callable[..., Any], kept_on_304: frozenset[Any],
         dropped_on_412: frozenset[Any], send_all: Callable[..., Any]) -> None:
    """Given by etagcore.response: the Reply class; conditional.pick; the header names
    (lowercase str and bytes) a 304 keeps and a 412 drops; :func:`send_all`."""
    _bound.update(reply=reply, pick=pick, kept_on_304=kept_on_304, dropped_on_412=dropped_on_412, send_all=send_all)


async def send_all(send: Callable[[Any], Awaitable[None]], messages: list[Any]) -> None:
    """Send *messages* in turn: what AsgiResponse.send_message returns when more than one goes out."""
    for message in messages:
        await send(message)


def _last_tag(headers: Sequence[tuple[Any, Any]]) -> Any:
    """The value of the last ETag field in *headers*, or PASS when there is none."""
    for pair in reversed(headers):
        if _named(pair, _ETAG_NAMES):
            return pair[1]
    return PASS


_ETAG_NAMES = frozenset({"etag", b"etag"})


class _Ready:
    """Awaits as done at once: what send_message returns when nothing goes out yet. A coroutine
    by collections.abc.Coroutine (send, throw, close), so that asyncio.create_task(send(message))
    and anyio's start_soon take it too."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, None]:
        return iter(())  # type: ignore[return-value]  # an exhausted iterator: done at once

    def send(self, value: Any) -> Any:
        raise StopIteration

    def throw(self, kind: Any, value: Any = None, traceback: Any = None) -> Any:
        raise kind if value is None else value

    def close(self) -> None:
        pass


READY = _Ready()


def _named(pair: Any, names: frozenset[Any]) -> bool:
    name = pair[0]
    return name in names or (not name.islower() and name.lower() in names)


def _readable(value: Any) -> bool:
    """Whether a field value is one start() reads: bytes, or a str of Latin-1 characters."""
    if type(value) is bytes:
        return True
    return type(value) is str and (value.isascii() or max(value) <= "\xff")


def _field_text(value: Any) -> str:
    """A readable field value as OWS-trimmed text."""
    return (value.decode("latin-1") if type(value) is bytes else value).strip(" \t")


def _content_length(value: Any, max_body: int) -> Optional[int]:
    """The Content-Length read from *value*, None when it is no 1*DIGIT or over *max_body*."""
    text = _field_text(value)
    if not text or not text.isascii() or not text.isdigit():
        return None
    significant = text.lstrip("0")
    if len(significant) > _LONGEST_LENGTH:
        return None
    length = int(significant or "0")
    return None if length > max_body else length


class ResponseCore:
    """One response's state and the common decisions; see etagcore.response.ConditionalResponse."""

    __slots__ = ("policy", "method", "request", "status", "headers", "chunks", "size", "_binary", "_length",
                 "_last_modified")

    def __init__(self, policy: Any, method: str, request_headers: Any, binary: bool = False) -> None:
        self.policy, self.method, self.request, self._binary = policy, method, request_headers, bool(binary)
        self.status: Any = None
        self.headers: Any = None
        self._length: Optional[int] = None
        self._last_modified: Any = None
        self.chunks: list[Any] = []
        self.size = 0

    def start(self, status: Any, headers: Sequence[tuple[Any, Any]]) -> Any:
        if status != 200 or (self.method != "GET" and self.method != "HEAD"):
            return PASS
        if type(headers) is not list:
            headers = list(headers)
        found = _bound["pick"](headers, FIELDS, REPEATED)
        own_tag = length = last_modified = coding = None
        if found is not None:
            for value in found:
                if value is REPEATED:
                    return PASS  # which of the lines holds is not ours to guess
                if value is not None and not _readable(value):
                    return PASS  # a field we cannot read: not ours to touch
            own_tag, content_type, length, last_modified, coding, buffering = found
            if buffering is not None and _field_text(buffering).lower() == "no":
                return PASS  # the route asks not to be buffered
            if content_type is not None:
                media_type = _field_text(content_type).split(";", 1)[0]
                if media_type.rstrip(" \t").lower() == STREAMED_TYPE:
                    return PASS
        skip = self.policy.skip
        if skip is not None and skip(status, headers):
            return PASS
        self.status, self.headers, self._last_modified = status, headers, last_modified
        if own_tag is not None:
            return self._own_tag(own_tag, coding)  # type: ignore[attr-defined]
        if length is not None:
            length = _content_length(length, self.policy.max_body)
            if length is None:
                return PASS
        self._length = length
        return BUFFER

    def feed(self, chunk: bytes | bytearray | memoryview) -> str:
        if type(chunk) is not bytes:  # a copy: the app may reuse its buffer once its send returns (readinto)
            chunk = bytes(memoryview(chunk))
        self.chunks.append(chunk)
        self.size += len(chunk)
        return FLUSH if self.size > self.policy.max_body else BUFFER

    def finish(self) -> Any:
        return self._settle(False)

    def whole(self, status: Any, headers: Sequence[tuple[Any, Any]], body: bytes | bytearray) -> Any:
        action = self.start(status, headers)
        if action is not BUFFER:
            if isinstance(action, _bound["reply"]) and action.passthrough:  # its own tag, rewritten
                return _last_tag(action.headers)
            return action
        if self.feed(body) is FLUSH:
            return PASS
        return self._settle(True)

    def _settle(self, whole: bool) -> Any:
        """finish(); for whole(), the tag's header value in place of a tagged 200's Reply and
        PASS in place of an untagged one."""
        # read once, as the C core does: the strategy and the precondition functions run Python code
        status, headers, size, length, chunks = self.status, self.headers, self.size, self._length, self.chunks
        reply = _bound["reply"]
        if length is not None and length != size:
            return PASS if whole else reply(status, headers, chunks)  # not the body it says: no tag
        head = self.method == "HEAD"
        if head and (size == 0) != (length == 0):
            return PASS if whole else reply(status, headers, None)  # no body to tag: GET's tag is unknown
        tag = self.policy.strategy.tag(chunks)
        outcome = python_evaluate_preconditions(self.method, self.request, etag=tag, last_modified=self._last_modified)
        value = tag.header_bytes() if self._binary else str(tag)
        if whole and outcome is None:
            return value
        # a new list: the app's header list may be a constant it sends again
        headers = [*headers, (b"etag", value) if self._binary else ("ETag", value)]
        if outcome is not None:
            self.headers = headers
            return self._failed(outcome)
        if length is None:
            headers.append((b"content-length", b"%d" % size) if self._binary else ("Content-Length", str(size)))
        return reply(status, headers, None if head else chunks)

    def _failed(self, outcome: int) -> Any:
        """The reply for a failed precondition: 304 with the 200's fields a cache needs, or 412
        without validators, caching and content fields, Content-Length 0."""
        if outcome == 304:
            kept = _bound["kept_on_304"]
            return _bound["reply"](304, [pair for pair in self.headers if _named(pair, kept)], None)
        dropped = _bound["dropped_on_412"]
        rest = [pair for pair in self.headers if not _named(pair, dropped)]
        rest.append((b"content-length", b"0") if self._binary else ("Content-Length", "0"))
        return _bound["reply"](412, rest, None)


# What an ASGI response is doing, as the app's messages arrive.
_START, _BUFFERING, _STREAMING, _DROPPING, _DONE = range(5)


class AsgiResponse(ResponseCore):
    """A ResponseCore fed by an ASGI app: ``send_message`` is the send() the app is given. It
    feeds the app's messages to the core in order and returns what the app awaits: the
    server's send() of what goes out now, READY when nothing does, or send_all() of several."""

    __slots__ = ("send", "held_start", "state")

    def __init__(self, policy: Any, method: str, request_headers: Any, send: Callable[[Any], Awaitable[None]]) -> None:
        super().__init__(policy, method, request_headers, True)
        self.send, self.state = send, _START
        self.held_start: Any = None

    def send_message(self, message: Any) -> Awaitable[None]:
        state = self.state
        if state == _BUFFERING:
            if message["type"] != "http.response.body":
                # pathsend, zerocopy, ...: a body that is not ours to read; send what is held first
                return _bound["send_all"](self.send, [*self._flushed(True), message])  # type: ignore[no-any-return]
            more_body = message.get("more_body", False)
            if self.feed(message.get("body", b"")) is FLUSH:
                return _bound["send_all"](self.send, self._flushed(more_body))  # type: ignore[no-any-return]
            if more_body:
                return READY
            self.state = _DONE
            reply, start = self.finish(), self.held_start
            if reply.status == start["status"]:  # keeps the extension keys of the app's start
                start = {**start, "headers": reply.headers}
            else:
                start = {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
            body = reply.body
            body = (body[0] if len(body) == 1 else b"".join(body)) if body else b""
            return _bound["send_all"](  # type: ignore[no-any-return]
                self.send, [start, {"type": "http.response.body", "body": body}])
        if state == _START:
            if message["type"] != "http.response.start":
                return self.send(message)
            return self._starting(message)
        if state == _STREAMING:
            return self.send(message)
        return READY  # _DROPPING: the app's body after a 304/412 from its own tag; _DONE: nothing may follow

    def _starting(self, message: Any) -> Awaitable[None]:
        headers = message.get("headers", [])
        if type(headers) is not list:  # any iterable is allowed: read it once, keep it
            headers = list(headers)
            message = {**message, "headers": headers}
        action: Any = PASS if message.get("trailers") else self.start(message["status"], headers)
        if action is BUFFER:
            self.held_start, self.state = message, _BUFFERING
            return READY
        if action is PASS:
            self.state = _STREAMING
            return self.send(message)
        if action.passthrough:  # the app's own body under the headers decided here
            self.state = _STREAMING
            return self.send({**message, "headers": action.headers})
        self.state = _DROPPING  # a 304/412 from the app's own tag: its body is dropped
        body = b"".join(action.body) if action.body else b""
        return _bound["send_all"](  # type: ignore[no-any-return]
            self.send, [{"type": "http.response.start", "status": action.status, "headers": action.headers},
                        {"type": "http.response.body", "body": body}])

    def _flushed(self, more_body: Any) -> list[Any]:
        """The held start and body as they were, to send before the rest passes through."""
        self.state = _STREAMING
        chunks = self.chunks
        last = len(chunks) - 1
        messages = [self.held_start, *({"type": "http.response.body", "body": chunk, "more_body": more_body or i < last}
                                       for i, chunk in enumerate(chunks))]
        chunks.clear()
        return messages
