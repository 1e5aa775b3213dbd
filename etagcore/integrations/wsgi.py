"""WSGI: :class:`ETagMiddleware` tags 200 responses to GET/HEAD and answers their preconditions;
:func:`with_etag` decides 304/412 from a validator before the app runs; :class:`StaticFiles` serves
the files beneath a directory in front of an app, as WhiteNoise does.

    app = ETagMiddleware(app, strategy="xxh3-128", max_body=8 << 20)

The body is buffered while it is produced, up to *max_body* bytes, and tagged in one call (the C
chunk path). A longer body streams through untagged and is never held whole. Responses that
already carry an ETag keep it: their preconditions are evaluated before the body is read, and on
a 304 or 412 the body is not consumed (``close()`` is still called). A body sent with a
Content-Encoding is tagged as sent, so it gets a tag distinct from the identity body's.

    app = StaticFiles(app, root="static", prefix="/static/")

:class:`StaticFiles` is a thin frontend over :class:`~etagcore.static.StaticSite`, which makes every
decision (containment, tags, preconditions, ranges, sidecars, caching headers); a URL under the
prefix that names no file falls through to the wrapped app.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any, Optional, Union

from .._types import StrPath
from ..conditional import evaluate_preconditions
from ..etag import ETag
from ..registry import StrategySpec
from ..static import Manifest, StaticSite, default_cache_control
from ..static.site import FIELDS as STATIC_FIELDS
from ..static.site import CacheControl, FileBody
from ..static.site import Reply as StaticReply
from ..strategy import Strategy
from ..response import FLUSH, PASS, ConditionalResponse, Policy, Reply, Skip
from ..response import checked_validator as _checked
from ..response import validator_reply, validator_tag
from ._common import DEFAULT_MAX_BODY, body_strategy, check_max_body

__all__ = ["ETagMiddleware", "with_etag", "StaticFiles"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_END = object()


_STATUS_LINES = {int(status): f"{int(status)} {status.phrase}" for status in HTTPStatus}


def _status_line(status: int) -> str:
    return _STATUS_LINES.get(status) or f"{status} Status {status}"


def _body(reply: Reply) -> Iterable[bytes]:
    if reply.body is not None:
        return reply.body
    # No body. One empty write from an object without len(): wsgiref adds "Content-Length: 0" to
    # a response that ends unwritten or is a one-item list, which a 304 must not carry (RFC 9110 8.6).
    return iter((b"",)) if reply.status == 304 else []


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


class _Captured:
    """start_response as seen by the app: held back until we know what to send. The real one is
    called at most once (:meth:`send_start`); the app's legacy ``write()`` sends what was held,
    in order, and turns the rest of the response into a pass-through."""

    def __init__(self, start_response: Callable[..., Any]) -> None:
        self.real = start_response
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.held: list[bytes] = []  # body chunks read but not yet sent
        self.streaming = False  # the app used write(): everything passes through
        self.started = False  # the real start_response has been called
        self.output = False  # the app has given body bytes: for it, the headers are out
        self._write: Any = None

    def take(self, chunk: bytes) -> None:
        """A chunk read before the app called start_response (a generator's first)."""
        self.held.append(chunk)
        if chunk:
            self.output = True

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        if exc_info is not None and (self.started or self.output):
            raise exc_info[1].with_traceback(exc_info[2])  # PEP 3333: too late to change the status
        self.status, self.headers = status, list(headers)
        return self.write

    def send_start(self, status: Optional[str] = None, headers: Optional[list[tuple[str, str]]] = None) -> Any:
        if not self.started:
            assert self.status is not None
            self.started = True
            self._write = self.real(status or self.status, self.headers if headers is None else headers)
        return self._write

    def write(self, data: bytes) -> None:  # the legacy write(): no buffering, no tag
        write = self.send_start()
        self.streaming = True
        held, self.held = self.held, []
        for chunk in held:
            write(chunk)
        write(data)

    def code(self) -> int:
        assert self.status is not None
        try:
            return int(self.status.split(None, 1)[0])
        except ValueError:
            return 0


class ETagMiddleware:
    """Tags and conditional responses for a WSGI application (see the module docstring).

    *skip* ``(status, headers) -> bool`` names responses to pass through untouched and unbuffered
    (event streams always are). For Flask keep the Flask object: ``app.wsgi_app =
    ETagMiddleware(app.wsgi_app)``.
    """

    def __init__(self, app: WSGIApp, strategy: str | Strategy = "sha1", max_body: int = DEFAULT_MAX_BODY,
                 skip: Optional[Skip] = None) -> None:
        self.app = app
        self.policy = Policy(body_strategy(strategy, "ETagMiddleware"), check_max_body(max_body, "ETagMiddleware"),
                             skip)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method != "GET" and method != "HEAD":
            return self.app(environ, start_response)
        response = _Captured(start_response)
        result = self.app(environ, response.start_response)
        closed = False
        try:
            chunks = iter(result)
            while response.status is None:  # a generator app calls start_response on first next()
                chunk = next(chunks, _END)
                if chunk is _END:
                    break
                response.take(chunk)  # type: ignore[arg-type]
            if response.status is None or response.streaming:
                return self._pass_through(response, chunks, result)
            conditional = ConditionalResponse(self.policy, method, environ)
            status, headers = response.status, response.headers
            action = conditional.start(response.code(), headers)
            if action is PASS:
                return self._pass_through(response, chunks, result)
            if isinstance(action, Reply):
                if action.passthrough:  # the app's own body under the headers decided here
                    response.send_start(headers=action.headers)
                    return self._pass_through(response, chunks, result)
                closed = True
                _close(result)  # the app's body is not read
                start_response(_status_line(action.status), action.headers)
                return _body(action)
            held, response.held = response.held, conditional.chunks  # what a write() must send first
            for chunk in itertools.chain(held, chunks):
                if response.streaming:  # the app called write(): the held chunks and its data are out
                    return self._pass_through(response, itertools.chain((chunk,), chunks), result)
                if chunk:
                    response.output = True
                if conditional.feed(chunk) is FLUSH:
                    return self._pass_through(response, chunks, result)
            if response.streaming or response.status is not status or response.headers is not headers:
                # write() at the very end, or start_response again (exc_info) before any output:
                # the app's own answer goes out as it is, untagged
                return self._pass_through(response, chunks, result)
        except BaseException:
            if not closed:
                _close(result)
            raise
        closed = True
        _close(result)
        reply = conditional.finish()
        start_response(status if reply.status == 200 else _status_line(reply.status), reply.headers)
        return _body(reply)

    @staticmethod
    def _pass_through(response: _Captured, rest: Iterator[bytes], result: Iterable[bytes]) -> Iterable[bytes]:
        if response.status is not None:
            response.send_start()
        held, response.held = response.held, []
        return _Streamed(held, rest, result)


class _Streamed:
    """The chunks read so far, then the rest of the app's iterable; close() reaches the app's, once."""

    def __init__(self, head: list[bytes], rest: Iterator[bytes], result: Iterable[bytes]) -> None:
        self._head, self._rest, self._result = head, rest, result

    def __iter__(self) -> Iterator[bytes]:
        yield from self._head
        self._head = []
        yield from self._rest

    def close(self) -> None:
        result, self._result = self._result, ()
        _close(result)


def with_etag(validator: Callable[[dict[str, Any]], ETag | str | None]) -> Callable[[WSGIApp], WSGIApp]:
    """Validator-first: decorate a WSGI app whose current tag is known before any body work.

    ``validator(environ)`` returns the tag of the current representation, or None when there is
    none (then ``If-Match: *`` fails and ``If-None-Match: *`` passes, as for a PUT that creates).
    Failed preconditions answer 304 (GET/HEAD) or 412 (any method, e.g. PUT and DELETE with a
    stale If-Match) without calling the app; otherwise the app runs and a GET/HEAD response that
    has no ETag of its own gets the validator's.
    """

    def decorate(app: WSGIApp) -> WSGIApp:
        def conditional_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            method = environ.get("REQUEST_METHOD", "GET")
            tag = _checked(validator(environ))
            outcome = evaluate_preconditions(method, environ, etag=tag, exists=tag is not None)
            if outcome is not None:
                reply = validator_reply(outcome, tag)
                start_response(_status_line(outcome), reply.headers)
                return _body(reply)
            if tag is None or method not in ("GET", "HEAD"):
                return app(environ, start_response)

            def add_tag(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                if status.startswith("200"):
                    sent = validator_tag(tag, headers)
                    if sent is not None:
                        headers = [*headers, ("ETag", str(sent))]
                return start_response(status, headers, exc_info)

            return app(environ, add_tag)

        conditional_app.__wrapped__ = app  # type: ignore[attr-defined]
        return conditional_app

    return decorate


# What StaticSite reads from a request, by HTTP name and environ key.
_STATIC_FIELDS = tuple((name, "HTTP_" + name.upper().replace("-", "_")) for name in STATIC_FIELDS)


class StaticFiles:
    """Serve the files beneath *root* at URLs under *prefix*, in front of the WSGI *app*.

    The keyword arguments are :class:`~etagcore.static.StaticSite`'s, which answers every request
    under the prefix. When it finds no file (404), the request goes to *app* (a plain 404 when
    *app* is None); so do requests outside the prefix. Matching is on ``PATH_INFO``, as in
    WhiteNoise. :meth:`close` releases the root's descriptor and the hashing threads.
    """

    def __init__(
        self,
        app: Optional[WSGIApp],
        root: StrPath = "static",
        prefix: str = "/static/",
        *,
        strategy: StrategySpec = None,
        index: Optional[str] = "index.html",
        dotfiles: bool = False,
        cache_control: CacheControl = default_cache_control,
        precompressed: bool = True,
        manifest: Union[StrPath, Manifest, None] = None,
    ) -> None:
        self.app = app
        stripped = prefix.strip("/")
        self.prefix = f"/{stripped}/" if stripped else "/"
        self.site = StaticSite(root, strategy=strategy, index=index, dotfiles=dotfiles,
                               cache_control=cache_control, precompressed=precompressed, manifest=manifest)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path_info: str = environ.get("PATH_INFO", "")
        if not path_info.startswith(self.prefix):
            return self._fall_through(environ, start_response)
        # PATH_INFO holds the raw bytes decoded as latin-1; file names are UTF-8.
        path = "/" + path_info[len(self.prefix):].encode("latin-1").decode("utf-8", "surrogateescape")
        headers = {name: [environ[key]] for name, key in _STATIC_FIELDS if key in environ}
        reply = self.site.respond(environ.get("REQUEST_METHOD", "GET"), path, headers,
                                  environ.get("QUERY_STRING", ""))
        if not reply.found:
            reply.close()
            return self._fall_through(environ, start_response)
        try:
            start_response(f"{reply.status} {reply.reason}", reply.headers)
        except BaseException:
            reply.close()
            raise
        if isinstance(reply.body, FileBody):
            # Not wsgi.file_wrapper: the server would send the file itself, without the core's
            # last stat check, and could hand out a complete body under a tag it does not have.
            return _FileResponse(reply)
        if reply.body is None:
            # One empty write with no len(): wsgiref adds "Content-Length: 0" to a response that
            # ends unwritten (finish_content) or is a one-item list (set_content_length), which a
            # 304 must not carry (RFC 9110 8.6); an empty write sends the headers as they are.
            return iter((b"",))
        return [reply.body]

    def _fall_through(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.app is not None:
            return self.app(environ, start_response)
        body = b"404 Not Found\n"
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(body)))])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def close(self) -> None:
        """Release the static root's descriptor and hashing threads."""
        self.site.close()


class _FileResponse:
    """A file body for the server to iterate; ``close()`` (also on a client disconnect) releases
    the descriptor. :class:`~etagcore.static.FileChanged` raised while iterating propagates, so
    the server drops the connection before the last bytes."""

    __slots__ = ("_reply",)

    def __init__(self, reply: StaticReply) -> None:
        self._reply = reply

    def __iter__(self) -> Iterator[bytes]:
        assert isinstance(self._reply.body, FileBody)
        return self._reply.body.chunks()

    def close(self) -> None:
        self._reply.close()
