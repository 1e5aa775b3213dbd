"""The uvicorn servers of the ASGI load benchmark (test_load_asgi.py): one Starlette app whose route
returns a 2 KiB HTML page, plain (``plain``) and with ETagMiddleware added Starlette's way
(``tagged``). ``python bench/load_asgi_app.py tagged`` binds 127.0.0.1 on a free port, prints the
port, then serves it with uvicorn as ``uvicorn load_asgi_app:tagged --workers 1 --no-access-log``
would (uvloop and httptools when installed, else asyncio and h11: see :data:`LOOP`, :data:`HTTP`).
"""

from __future__ import annotations

import importlib.util
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from etagcore.integrations.asgi import ETagMiddleware

BODY = (b"<!doctype html><title>load</title><p>" + bytes(range(97, 123)) * 80)[:2048]
LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
HTTP = "httptools" if importlib.util.find_spec("httptools") else "h11"


async def page(request: Request) -> Response:
    return HTMLResponse(BODY)


ROUTES = [Route("/", page)]
plain = Starlette(routes=ROUTES)
tagged = Starlette(routes=ROUTES, middleware=[Middleware(ETagMiddleware, strategy="xxh3-128")])
APPS = {"plain": plain, "tagged": tagged}


def serve(name: str) -> None:
    """Serve APPS[name] on 127.0.0.1, a free port printed first on stdout, until terminated."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(APPS[name], workers=1, access_log=False, log_level="warning", loop=LOOP, http=HTTP,
                            lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    serve(sys.argv[1])
