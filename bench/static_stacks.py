"""In-process static-file requests, etagcore's frontends and their peers on the same files.

Each ``*_stack`` function returns ``run(conditional: bool) -> callable``; the callable serves
:data:`BATCH` requests for a 2 KiB file (a 200, or with ``conditional`` a 304 from the ETag the
stack itself sent) and checks the first answer. No sockets: the requests go straight into the
framework (Tornado's ``HTTPServerRequest`` and handler delegate, an ASGI call, a WSGI call), so
the numbers are what the frontend costs, not the network's.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

BATCH = 50
FILE = "page.html"
BODY = (b"<!doctype html><p>" + bytes(range(97, 123)) * 80)[:2048]


def make_tree(root: str) -> str:
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, FILE)
    with open(path, "wb") as f:
        f.write(BODY)
    old = time.time() - 3600
    os.utime(path, (old, old))
    return root


def settle() -> None:
    """etagcore gives no validator to a file changed within the last second."""
    time.sleep(1.1)


# -- Tornado -------------------------------------------------------------------------------------

class _Connection:
    """The least a Tornado handler needs to answer a request in memory."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: Any = None
        self.body: list[bytes] = []

    def set_close_callback(self, callback: Any) -> None:
        pass

    def write_headers(self, start_line: Any, headers: Any, chunk: bytes | None = None) -> Any:
        self.status, self.headers = start_line.code, headers
        if chunk:
            self.body.append(chunk)
        return _done()

    def write(self, chunk: bytes) -> Any:
        self.body.append(chunk)
        return _done()

    def finish(self) -> None:
        pass


def _done() -> "asyncio.Future[None]":
    future = asyncio.get_event_loop().create_future()
    future.set_result(None)
    return future


def tornado_requester(app: Any, uri: str) -> Callable[[dict[str, str]], Any]:
    """An async function answering one in-memory GET of *uri* with these request headers."""
    import tornado.httputil

    async def one(headers: dict[str, str]) -> _Connection:
        connection = _Connection()
        request = tornado.httputil.HTTPServerRequest("GET", uri, headers=tornado.httputil.HTTPHeaders(headers),
                                                     connection=connection)
        delegate = app.find_handler(request)
        handler = delegate.handler_class(app, request, **delegate.handler_kwargs)
        await handler._execute([t(request) for t in app.transforms], *delegate.path_args)
        return connection

    return one


def tornado_stack(root: str, handler: Any, **settings: Any) -> Callable[[bool], Callable[[], None]]:
    import tornado.web

    app = tornado.web.Application([(r"/static/(.*)", handler, {"path": root})], **settings)
    return tornado_app_stack(app, "/static/" + FILE, BODY)


def tornado_app_stack(app: Any, uri: str, body: bytes) -> Callable[[bool], Callable[[], None]]:
    """``run(conditional)`` for GETs of *uri* on the Tornado *app*, whose 200 must be *body*."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    one = tornado_requester(app, uri)

    def run(conditional: bool) -> Callable[[], None]:
        first = loop.run_until_complete(one({}))
        assert first.status == 200 and b"".join(first.body) == body
        headers = {"If-None-Match": first.headers["Etag"]} if conditional else {}
        expected = 304 if conditional else 200

        async def batch() -> None:
            answer = await one(headers)
            assert answer.status == expected, answer.status
            for _ in range(BATCH - 1):
                await one(headers)

        return lambda: loop.run_until_complete(batch())

    return run


# -- ASGI ----------------------------------------------------------------------------------------

def asgi_stack(app: Any) -> Callable[[bool], Callable[[], None]]:
    loop = asyncio.new_event_loop()

    async def one(headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[bytes, bytes], bytes]:
        sent: list[dict[str, Any]] = []
        received: list[bool] = []

        async def receive() -> dict[str, Any]:  # the request, then nothing until the app stops listening
            if not received:
                received.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Future()
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": "/" + FILE, "raw_path": b"/" + FILE.encode(), "root_path": "",
                 "query_string": b"", "headers": headers, "server": ("127.0.0.1", 80),
                 "client": ("127.0.0.1", 5000)}
        await app(scope, receive, send)
        start = sent[0]
        body = b"".join(m.get("body", b"") for m in sent[1:])
        return start["status"], dict(start["headers"]), body

    def run(conditional: bool) -> Callable[[], None]:
        status, headers, body = loop.run_until_complete(one([(b"host", b"bench")]))
        assert status == 200 and body == BODY, status
        request = [(b"host", b"bench")]
        if conditional:
            request.append((b"if-none-match", headers[b"etag"]))
        expected = 304 if conditional else 200

        async def batch() -> None:
            answer = await one(request)
            assert answer[0] == expected, answer[0]
            for _ in range(BATCH - 1):
                await one(request)

        return lambda: loop.run_until_complete(batch())

    return run


# -- WSGI ----------------------------------------------------------------------------------------

def wsgi_stack(app: Any) -> Callable[[bool], Callable[[], None]]:
    def one(extra: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, dict(headers)]
            return None

        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/static/" + FILE, "SCRIPT_NAME": "", "QUERY_STRING": "",
                   "SERVER_NAME": "bench", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "bench",
                   "wsgi.url_scheme": "http", "wsgi.input": None, "wsgi.errors": None, "wsgi.multithread": True,
                   "wsgi.multiprocess": False, "wsgi.run_once": False, **extra}
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return answer[0], answer[1], body

    def run(conditional: bool) -> Callable[[], None]:
        status, headers, body = one({})
        assert status.startswith("200") and body == BODY, status
        tag = headers.get("ETag") or headers.get("Etag")
        extra = {"HTTP_IF_NONE_MATCH": tag} if conditional else {}
        expected = "304" if conditional else "200"

        def batch() -> None:
            assert one(extra)[0].startswith(expected)
            for _ in range(BATCH - 1):
                one(extra)

        return batch

    return run


def not_found_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("404 Not Found", [("Content-Length", "0")])
    return []
