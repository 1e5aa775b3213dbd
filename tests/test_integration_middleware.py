"""The WSGI and ASGI middlewares on real servers (wsgiref, uvicorn), driven by httpx.

Each test runs the same scenario against both: the apps below are twins, one per protocol."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from etagcore import ConfigError, get_strategy
from etagcore.integrations import asgi, wsgi
from servers import asgi_server, wsgi_server

BODY = [b"<h1>hello</h1>", b"x" * 5000, b"end"]
WHOLE = b"".join(BODY)
SHA1 = '"%s"' % hashlib.sha1(WHOLE).hexdigest()
BIG = [b"y" * 4096] * 64  # 256 KiB, over the max_body used below
ZIPPED = gzip.compress(WHOLE, mtime=0)
EVENTS: list[str] = []  # what the apps report: body produced, close() called


def route(path: str, accept_encoding: str) -> tuple[list[tuple[str, str]], list[bytes]]:
    if path == "/big":
        return [("Content-Type", "application/octet-stream")], BIG
    if path == "/own":
        return [("Content-Type", "text/plain"), ("ETag", '"v7"')], [b"version 7"]
    if path == "/zip" and "gzip" in accept_encoding:
        return [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")], [ZIPPED]
    return [("Content-Type", "text/html"), ("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")], BODY


def wsgi_app(environ, start_response):
    headers, body = route(environ["PATH_INFO"], environ.get("HTTP_ACCEPT_ENCODING", ""))
    start_response("200 OK", headers)
    return Body(body)


class Body:
    """A WSGI iterable that records whether it was read and closed."""

    def __init__(self, chunks):
        self.chunks = chunks

    def __iter__(self):
        EVENTS.append("body")
        yield from self.chunks

    def close(self):
        EVENTS.append("close")


async def asgi_app(scope, receive, send):
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    response_headers, body = route(scope["path"], headers.get("accept-encoding", ""))
    await send({"type": "http.response.start", "status": 200,
                "headers": [(k.lower().encode(), v.encode()) for k, v in response_headers]})
    EVENTS.append("body")
    for i, chunk in enumerate(body):
        await send({"type": "http.response.body", "body": chunk, "more_body": i < len(body) - 1})


def server(kind: str, strategy: str = "sha1", max_body: int = 64 << 10):
    if kind == "wsgi":
        return wsgi_server(wsgi.ETagMiddleware(wsgi_app, strategy=strategy, max_body=max_body))
    return asgi_server(asgi.ETagMiddleware(asgi_app, strategy=strategy, max_body=max_body))


KINDS = ["wsgi", "asgi"]


@pytest.mark.parametrize("kind", KINDS)
def test_tag_and_304_on_strong_and_weak_matches(kind):
    with server(kind) as client:
        first = client.get("/")
        assert first.status_code == 200 and first.content == WHOLE
        assert first.headers["ETag"] == SHA1 and first.headers["Content-Length"] == str(len(WHOLE))
        for header in (SHA1, "W/" + SHA1, '"a", ' + SHA1, "*"):
            again = client.get("/", headers={"If-None-Match": header})
            assert again.status_code == 304 and again.content == b"", header
            assert again.headers["ETag"] == SHA1
            assert again.headers["Cache-Control"] == "max-age=60" and again.headers["Vary"] == "Accept-Encoding"
            assert "Content-Type" not in again.headers


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_or_non_matching_lists_get_the_body(kind):
    with server(kind) as client:
        for header in ('"other"', "garbage", SHA1[:-1], '"a" "b"', ",,,", 'W/"x", "y"'):
            response = client.get("/", headers={"If-None-Match": header})
            assert response.status_code == 200 and response.content == WHOLE, header


@pytest.mark.parametrize("kind", KINDS)
def test_if_match_failure_is_412(kind):
    with server(kind) as client:
        assert client.get("/", headers={"If-Match": SHA1}).status_code == 200
        failed = client.get("/", headers={"If-Match": '"other"'})
        assert failed.status_code == 412 and failed.content == b"" and "ETag" not in failed.headers
        assert client.get("/", headers={"If-Match": "W/" + SHA1}).status_code == 412  # strong comparison


@pytest.mark.parametrize("kind", KINDS)
def test_head_has_the_get_tag_and_no_body(kind):
    with server(kind) as client:
        head = client.head("/")
        assert head.status_code == 200 and head.content == b"" and head.headers["ETag"] == SHA1
        assert client.head("/", headers={"If-None-Match": SHA1}).status_code == 304


@pytest.mark.parametrize("kind", KINDS)
def test_body_over_max_body_streams_untagged(kind):
    with server(kind, max_body=64 << 10) as client:
        response = client.get("/big")
        assert response.status_code == 200 and response.content == b"".join(BIG)
        assert "ETag" not in response.headers
    with server(kind, max_body=1 << 20) as client:  # the same body under the limit is tagged
        assert client.get("/big").headers["ETag"] == str(get_strategy("sha1").tag(BIG))


@pytest.mark.parametrize("kind", KINDS)
def test_app_set_etag_is_kept_and_its_body_not_consumed_on_304(kind):
    with server(kind) as client:
        assert client.get("/own").headers["ETag"] == '"v7"'
        EVENTS.clear()
        response = client.get("/own", headers={"If-None-Match": '"v7"'})
        assert response.status_code == 304 and response.headers["ETag"] == '"v7"'
        if kind == "wsgi":
            assert EVENTS == ["close"]  # never iterated, still closed
        assert client.get("/own", headers={"If-Match": '"v6"'}).status_code == 412


@pytest.mark.parametrize("kind", KINDS)
def test_content_encoding_gets_a_distinct_tag(kind):
    with server(kind) as client:
        identity = client.get("/zip", headers={"Accept-Encoding": "identity"})
        zipped = client.get("/zip", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip" and zipped.content == WHOLE
        assert identity.headers["ETag"] != zipped.headers["ETag"]
        assert zipped.headers["ETag"] == '"%s"' % hashlib.sha1(ZIPPED).hexdigest()
        assert client.get("/zip", headers={"Accept-Encoding": "gzip",
                                           "If-None-Match": zipped.headers["ETag"]}).status_code == 304
        assert client.get("/zip", headers={"Accept-Encoding": "gzip",
                                           "If-None-Match": identity.headers["ETag"]}).status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_other_methods_and_statuses_pass_through(kind):
    with server(kind) as client:
        response = client.post("/")
        assert response.status_code == 200 and "ETag" not in response.headers and response.content == WHOLE


# validator-first: the app body runs only when the preconditions pass
STORE = {"version": '"v1"', "calls": 0}


def wsgi_store(environ, start_response):
    STORE["calls"] += 1
    if environ["REQUEST_METHOD"] in ("PUT", "DELETE"):
        STORE["version"] = '"v2"'
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"document"]


async def asgi_store(scope, receive, send):
    STORE["calls"] += 1
    if scope["method"] in ("PUT", "DELETE"):
        STORE["version"] = '"v2"'
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"document"})


async def async_version(scope):
    return STORE["version"]


@pytest.mark.parametrize("kind", KINDS)
def test_validator_first(kind):
    STORE.update(version='"v1"', calls=0)
    if kind == "wsgi":
        app = wsgi_server(wsgi.with_etag(lambda environ: STORE["version"])(wsgi_store))
    else:
        app = asgi_server(asgi.with_etag(async_version)(asgi_store))
    with app as client:
        assert client.get("/", headers={"If-None-Match": '"v1"'}).status_code == 304
        assert STORE["calls"] == 0
        response = client.get("/")
        assert response.headers["ETag"] == '"v1"' and response.content == b"document" and STORE["calls"] == 1
        assert client.put("/", headers={"If-Match": '"v0"'}).status_code == 412
        assert client.delete("/", headers={"If-Match": '"v0"'}).status_code == 412
        assert STORE["calls"] == 1 and STORE["version"] == '"v1"'
        assert client.put("/", headers={"If-Match": '"v1"'}).status_code == 200
        assert STORE["version"] == '"v2"'


@pytest.mark.parametrize("module", [wsgi, asgi])
def test_bad_configuration_is_named(module):
    with pytest.raises(ConfigError, match="cannot tag response bodies"):
        module.ETagMiddleware(wsgi_app, strategy="stat")
    with pytest.raises(ConfigError, match="max_body"):
        module.ETagMiddleware(wsgi_app, max_body=-1)
    with pytest.raises(ConfigError, match="nope"):
        module.ETagMiddleware(wsgi_app, strategy="nope")
