"""The sans-IO conditional response and its adapters on real servers with real apps: HEAD, own
tags, event streams, max_body, 304/412 header sets, extension messages, close()."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
import tornado.web

from etagcore import get_strategy
from etagcore.integrations import asgi, wsgi
from etagcore.integrations.tornado import ETagMixin
from etagcore.response import BUFFER, FLUSH, PASS, ConditionalResponse, Policy
from readme import example
from servers import asgi_server, tornado_server, wsgi_server

SHA1 = get_strategy("sha1")
POLICY = Policy(SHA1, max_body=1024)
BODY = b"<h1>page</h1>"
TAG = str(SHA1.tag(BODY))


def run(method, status, headers, chunks, request=None, policy=POLICY):
    """Feed a whole response through the core; the reply, or the action that ended it."""
    conditional = ConditionalResponse(policy, method, request or {})
    action = conditional.start(status, headers)
    if action is not BUFFER:
        return action
    for chunk in chunks:
        if conditional.feed(chunk) is FLUSH:
            return FLUSH
    return conditional.finish()


def test_get_is_tagged_and_revalidated():
    reply = run("GET", 200, [("Content-Type", "text/html")], [BODY])
    assert reply.status == 200 and ("ETag", TAG) in reply.headers and ("Content-Length", str(len(BODY))) in reply.headers
    not_modified = run("GET", 200, [("Content-Type", "text/html"), ("Cache-Control", "max-age=60")], [BODY],
                       {"If-None-Match": TAG})
    assert not_modified.status == 304 and not_modified.body is None
    assert not_modified.headers == [("Cache-Control", "max-age=60"), ("ETag", TAG)]


@pytest.mark.parametrize("headers, chunks", [
    ([("Content-Length", str(len(BODY)))], []),  # Werkzeug's HEAD: the length, no body
    ([], []),  # no body and no length: GET's body is unknown
])
def test_head_without_get_body_gets_no_tag(headers, chunks):
    reply = run("HEAD", 200, headers, chunks, {"If-None-Match": str(SHA1.tag(b""))})
    assert reply.status == 200 and not any(k == "ETag" for k, _ in reply.headers)


def test_head_with_the_get_body_gets_the_get_tag():
    assert ("ETag", TAG) in run("HEAD", 200, [], [BODY]).headers
    assert run("HEAD", 200, [], [BODY], {"If-None-Match": TAG}).status == 304
    assert ("ETag", str(SHA1.tag(b""))) in run("HEAD", 200, [("Content-Length", "0")], []).headers


def test_a_body_that_disagrees_with_its_length_is_not_tagged():
    reply = run("GET", 200, [("Content-Length", "99")], [BODY])
    assert reply.status == 200 and not any(k == "ETag" for k, _ in reply.headers) and reply.body == [BODY]


def test_max_body_bounds_the_first_chunk():
    assert run("GET", 200, [], [b"x" * 1025]) is FLUSH
    assert run("GET", 200, [("Content-Length", "1025")], [b"x" * 1025]) is PASS


def test_own_tags_pass_through_and_malformed_ones_are_no_validator():
    for own in ("v1", '"v1', 'W/v1', "\x00"):
        assert run("GET", 200, [("ETag", own)], [BODY], {"If-None-Match": own, "If-Match": '"x"'}) is PASS
    assert run("GET", 200, [("ETag", '"v1"')], [BODY], {"If-None-Match": '"v1"'}).status == 304


def test_event_streams_skips_and_other_statuses_pass():
    assert run("GET", 200, [("Content-Type", "text/event-stream; charset=utf-8")], [BODY]) is PASS
    skipping = Policy(SHA1, 1024, skip=lambda status, headers: ("X-No-ETag", "1") in headers)
    assert run("GET", 200, [("X-No-ETag", "1")], [BODY], policy=skipping) is PASS
    assert run("GET", 404, [], [BODY]) is PASS and run("POST", 200, [], [BODY]) is PASS


def test_412_carries_no_freshness_or_content_fields():
    headers = [("Content-Type", "text/html"), ("Cache-Control", "max-age=60"), ("Expires", "x"),
               ("Vary", "Accept"), ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")]
    reply = run("GET", 200, headers, [BODY], {"If-Match": '"other"'})
    assert reply.status == 412 and reply.headers == [("Vary", "Accept"), ("Content-Length", "0")]


# -- real apps on real servers ---------------------------------------------------------------------


def flask_app():
    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)

    @app.route("/")
    def page():
        return "<h1>flask page</h1>"

    @app.route("/own")
    def own():
        return "own", 200, {"ETag": "v1"}  # unquoted: not an entity-tag

    app.wsgi_app = wsgi.ETagMiddleware(app.wsgi_app, strategy="sha1")  # the Flask object stays
    return app


def test_flask_head_never_earns_a_wrong_304():
    app = flask_app()
    assert app.test_client().get("/").headers["ETag"]  # test_client still works
    with wsgi_server(app) as client:
        get = client.get("/")
        head = client.head("/")
        assert head.status_code == 200 and head.content == b""
        assert head.headers.get("ETag") in (None, get.headers["ETag"])
        empty_tag = str(SHA1.tag(b""))
        assert client.get("/", headers={"If-None-Match": empty_tag}).status_code == 200
        assert client.head("/", headers={"If-None-Match": empty_tag}).status_code == 200
        assert client.get("/", headers={"If-None-Match": get.headers["ETag"]}).status_code == 304


def test_unquoted_own_tags_never_500():
    app = flask_app()

    async def asgi_app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b"v1")]})
        await send({"type": "http.response.body", "body": b"own"})

    class Own(ETagMixin, tornado.web.RequestHandler):
        def get(self):
            self.set_header("Etag", "v1")
            self.write("own")

    for serve, target in ((wsgi_server, app), (asgi_server, asgi.ETagMiddleware(asgi_app)),
                          (tornado_server, tornado.web.Application([("/own", Own)]))):
        with serve(target) as client:
            for headers in ({"If-None-Match": "v1"}, {"If-Match": '"x"'}, {"If-None-Match": '"v1"'}):
                response = client.get("/own", headers=headers)
                assert response.status_code == 200 and response.content == b"own", (serve, headers)


def test_wsgiref_304s_carry_no_zero_content_length():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [BODY]

    validated = wsgi.with_etag(lambda environ: TAG)(app)
    for target in (wsgi.ETagMiddleware(app, strategy="sha1"), validated):
        with wsgi_server(target) as client:
            response = client.get("/", headers={"If-None-Match": TAG})
            assert response.status_code == 304
            assert response.headers.get("Content-Length") in (None, str(len(BODY)))


def test_wsgi_close_reaches_the_app_exactly_once():
    closed = []

    class Body:
        def __init__(self, chunks):
            self.chunks = chunks

        def __iter__(self):
            return iter(self.chunks)

        def close(self):
            closed.append(1)

    def app(environ, start_response):
        start_response("200 OK", [("ETag", '"v1"')] if environ["PATH_INFO"] == "/own" else [])
        return Body([b"x" * 600, b"y" * 600] if environ["PATH_INFO"] == "/big" else [BODY])

    middleware = wsgi.ETagMiddleware(app, strategy="sha1", max_body=1024)
    with wsgi_server(middleware) as client:
        for path, headers in (("/", {}), ("/", {"If-None-Match": TAG}), ("/own", {"If-None-Match": '"v1"'}),
                              ("/big", {}), ("/own", {})):
            closed.clear()
            client.get(path, headers=headers)
            assert closed == [1], (path, headers)


def test_an_event_stream_is_not_held_back():
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    async def events(request):
        async def stream():
            for i in range(3):
                yield f"data: {i}\n\n".encode()
                await asyncio.sleep(0.4)

        return StreamingResponse(stream(), media_type="text/event-stream")

    app = asgi.ETagMiddleware(Starlette(routes=[Route("/events", events)]))
    with asgi_server(app) as client:
        start = time.monotonic()
        with client.stream("GET", "/events") as response:
            first = next(response.iter_bytes())
            arrived = time.monotonic() - start
            assert first.startswith(b"data: 0") and "etag" not in response.headers
        assert arrived < 0.35, f"the first event waited {arrived:.2f} s"


@pytest.mark.parametrize("value", ["no", "No", " no "])
def test_a_route_opts_out_with_x_accel_buffering_no(value):
    assert run("GET", 200, [("Content-Type", "text/plain"), ("X-Accel-Buffering", value)], [BODY]) is PASS
    assert run("GET", 200, [("X-Accel-Buffering", "yes")], [BODY]).headers[-2] == ("ETag", TAG)


def test_a_long_poll_marked_x_accel_buffering_no_is_not_held_back():
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    async def progress(request):
        async def stream():
            for i in range(3):
                yield f"step {i}\n".encode()
                await asyncio.sleep(0.4)

        return StreamingResponse(stream(), media_type="text/plain", headers={"X-Accel-Buffering": "no"})

    with asgi_server(asgi.ETagMiddleware(Starlette(routes=[Route("/progress", progress)]))) as client:
        start = time.monotonic()
        with client.stream("GET", "/progress") as response:
            first = next(response.iter_bytes())
            arrived = time.monotonic() - start
            assert first.startswith(b"step 0") and "etag" not in response.headers
        assert arrived < 0.35, f"the first chunk waited {arrived:.2f} s"


def test_asgi_extension_messages_keep_their_order():
    sent = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        await send({"type": "http.response.pathsend", "path": "/tmp/x"})

    async def send(message):
        sent.append(message["type"])

    scope = {"type": "http", "method": "GET", "headers": []}
    asyncio.run(asgi.ETagMiddleware(app)(scope, None, send))
    assert sent == ["http.response.start", "http.response.body", "http.response.pathsend"]


def test_the_readmes_starlette_compression_example():
    """ETagMiddleware outermost, compression inside it: the tag describes the bytes sent (gzip or
    not), and each encoding earns its own 304. Run as the README shows it."""
    namespace: dict = {}
    exec(example("starlette-gzip"), namespace)
    page = ("<p>" + "compressible " * 200).encode()
    with asgi_server(namespace["app"]) as client:
        zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
        plain = client.get("/", headers={"Accept-Encoding": "identity"})
        assert zipped.headers["Content-Encoding"] == "gzip" and "content-encoding" not in plain.headers
        assert zipped.headers["ETag"] != plain.headers["ETag"] == str(get_strategy("xxh3-128").tag(page))
        again = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
        assert again.status_code == 304
        # the identity tag does not validate the gzip bytes
        assert client.get("/", headers={"Accept-Encoding": "gzip",
                                        "If-None-Match": plain.headers["ETag"]}).status_code == 200


def test_the_readmes_tornado_compression_example():
    namespace: dict = {}
    exec(example("tornado-gzip"), namespace)
    page = ("<p>" + "compressible " * 200).encode()
    identity_tag = str(get_strategy("xxh3-128").tag(page))
    with tornado_server(namespace["app"]) as client:
        zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
        plain = client.get("/", headers={"Accept-Encoding": "identity"})
        assert zipped.headers["Content-Encoding"] == "gzip" and zipped.content == page
        assert plain.headers["Etag"] == identity_tag and zipped.headers["Etag"] == "W/" + identity_tag[:-1] + '-gzip"'
        again = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["Etag"]})
        assert again.status_code == 304
        assert client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": identity_tag}).status_code == 200


# -- found by attacking the middlewares ------------------------------------------------------------


def test_a_status_replaced_with_exc_info_is_neither_tagged_nor_304():
    import sys

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        try:
            raise ValueError("boom")
        except ValueError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        yield b"error"

    with wsgi_server(wsgi.ETagMiddleware(app)) as client:
        for headers in ({}, {"If-None-Match": "*"}):
            response = client.get("/", headers=headers)
            assert response.status_code == 500 and "etag" not in response.headers


def test_write_and_an_iterable_keep_their_order():
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"a"
        write(b"b")
        yield b"c"

    with wsgi_server(wsgi.ETagMiddleware(app)) as client:
        response = client.get("/")
        assert response.status_code == 200 and response.content == b"abc" and "etag" not in response.headers


class _WritesInIter:
    """An iterable that calls start_response and write() inside __iter__, then yields."""

    def __init__(self, environ, start_response):
        self.start_response = start_response

    def __iter__(self):
        write = self.start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"first-")
        yield b"second-"
        yield b"third"


def _writes_before_its_first_yield(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"first-")
    yield b"second-"
    yield b"third"


@pytest.mark.parametrize("app", [_writes_before_its_first_yield, _WritesInIter])
def test_write_before_the_first_chunk_loses_nothing(app):
    with wsgi_server(wsgi.ETagMiddleware(app)) as client:
        response = client.get("/")
        assert response.content == b"first-second-third" and "etag" not in response.headers


def test_exc_info_after_body_bytes_is_raised_again():
    """PEP 3333: once the app has yielded body bytes, the headers are out as far as it knows; a
    later start_response(..., exc_info) must raise, not replace the status under a wrong length."""
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial-200-body;"
        try:
            raise ValueError("boom")
        except ValueError:
            start_response("500 Internal Server Error", [("Content-Length", "10")], sys.exc_info())
        yield b"error page"

    seen = []
    with pytest.raises(ValueError, match="boom"):
        list(wsgi.ETagMiddleware(app)({"REQUEST_METHOD": "GET"}, lambda status, headers, exc_info=None: seen.append(status)))
    assert seen == []  # nothing was sent under either status


def test_with_etag_gives_an_encoded_body_the_variant_tag():
    def gzipped(environ, start_response):
        start_response("200 OK", [("Content-Encoding", "gzip"), ("Content-Type", "text/plain")])
        return [b"\x1f\x8b..."]

    def plain(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"body"]

    for app, expected in ((gzipped, 'W/"v1-gzip"'), (plain, '"v1"')):
        sent = {}
        body = wsgi.with_etag(lambda environ: '"v1"')(app)({"REQUEST_METHOD": "GET"},
                                                           lambda status, headers, exc_info=None: sent.update(headers))
        assert b"".join(body) and sent["ETag"] == expected


def test_a_close_that_raises_is_still_called_once():
    calls = []

    class Body(list):
        def close(self):
            calls.append(1)
            raise RuntimeError("close failed")

    def app(environ, start_response):
        start_response("200 OK", [("ETag", '"v1"')])
        return Body([b"x"])

    middleware = wsgi.ETagMiddleware(app)
    environ = {"REQUEST_METHOD": "GET", "wsgi.version": (1, 0), "HTTP_IF_NONE_MATCH": '"v1"'}
    with pytest.raises(RuntimeError):
        middleware(environ, lambda status, headers, exc_info=None: None)
    assert calls == [1]


def test_mixed_spellings_in_a_plain_dict():
    from etagcore import evaluate_preconditions

    headers = {"If-Modified-Since": "Sun, 06 Nov 2094 08:49:37 GMT", "if-none-match": '"old"'}
    assert evaluate_preconditions("GET", headers, etag='"cur"', last_modified="Sun, 06 Nov 1994 08:49:37 GMT") is None
    assert evaluate_preconditions("GET", {"IF-MATCH": '"x"', "If-None-Match": '"cur"'}, etag='"cur"') == 412


def test_an_unreadable_last_modified_is_no_date():
    from etagcore import evaluate_preconditions

    for field in ("If-Modified-Since", "If-Unmodified-Since"):
        assert evaluate_preconditions("GET", {field: "Sun, 06 Nov 1994 08:49:37 GMT"}, last_modified="yesterday") is None

    class Page(ETagMixin, tornado.web.RequestHandler):
        def get(self):
            self.set_header("Last-Modified", "yesterday")
            self.write("page")

    with tornado_server(tornado.web.Application([("/", Page)])) as client:
        assert client.get("/", headers={"If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}).status_code == 200


def test_tornado_412_drops_the_200s_fields():
    class Page(ETagMixin, tornado.web.RequestHandler):
        def get(self):
            self.set_header("Cache-Control", "max-age=60")
            self.set_header("Expires", "Thu, 01 Dec 2094 16:00:00 GMT")
            self.set_header("Content-Language", "en")
            self.write("page")

    with tornado_server(tornado.web.Application([("/", Page)])) as client:
        failed = client.get("/", headers={"If-Match": '"x"'})
        assert failed.status_code == 412
        assert not {"cache-control", "expires", "content-type", "content-language", "etag"} & set(failed.headers)


def test_asgi_start_headers_may_be_any_iterable():
    sent = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": iter([(b"content-type", b"text/plain"), (b"x-app", b"1")])})
        await send({"type": "http.response.body", "body": b"hello"})

    async def send(message):
        sent.append(message)

    asyncio.run(asgi.ETagMiddleware(app)({"type": "http", "method": "GET", "headers": []}, None, send))
    headers = dict(sent[0]["headers"])
    assert headers[b"x-app"] == b"1" and headers[b"content-type"] == b"text/plain" and b"etag" in headers


def test_an_own_tag_on_an_encoded_body_gets_a_tag_of_its_own(tmp_path):
    """Starlette's FileResponse sets a tag for the file; GZipMiddleware inside compresses the body
    and keeps that tag. The two variants must not share it."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.responses import FileResponse
    from starlette.routing import Route

    path = tmp_path / "doc.txt"
    path.write_bytes(b"compressible text " * 1000)

    async def doc(request):
        return FileResponse(path)

    app = Starlette(routes=[Route("/doc", doc)], middleware=[Middleware(GZipMiddleware, minimum_size=100)])
    with asgi_server(asgi.ETagMiddleware(app)) as client:
        plain = client.get("/doc", headers={"Accept-Encoding": "identity"})
        zipped = client.get("/doc", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert zipped.headers["ETag"] == "W/" + plain.headers["ETag"][:-1] + '-gzip"'
        assert client.get("/doc", headers={"Accept-Encoding": "identity",
                                           "If-None-Match": zipped.headers["ETag"]}).status_code == 200
        assert client.get("/doc", headers={"Accept-Encoding": "gzip",
                                           "If-None-Match": zipped.headers["ETag"]}).status_code == 304


def test_seconds_past_60_are_not_a_date():
    from etagcore.httpdate import parse_http_date

    assert parse_http_date("Sun, 06 Nov 1994 08:49:99 GMT") is None
    assert parse_http_date("Sun, 06 Nov 1994 08:49:61 GMT") is None
    assert parse_http_date("Sun, 06 Nov 1994 08:49:60 GMT") == parse_http_date("Sun, 06 Nov 1994 08:49:59 GMT")


def test_a_malformed_validator_fails_every_request_alike():
    from etagcore import InvalidETagError

    app = wsgi.with_etag(lambda environ: "v1")(lambda environ, start_response: [])
    for extra in ({}, {"HTTP_IF_NONE_MATCH": '"v1"'}):
        with pytest.raises(InvalidETagError):
            app({"REQUEST_METHOD": "GET", "wsgi.version": (1, 0), **extra}, lambda *a: None)


def test_the_apps_header_list_is_never_changed():
    headers = [("Content-Type", "text/html")]  # an app may send one constant list every time
    for request in ({}, {"If-None-Match": TAG}, {"If-Match": '"other"'}):
        run("GET", 200, headers, [BODY], request)
        assert headers == [("Content-Type", "text/html")]


@pytest.mark.parametrize("name", ["ETag", "Content-Length", "Content-Type", "Last-Modified", "Content-Encoding"])
def test_a_repeated_field_passes_the_response_through(name):
    value = {"ETag": TAG, "Content-Length": str(len(BODY))}.get(name, "x")
    headers = [(name, value), ("X-Other", "1"), (name.upper(), value)]
    assert run("GET", 200, headers, [BODY], {"If-None-Match": TAG}) is PASS


def test_a_304_keeps_set_cookie_and_drops_content_fields():
    headers = [("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-Extra", "y")]
    reply = run("GET", 200, headers, [BODY], {"If-None-Match": TAG})
    assert reply.status == 304
    assert reply.headers == [("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("ETag", TAG)]


def _as_whole(stepwise):
    """What whole() answers where start/feed/finish gave *stepwise*: PASS for the app's response
    as it is (untagged), the value of the ETag a 200 reply carries (added or rewritten by the
    core), else the 304/412 reply."""
    if stepwise is PASS or stepwise is FLUSH:
        return PASS
    if stepwise.status != 200:
        return stepwise
    tags = [value for name, value in stepwise.headers if name.lower() in ("etag", b"etag")]
    return tags[-1] if tags else PASS


@pytest.mark.parametrize("request_headers", [{}, {"If-None-Match": TAG}, {"If-Match": '"x"'}, {"If-None-Match": '"x"'}])
@pytest.mark.parametrize("method, status, headers, body", [
    ("GET", 200, [("Content-Type", "text/html")], BODY),
    ("GET", 200, [(b"content-type", b"text/html")], BODY),
    ("HEAD", 200, [("Content-Length", str(len(BODY)))], b""),
    ("HEAD", 200, [], b""),
    ("GET", 200, [("Content-Length", "3")], BODY),
    ("GET", 200, [("ETag", TAG)], BODY),
    ("GET", 200, [("ETag", TAG), ("Content-Encoding", "gzip")], BODY),
    ("GET", 200, [(b"etag", TAG.encode()), (b"content-encoding", b"br")], BODY),
    ("GET", 404, [], BODY),
    ("GET", 200, [], b"x" * 2000),  # over max_body
])
def test_whole_answers_as_start_feed_finish(request_headers, method, status, headers, body):
    stepwise = run(method, status, headers, [body], request_headers)
    at_once = ConditionalResponse(POLICY, method, request_headers).whole(status, headers, body)
    assert at_once == _as_whole(stepwise)
    if type(at_once) is str and at_once is not PASS:  # a binary core gives the tag as bytes
        assert ConditionalResponse(POLICY, method, request_headers, True).whole(status, headers, body) == at_once.encode()


def test_whole_gives_the_tag_to_add_or_the_reply_to_send():
    conditional = ConditionalResponse(POLICY, "GET", {})
    assert conditional.whole(200, [("Content-Type", "text/html")], BODY) == TAG
    assert ConditionalResponse(POLICY, "GET", {}, True).whole(200, [(b"content-type", b"x")], BODY) == TAG.encode()
    assert ConditionalResponse(POLICY, "HEAD", {}).whole(200, [], b"") is PASS  # GET's tag unknown
    assert ConditionalResponse(POLICY, "GET", {}).whole(200, [("Content-Length", "1")], BODY) is PASS
    rewritten = ConditionalResponse(POLICY, "GET", {}).whole(200, [("ETag", '"v1"'), ("Content-Encoding", "gzip")], BODY)
    assert rewritten == 'W/"v1-gzip"'
    reply = ConditionalResponse(POLICY, "GET", {"If-None-Match": TAG}).whole(200, [("Vary", "Accept")], BODY)
    assert (reply.status, reply.headers, reply.body) == (304, [("Vary", "Accept"), ("ETag", TAG)], None)


def test_readme_whole_example():
    scope: dict = {}
    exec(example("core-whole"), scope)
    assert scope["etag"] == str(get_strategy("xxh3-128").tag(b"<p>hi"))
    request = {"If-None-Match": scope["etag"]}
    reply = ConditionalResponse(scope["policy"], "GET", request).whole(200, [("Content-Type", "text/html")], b"<p>hi")
    assert (reply.status, reply.headers) == (304, [("ETag", scope["etag"])])
