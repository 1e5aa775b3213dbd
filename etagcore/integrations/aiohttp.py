"""aiohttp: :func:`etag_middleware` tags the responses handlers return and answers their
preconditions; :func:`with_etag` decides 304/412 from a validator before a handler runs.

    app = web.Application(middlewares=[etag_middleware(strategy="xxh3-128")])

What the middleware does with each kind of response a handler returns to a GET or HEAD:

- ``web.Response`` itself (``body=`` bytes, ``text=``, ``json_response``; not a subclass, which
  may make or change its body when it is sent): fed to the sans-IO core,
  :class:`etagcore.response.ConditionalResponse`, which makes every decision (tag, 304, 412, own
  tags, HEAD, *max_body*); its reply is translated back: the tag is set on the response, or the
  response becomes the core's 304/412 with exactly its fields (cookies included: the core decides
  which a 304 keeps). aiohttp keeps computing Content-Length.
  Responses that stream a payload object, are already prepared, or have compression enabled
  (aiohttp encodes after the middleware, so no tag computed here would describe the bytes sent)
  pass untouched and untagged.
- ``web.FileResponse``: aiohttp's own handling stats the path, decides 304/412 from that stat,
  then opens the file and sends it with ``sendfile`` under a tag from a second stat
  (``"<mtime_ns hex>-<size hex>"``). Nothing there follows the consistency rule: a file written
  twice within one timestamp tick keeps its tag, bytes changed during ``sendfile`` go out under
  the old tag, and If-Range is read as a date only (an entity-tag If-Range is ignored, so a
  stale client gets a 206 spliced onto its old bytes; any date not before the mtime, a future
  one too, honours the range). So the middleware answers the request
  itself from **one open file**: :class:`etagcore.static.StaticSite`, rooted at ``/``, opens the
  handler's path by descriptor, and the tag, Last-Modified, preconditions, Range/If-Range and the
  body all come from that descriptor (a file changed within the last second gets no validator
  and ``Cache-Control: no-store``; one that changes while it is sent is cut short, the
  connection closed; ``.br``/``.zst``/``.gz`` sidecars newer than the file are served to clients
  that accept them). The handler's own headers are kept (its Content-Type wins; on a 304 only
  the fields a 304 keeps). Left to aiohttp: a FileResponse that is not a 200, carries its own
  ETag, has compression enabled, answers a method other than GET/HEAD, or names no regular file
  (aiohttp's 403/404 stay). Bodies over 256 KiB are read with ``pread`` on the event loop, as
  the ASGI adapter does, never with ``sendfile`` (the last stat check must precede the last bytes).
- any other ``web.StreamResponse`` (streams, WebSockets, event streams): untouched, unbuffered.

``strategy`` is any :func:`etagcore.get_strategy` spec or strategy object (default ``xxh3-128``), used for bodies and files; it must be
able to tag bodies (``stat`` cannot). ``max_body`` (default 8 MiB): larger bodies go untagged.

    @with_etag(lambda request: current_version(request.match_info["id"]))
    async def document(request): ...
"""

from __future__ import annotations

import functools
import inspect
import os
import weakref
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, Optional, TypeVar, Union, cast

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from multidict import CIMultiDict

from ..conditional import evaluate_preconditions
from ..errors import ConfigError
from ..etag import ETag
from ..registry import StrategySpec, get_strategy
from ..response import DROPPED_ON_412, KEPT_ON_304, PASS, ConditionalResponse, Policy, Reply
from ..response import checked_validator as _checked
from ..static import StaticSite
from ..static.site import FileBody, FileChanged
from ..strategy import Strategy
from ._common import DEFAULT_MAX_BODY, DEFAULT_STRATEGY, body_strategy, check_max_body

__all__ = ["etag_middleware", "with_etag"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]
Validator = Callable[[web.Request], Union[ETag, str, None, Awaitable[Union[ETag, str, None]]]]
F = TypeVar("F", bound=Callable[..., Awaitable[web.StreamResponse]])

_OWNER = "etag_middleware"
_REASONS = {status: HTTPStatus(status).phrase for status in (304, 412)}
_SITE_ANSWERS = frozenset({200, 206, 304, 412, 416, 503})  # other replies (404, 301, ...) are aiohttp's
_NOT_FROM_HANDLER = frozenset({"etag", "last-modified"})  # a file's validators come from the file only


def etag_middleware(strategy: StrategySpec = None, max_body: Optional[int] = None) -> Middleware:
    """The middleware for ``web.Application(middlewares=[...])`` (see the module docstring).

    Raises :class:`~etagcore.ConfigError` naming the argument for a strategy that does not
    exist or cannot tag bodies, or a *max_body* that is not a byte count.
    """
    try:
        resolved = body_strategy(get_strategy(DEFAULT_STRATEGY if strategy is None else strategy), _OWNER)
    except ConfigError as exc:
        message = str(exc)
        raise type(exc)(message if message.startswith(_OWNER) else f"{_OWNER}: strategy: {message}") from None
    limit = check_max_body(DEFAULT_MAX_BODY if max_body is None else max_body, _OWNER)
    policy = Policy(resolved, limit)
    files = _Files(resolved)

    @web.middleware
    async def etag(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if type(response) is web.Response:  # the sans-IO core decides, here in line (hot path)
            # aiohttp's storage behind the public properties (body, status, headers, compression,
            # prepared, cookies), used directly: on every request those properties cost more than the tag
            # itself. tests/test_integration_aiohttp.py checks that they still are what they give.
            body = response._body
            if body is None:
                body = b""
            elif not isinstance(body, (bytes, bytearray)):
                return response  # a payload object streams when sent: not ours to read
            if response._compression or response._payload_writer is not None or response._eof_sent:
                return response
            headers: Any = response._headers.items()
            jar = response._cookies  # without the public property, which makes a jar
            if jar:  # the core decides which fields a 304/412 keeps, Set-Cookie included
                headers = [*headers, *(("Set-Cookie", morsel.output(header="")[1:]) for morsel in jar.values())]
            action = ConditionalResponse(policy, request.method, request.raw_headers).whole(response._status, headers, body)
            if type(action) is not str:
                return _translate(response, action, bool(jar))
            if action is not PASS:
                response._headers["ETag"] = action
            return response
        if isinstance(response, web.FileResponse):
            method = request.method
            if method == "GET" or method == "HEAD":
                return await files.respond(request, method, response)
        return response  # a stream: never buffered, never delayed

    return etag


# -- web.Response: the core's 304/412 ----------------------------------------------------------------

def _translate(response: web.Response, reply: Reply, cookies: bool) -> web.StreamResponse:
    """The core's 304/412 as an aiohttp response with exactly the core's fields (aiohttp adds
    Date and Server, and Content-Length where a body may follow)."""
    if cookies or response._chunked:
        # a fresh response: without the jar (the core chose among the cookie lines), or without
        # chunked framing (Transfer-Encoding beside the 412's Content-Length: 0)
        return web.Response(status=reply.status, headers=CIMultiDict(reply.headers))
    # The handler's response made over (cheaper than a new one), through the storage behind
    # set_status() and headers: it is not prepared (checked above), the reason is a constant.
    status = reply.status
    response._status, response._reason = status, _REASONS.get(status) or HTTPStatus(status).phrase
    response._body = response._compressed_body = None  # what the body setter stores for None
    response._headers = CIMultiDict(reply.headers)
    return response


# -- web.FileResponse: one open file through the static core -------------------------------------

class _Files:
    """FileResponses answered by a :class:`StaticSite` rooted at ``/`` (opened on first use)."""

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self._site: Optional[StaticSite] = None

    @property
    def site(self) -> StaticSite:
        if self._site is None:
            # dotfiles: the handler named the file; cache_control None: caching stays the handler's.
            self._site = StaticSite("/", strategy=self.strategy, index=None, dotfiles=True, cache_control=None)
        return self._site

    async def respond(self, request: web.Request, method: str, response: web.FileResponse) -> web.StreamResponse:
        path = getattr(response, "_path", None)  # aiohttp keeps the handler's path privately
        if (path is None or response.status != 200 or response.prepared or response.compression
                or "ETag" in response.headers):
            return response
        # realpath: "link/.." means what the OS makes of it, not what the text collapses to
        reply = await self.site.respond_async(method, os.path.realpath(path), request.raw_headers)
        if reply.status not in _SITE_ANSWERS or not reply.found:
            reply.close()
            return response  # no regular file there: aiohttp's own 403/404
        headers = _file_headers(response.headers, reply.headers, reply.status)
        if isinstance(reply.body, FileBody):
            sent: web.StreamResponse = _FileBodyResponse(reply.status, headers, reply.body)
        else:
            sent = web.Response(status=reply.status, headers=headers, body=reply.body)
        if response._cookies:  # Set-Cookie goes with a 304 too (the core's rule)
            sent.cookies.update(response.cookies)
        return sent


def _file_headers(own: CIMultiDict[str], site: list[tuple[str, str]], status: int) -> CIMultiDict[str]:
    """The site's fields over the handler's: all of the handler's on a 200/206 (its Content-Type
    wins), only what a 304 keeps on a 304, no content or caching fields on an error."""
    if status == 304:
        merged = CIMultiDict((k, v) for k, v in own.items() if k.lower() in KEPT_ON_304)
    elif status in (200, 206):
        merged = CIMultiDict(own)
    else:
        merged = CIMultiDict((k, v) for k, v in own.items() if k.lower() not in DROPPED_ON_412)
    for name in _NOT_FROM_HANDLER:
        merged.popall(name, None)
    typed = "Content-Type" in merged
    for name, value in site:
        if name == "Vary" and "Vary" in merged:  # both vary: the handler's (Cookie, ...) and the site's
            merged["Vary"] = f"{merged['Vary']}, {value}"
        elif not (typed and name == "Content-Type"):
            merged[name] = value
    return merged


class _FileBodyResponse(web.StreamResponse):
    """Headers, then the file body read from its descriptor; a file that changed while it was
    sent (:class:`FileChanged`) ends the connection short of Content-Length."""

    def __init__(self, status: int, headers: CIMultiDict[str], body: FileBody) -> None:
        super().__init__(status=status, headers=headers)
        self._file = body
        weakref.finalize(self, body.close)  # a response dropped unsent still closes its file

    async def prepare(self, request: web.BaseRequest) -> Optional[AbstractStreamWriter]:
        if self.prepared:
            return await super().prepare(request)
        writer = await super().prepare(request)
        try:
            for chunk in self._file.chunks():
                await self.write(chunk)
        except FileChanged:
            self.force_close()
            if request.transport is not None:
                request.transport.close()
            raise ConnectionResetError("the file changed while it was sent") from None
        finally:
            self._file.close()
        return writer


# -- validator-first --------------------------------------------------------------------------------

def _request_of(args: tuple[Any, ...]) -> web.BaseRequest:
    for arg in args[:2]:  # handler(request), View.get(self), Handlers.method(self, request)
        if isinstance(arg, web.BaseRequest):
            return arg
        if isinstance(arg, web.View):
            return arg.request
    raise TypeError("with_etag: the decorated handler was not given an aiohttp request or web.View")


def with_etag(validator: Validator) -> Callable[[F], F]:
    """Validator-first for a handler whose current tag is known before any body work.

    ``validator(request)`` (plain or async) returns the tag of the current representation (an
    :class:`~etagcore.ETag` or its header text), or None when there is none (then
    ``If-Match: *`` fails and ``If-None-Match: *`` passes). Failed preconditions answer 304
    (GET/HEAD) or 412 (any method) without running the handler; otherwise the handler runs and
    a 200 response it returns unprepared and without an ETag of its own gets the validator's
    (a ``web.FileResponse`` keeps the tag of its file, the middleware's or aiohttp's; a response
    with compression enabled gets none: aiohttp may send other bytes than the tag names).
    Decorates ``async def handler(request)``, methods of ``web.View`` (``async def get(self)``)
    and handler methods ``async def page(self, request)``. A malformed tag from the validator
    raises :class:`~etagcore.InvalidETagError` on every request alike.
    """

    def decorate(handler: F) -> F:
        @functools.wraps(handler)
        async def conditional_handler(*args: Any, **kwargs: Any) -> web.StreamResponse:
            request = _request_of(args)
            tag = validator(cast(web.Request, request))
            if inspect.isawaitable(tag):
                tag = await tag
            tag = _checked(cast(Union[ETag, str, None], tag))
            method = request.method
            outcome = evaluate_preconditions(method, request.raw_headers, etag=tag, exists=tag is not None)
            if outcome is not None:
                headers = {"ETag": str(tag)} if outcome == 304 and tag is not None else {"Content-Length": "0"}
                return web.Response(status=outcome, headers=headers)
            response = await handler(*args, **kwargs)
            if (tag is not None and (method == "GET" or method == "HEAD") and response.status == 200
                    and not response.prepared and "ETag" not in response.headers
                    and not isinstance(response, web.FileResponse)  # aiohttp replaces a file's tag
                    and not response.compression):  # the tag names the identity body, not aiohttp's gzip
                response.headers["ETag"] = str(tag)
            return response

        return cast(F, conditional_handler)

    return decorate
