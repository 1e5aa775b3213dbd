"""ASGI: :class:`ETagMiddleware` tags 200 responses to GET/HEAD and answers their preconditions;
:func:`with_etag` decides 304/412 from a validator before the app runs; :class:`StaticFiles` serves
the files beneath a directory.

    app = ETagMiddleware(app, strategy="xxh3-128", max_body=8 << 20)

Same rules as the WSGI middleware: the body is buffered up to *max_body* bytes while the app
sends it and tagged in one call; a longer body streams through untagged; a response with its own
ETag is answered from that tag as soon as its start message arrives (the body messages the app
still sends are dropped on a 304/412); an encoded body is tagged as sent.

    app = Starlette(routes=[Mount("/static", app=StaticFiles(directory="static"))])
    app.mount("/static", StaticFiles(directory="static"))  # FastAPI

:class:`StaticFiles` is mounted as Starlette's own and is a thin frontend over
:class:`~etagcore.static.StaticSite`, which makes every decision (containment, tags,
preconditions, ranges, sidecars, caching headers).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Optional, Union

from .._types import StrPath
from ..conditional import evaluate_preconditions
from ..etag import ETag
from ..registry import StrategySpec
from ..static import Manifest, StaticSite, default_cache_control
from ..static.site import CacheControl, FileBody
from ..strategy import Strategy
from ..response import AsgiResponse, Policy, Reply, Skip
from ..response import checked_validator as _checked
from ..response import validator_reply, validator_tag
from ._common import DEFAULT_MAX_BODY, body_strategy, check_max_body

__all__ = ["ETagMiddleware", "with_etag", "StaticFiles"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _send_reply(send: Send, reply: Reply) -> None:
    await send({"type": "http.response.start", "status": reply.status, "headers": reply.headers})
    await send({"type": "http.response.body", "body": b"".join(reply.body) if reply.body else b""})


class ETagMiddleware:
    """Tags and conditional responses for an ASGI application (see the module docstring).

    *skip* ``(status, headers) -> bool`` names responses to pass through untouched and unbuffered
    (event streams always are).
    """

    def __init__(self, app: ASGIApp, strategy: str | Strategy = "sha1", max_body: int = DEFAULT_MAX_BODY,
                 skip: Optional[Skip] = None) -> None:
        self.app = app
        self.policy = Policy(body_strategy(strategy, "ETagMiddleware"), check_max_body(max_body, "ETagMiddleware"),
                             skip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"] != "GET" and scope["method"] != "HEAD"):
            await self.app(scope, receive, send)
            return
        # the app's messages go through the core as they come (etagcore.response.AsgiResponse)
        await self.app(scope, receive, AsgiResponse(self.policy, scope["method"], scope.get("headers", []), send).send_message)


def with_etag(validator: Callable[[Scope], ETag | str | None | Awaitable[ETag | str | None]]
              ) -> Callable[[ASGIApp], ASGIApp]:
    """Validator-first for an ASGI app: the rules of :func:`etagcore.integrations.wsgi.with_etag`.

    ``validator(scope)`` may be a plain or an async function.
    """

    def decorate(app: ASGIApp) -> ASGIApp:
        async def conditional_app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            tag = validator(scope)
            if inspect.isawaitable(tag):
                tag = await tag
            tag = _checked(tag)
            method = scope["method"]
            outcome = evaluate_preconditions(method, scope.get("headers", []), etag=tag, exists=tag is not None)
            if outcome is not None:
                await _send_reply(send, validator_reply(outcome, tag, binary=True))
                return
            if tag is None or method not in ("GET", "HEAD"):
                await app(scope, receive, send)
                return

            async def add_tag(message: Message) -> None:
                if message["type"] == "http.response.start" and message["status"] == 200:
                    headers = list(message.get("headers", []))
                    sent = validator_tag(tag, headers)
                    if sent is not None:
                        message = {**message, "headers": [*headers, (b"etag", sent.header_bytes())]}
                await send(message)

            await app(scope, receive, add_tag)

        return conditional_app

    return decorate


class StaticFiles:
    """An ASGI app serving the files beneath *directory*, mounted like ``starlette.staticfiles.StaticFiles``:
    ``Mount("/static", app=StaticFiles(directory="static"))`` or FastAPI's ``app.mount(...)``.

    Every rule (containment, tags, preconditions, ranges, sidecars, caching) is
    :class:`~etagcore.static.StaticSite`'s, built once here with these options (see there); a bad
    *directory* or *manifest* raises :class:`~etagcore.ConfigError` now. A URL that names no file
    gets the site's 404 (an ASGI app has nothing to fall through to). A file that changes while it
    is sent raises :class:`~etagcore.static.FileChanged` before its last bytes, so the server
    drops the connection and no client holds a complete body under another version's tag.
    """

    def __init__(
        self,
        directory: StrPath,
        *,
        strategy: StrategySpec = None,
        index: Optional[str] = "index.html",
        dotfiles: bool = False,
        cache_control: CacheControl = default_cache_control,
        precompressed: bool = True,
        manifest: Union[StrPath, Manifest, None] = None,
    ) -> None:
        self.site = StaticSite(directory, strategy=strategy, index=index, dotfiles=dotfiles,
                               cache_control=cache_control, precompressed=precompressed, manifest=manifest)

    def close(self) -> None:
        """Release the site's root descriptor and hashing threads (no request may follow)."""
        self.site.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close"})
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        # Starlette >= 0.33 keeps the mount in "path" and adds it to "root_path"; older ones strip it
        # themselves. Only a whole leading segment is cut, as Starlette's get_route_path() does.
        if root_path and path.startswith(root_path) and path[len(root_path):len(root_path) + 1] in ("", "/"):
            path = path[len(root_path):]
        query = scope.get("query_string", b"").decode("latin-1")
        reply = await self.site.respond_async(scope["method"], path, scope.get("headers", []), query)
        try:
            headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers]
            await send({"type": "http.response.start", "status": reply.status, "headers": headers})
            if isinstance(reply.body, FileBody):
                await _send_file(reply.body, receive, send)
            else:
                await send({"type": "http.response.body", "body": reply.body or b"", "more_body": False})
        finally:
            reply.close()


async def _send_file(body: FileBody, receive: Receive, send: Send) -> None:
    """Send *body* in chunks; stop early when the client disconnects.

    Not ``http.response.zerocopy``: the core's stat check must come before the last bytes go out,
    which only ``chunks()`` does; not ``http.response.pathsend``: a path string would undo the
    containment by descriptor. :class:`~etagcore.static.FileChanged` propagates, so the server
    closes the connection short of the body. uvicorn's ``send`` neither raises nor waits once the
    client is gone, so a disconnect is seen on ``receive`` (as Starlette's FileResponse does), or
    the rest of the file would be read on the event loop for nobody.
    """
    gone = asyncio.ensure_future(_disconnect(receive))
    try:
        for chunk in body.chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await asyncio.sleep(0)  # let the disconnect, if any, arrive
            if gone.done():
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        gone.cancel()


async def _disconnect(receive: Receive) -> None:
    with contextlib.suppress(Exception):
        while (await receive())["type"] != "http.disconnect":
            pass
