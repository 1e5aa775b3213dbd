"""Real servers on 127.0.0.1 for the integration tests, each in a thread that the context
manager stops: Tornado's HTTPServer, uvicorn (ASGI), wsgiref (WSGI) and Werkzeug's development
server (what ``flask run`` starts)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import uvicorn
import werkzeug.serving

TIMEOUT = 10


@contextlib.contextmanager
def tornado_server(app) -> Iterator[httpx.Client]:
    ready = threading.Event()
    state = {}

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        server = tornado.httpserver.HTTPServer(app)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        state.update(loop=tornado.ioloop.IOLoop.current(), server=server, port=sockets[0].getsockname()[1])
        ready.set()
        state["loop"].start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(TIMEOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{state['port']}", timeout=TIMEOUT) as client:
            yield client
    finally:
        state["loop"].add_callback(state["server"].stop)
        state["loop"].add_callback(state["loop"].stop)
        thread.join(TIMEOUT)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def _serving(server) -> Iterator[httpx.Client]:
    """A client of a socketserver-style *server* (serve_forever / shutdown) run in a thread."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=TIMEOUT) as client:
            yield client
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def wsgi_server(app) -> contextlib.AbstractContextManager[httpx.Client]:
    return _serving(make_server("127.0.0.1", 0, app, handler_class=_Quiet))


@contextlib.contextmanager
def asgi_server(app) -> Iterator[httpx.Client]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(TIMEOUT)


def werkzeug_server(app) -> contextlib.AbstractContextManager[httpx.Client]:
    """Werkzeug's development server, the one ``flask run`` starts."""
    return _serving(werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True))
