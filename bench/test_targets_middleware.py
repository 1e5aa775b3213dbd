"""What the response-tagging middlewares add to a request (issue 11), in-process, 2 KiB HTML body,
against the peer a user would otherwise run. "Added" is the time with the middleware minus the
time of the same app without it, both measured in the same interleaved round (paired.added_ratio:
this thread's CPU time, best of rotating batches); the ratio is the median over rounds of
ours/peer. Run: pytest bench/test_targets_middleware.py -s

Targets: ASGI middleware <= 0.5x the added time of a naive buffer-and-md5 middleware; WSGI
middleware <= 0.25x the added time of Django's ConditionalGetMiddleware (on a Django app).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, Callable

import pytest

from etagcore.integrations import asgi, wsgi
from paired import added_ratio

BODY = (b"<!doctype html><p>" + bytes(range(97, 123)) * 80)[:2048]
PER_ROUND = 1000  # requests per timed batch


# -- ASGI ------------------------------------------------------------------------------------------

async def asgi_page(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", b"2048")]})
    await send({"type": "http.response.body", "body": BODY})


class NaiveMD5:
    """What many projects write: buffer the whole body, md5 it, compare If-None-Match as a string."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                body.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        data = b"".join(body)
        tag = ('"%s"' % hashlib.md5(data).hexdigest()).encode()
        if dict(scope["headers"]).get(b"if-none-match") == tag:
            await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", tag)]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": [*start["headers"], (b"etag", tag)]})
        await send({"type": "http.response.body", "body": data})


def asgi_runner(app: Any, headers: list[tuple[bytes, bytes]]) -> Callable[[], None]:
    loop = asyncio.new_event_loop()
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    statuses: list[int] = []

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def batch() -> None:
        for _ in range(PER_ROUND):
            await app(scope, None, send)

    def run() -> None:
        statuses.clear()
        loop.run_until_complete(batch())

    return run


REQUEST = [(b"host", b"example.com"), (b"user-agent", b"bench"), (b"accept", b"*/*"),
           (b"accept-encoding", b"gzip, br"), (b"cookie", b"session=abc")]


def _asgi_tag(app: Any) -> bytes:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": "GET", "path": "/", "headers": REQUEST}, None, send))
    return dict(sent[0]["headers"])[b"etag"]


@pytest.mark.parametrize("status", [200, 304])
def test_asgi_middleware_against_a_naive_md5_middleware(status, record_property):
    ours, naive = asgi.ETagMiddleware(asgi_page, strategy="xxh3-128"), NaiveMD5(asgi_page)
    ours_request, naive_request = list(REQUEST), list(REQUEST)
    if status == 304:
        ours_request.append((b"if-none-match", _asgi_tag(ours)))
        naive_request.append((b"if-none-match", _asgi_tag(naive)))
    result = added_ratio(asgi_runner(asgi_page, ours_request), asgi_runner(ours, ours_request),
                         asgi_runner(asgi_page, naive_request), asgi_runner(naive, naive_request), PER_ROUND)
    record_property("ratio", result["ratio"])
    print(f"\nASGI {status}: etagcore adds {result['ours'] * 1e6:.1f} us, naive md5 adds {result['peer'] * 1e6:.1f} us, "
          f"ratio {result['ratio']:.2f} (target <= 0.5)")
    assert result["ratio"] <= 0.5


# -- WSGI ------------------------------------------------------------------------------------------

def wsgi_page(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "2048")])
    return [BODY]


def _environ(extra: dict[str, str]) -> dict[str, Any]:
    import io
    import sys

    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "bench", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "bench",
            "HTTP_USER_AGENT": "bench", "HTTP_ACCEPT": "*/*", "HTTP_ACCEPT_ENCODING": "gzip, br",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False, **extra}


def wsgi_runner(app: Any, extra: dict[str, str]) -> Callable[[], None]:
    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        pass

    def run() -> None:
        for _ in range(PER_ROUND):
            result = app(_environ(extra), start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return run


def django_apps() -> tuple[Any, Any]:
    """The same Django view without and with django.middleware.http.ConditionalGetMiddleware."""
    django = pytest.importorskip("django")
    from django.conf import settings

    if not settings.configured:
        settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="bench",
                           MIDDLEWARE=[], USE_TZ=True)
        django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    from django.test.utils import override_settings

    # each handler reads MIDDLEWARE when it is built; set both ways explicitly, restored after
    # (a second call once built its "bare" handler with the first call's middleware left set)
    with override_settings(MIDDLEWARE=[]):
        bare = WSGIHandler()
    with override_settings(MIDDLEWARE=["django.middleware.http.ConditionalGetMiddleware"]):
        conditional = WSGIHandler()
    return bare, conditional


def _page(request: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


def _urlpatterns() -> list[Any]:
    from django.urls import path

    return [path("", _page)]


def __getattr__(name: str) -> Any:  # Django reads urlpatterns from ROOT_URLCONF lazily
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def _wsgi_tag(app: Any) -> str:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        seen.update(headers)

    result = app(_environ({}), start_response)
    b"".join(result)
    return seen.get("ETag") or seen["Etag"]


@pytest.mark.parametrize("status", [200, 304])
def test_wsgi_middleware_against_django_conditional_get(status, record_property):
    django_bare, django_conditional = django_apps()
    ours = wsgi.ETagMiddleware(wsgi_page, strategy="xxh3-128")
    ours_extra: dict[str, str] = {}
    django_extra: dict[str, str] = {}
    if status == 304:
        ours_extra = {"HTTP_IF_NONE_MATCH": _wsgi_tag(ours)}
        django_extra = {"HTTP_IF_NONE_MATCH": _wsgi_tag(django_conditional)}
    result = added_ratio(wsgi_runner(wsgi_page, ours_extra), wsgi_runner(ours, ours_extra),
                         wsgi_runner(django_bare, django_extra), wsgi_runner(django_conditional, django_extra),
                         PER_ROUND)
    record_property("ratio", result["ratio"])
    print(f"\nWSGI {status}: etagcore adds {result['ours'] * 1e6:.1f} us, Django ConditionalGetMiddleware adds "
          f"{result['peer'] * 1e6:.1f} us, ratio {result['ratio']:.2f} (target <= 0.25)")
    assert result["peer"] > 0, "Django's added time is not positive: the added-time ratio is undefined"
    assert result["ratio"] <= 0.25
