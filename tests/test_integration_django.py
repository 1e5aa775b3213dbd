"""etagcore.integrations.django on real servers: Django's WSGIHandler under wsgiref and its
ASGIHandler under uvicorn, driven by httpx. Where Django's own ConditionalGetMiddleware or
condition() decorator answers differently, the same requests go to both and the documented
difference is asserted."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

django = pytest.importorskip("django")
# Django warns when ASGI serves a FileResponse (a sync iterator): expected here
pytestmark = pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")

from django.conf import settings  # noqa: E402

if not settings.configured:  # other modules in the same process may have configured Django
    settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="tests",
                       MIDDLEWARE=[], USE_TZ=True)
    django.setup()

from asgiref.sync import iscoroutinefunction  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import FileResponse, HttpResponse, StreamingHttpResponse  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators import http as django_http  # noqa: E402

from etagcore.integrations.django import condition, etag, last_modified  # noqa: E402
from etagcore import get_strategy  # noqa: E402
from servers import asgi_server, wsgi_server  # noqa: E402
from readme import example  # noqa: E402

OURS = "etagcore.integrations.django.ConditionalGetMiddleware"
DJANGOS = "django.middleware.http.ConditionalGetMiddleware"
PAGE = b"<!doctype html><h1>hello</h1>" + b"x" * 3000
DEFAULT = get_strategy("xxh3-128")  # the integration's default strategy
TAG = str(DEFAULT.tag(PAGE))
CALLS: Counter[str] = Counter()  # view bodies run, by name
STREAM_SENT = threading.Event()  # the stream view's first chunk has left the view
STREAM_SEEN = threading.Event()  # the client has the first chunk
FILES = Path(tempfile.mkdtemp(prefix="etagcore-django-"))
DATA = bytes(range(256)) * 40  # the file the file views send
(FILES / "data.bin").write_bytes(DATA)
(FILES / "data.gz").write_bytes(gzip.compress(DATA, mtime=0))
READY_AT = time.time() + 1.1  # data.bin is stable (changed over a second ago) from then on
LAST_MODIFIED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
HTTP_LAST_MODIFIED = "Wed, 01 May 2024 12:00:00 GMT"


# -- the app ---------------------------------------------------------------------------------------

def page(request):
    CALLS["page"] += 1
    response = HttpResponse(PAGE, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "max-age=60"
    response["Vary"] = "Accept-Encoding"
    response.set_cookie("seen", "1")
    return response


def headless(request):  # a view that sends no body to HEAD: GET's tag is unknown then
    return HttpResponse(b"" if request.method == "HEAD" else PAGE)


def own(request):  # the view's own tag, optionally one with a comma (valid in RFC 9110)
    response = HttpResponse(b"version seven")
    response["ETag"] = request.GET.get("tag", '"v7"')
    return response


def no_store(request):
    response = HttpResponse(PAGE)
    response["Cache-Control"] = "private, no-store"
    if "lm" in request.GET:
        response["Last-Modified"] = HTTP_LAST_MODIFIED
    return response


def stream(request):
    def chunks():
        yield b"first;"
        STREAM_SENT.set()
        STREAM_SEEN.wait(5)  # a middleware that buffers would wait here (and fail the test)
        yield b"second"
    return StreamingHttpResponse(chunks(), content_type="text/plain")


def astream(request):
    async def chunks():
        yield b"first;"
        STREAM_SENT.set()
        await asyncio.to_thread(STREAM_SEEN.wait, 5)
        yield b"second"
    return StreamingHttpResponse(chunks(), content_type="text/plain")


def big_file(request):
    return FileResponse(open(FILES / "big.bin", "rb"))


def file(request):
    handle = open(FILES / "data.bin", "rb")
    handle.seek(int(request.GET.get("from", 0)))  # sent from there: then no whole-file tag
    return FileResponse(handle)


def fresh_file(request):  # written just now: changed less than a second ago
    target = FILES / "fresh.bin"
    target.write_bytes(DATA)
    return FileResponse(open(target, "rb"))


def gzip_file(request):  # a file object whose bytes are not its descriptor's file
    return FileResponse(gzip.open(FILES / "data.gz", "rb"))


class Flipped(io.BufferedReader):  # the file's descriptor and length, other bytes
    def read(self, size=-1):
        return bytes(byte ^ 1 for byte in super().read(size))


def flipped_file(request):
    return FileResponse(Flipped(io.FileIO(FILES / "data.bin")))


def device(request):
    return FileResponse(open(os.devnull, "rb"))


VERSIONS = {1: "v1", 2: 'W/"w2"', 3: None}  # unquoted (Django quotes it), weak, missing


@condition(etag_func=lambda request, pk: VERSIONS[pk], last_modified_func=lambda request, pk: LAST_MODIFIED)
def document(request, pk):
    CALLS["document"] += 1
    return HttpResponse(status=204) if request.method == "PUT" else HttpResponse(b"document %d" % pk)


@etag(lambda request, pk: VERSIONS[pk])
async def async_document(request, pk):
    CALLS["async_document"] += 1
    await asyncio.sleep(0)
    return HttpResponse(status=204) if request.method == "PUT" else HttpResponse(b"async document %d" % pk)


@last_modified(lambda request: LAST_MODIFIED)
def dated(request):
    CALLS["dated"] += 1
    return HttpResponse(b"dated")


@django_http.last_modified(lambda request: LAST_MODIFIED)
def django_dated(request):
    return HttpResponse(b"dated")


class Rendered(HttpResponse):
    """A response whose content property renders its container (as a template response might)."""

    @property
    def content(self):
        return b"[" + b"".join(self._container) + b"]"

    @content.setter
    def content(self, value):
        HttpResponse.content.fset(self, value)


def rendered(request):
    return Rendered(b"inner")


def templated(request):
    from django.template.backends.django import DjangoTemplates
    from django.template.response import TemplateResponse

    engine = DjangoTemplates({"NAME": "tests", "DIRS": [], "APP_DIRS": False, "OPTIONS": {}})
    return TemplateResponse(request, engine.from_string("<p>{{ word }}</p>"), {"word": request.GET.get("w", "hi")})


urlpatterns = [
    path("templated", templated), path("rendered", rendered), path("page", page), path("headless", headless), path("own", own), path("no-store", no_store),
    path("stream", stream), path("astream", astream), path("file", file), path("fresh", fresh_file), path("big", big_file),
    path("gz", gzip_file), path("flipped", flipped_file), path("device", device), path("doc/<int:pk>", document),
    path("adoc/<int:pk>", async_document), path("dated", dated), path("django-dated", django_dated),
]


# -- servers ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def this_urlconf() -> Iterator[None]:
    with override_settings(ROOT_URLCONF=__name__):
        yield
    shutil.rmtree(FILES, ignore_errors=True)


def handler(kind: str, middleware: list[str], **extra_settings):
    """A Django handler with *middleware* (Django reads MIDDLEWARE and our settings when it builds one)."""
    with override_settings(MIDDLEWARE=middleware, **extra_settings):
        return WSGIHandler() if kind == "wsgi" else ASGIHandler()


@contextlib.contextmanager
def served(kind: str, middleware: list[str], **extra_settings):
    serve = wsgi_server if kind == "wsgi" else asgi_server
    with serve(handler(kind, middleware, **extra_settings)) as client:
        yield client


@pytest.fixture(scope="module", params=["wsgi", "asgi"])
def kind(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def ours(kind):
    with served(kind, [OURS]) as client:
        yield client


@pytest.fixture(scope="module")
def djangos(kind):
    with served(kind, [DJANGOS]) as client:
        yield client


@pytest.fixture(scope="module")
def plain(kind):  # no middleware: the decorators alone
    with served(kind, []) as client:
        yield client


# -- the middleware: tags, 304, 412 ----------------------------------------------------------------

def test_tags_the_body_and_answers_strong_and_weak_matches(ours, djangos):
    response = ours.get("/page")
    assert response.status_code == 200 and response.content == PAGE
    assert response.headers["etag"] == TAG  # the default strategy, xxh3-128
    # the framing stays Django's and the server's, as under Django's own middleware
    assert response.headers.get("content-length") == djangos.get("/page").headers.get("content-length")
    for header in (TAG, "W/" + TAG, f'"other", {TAG}', "*"):
        calls = CALLS["page"]
        not_modified = ours.get("/page", headers={"If-None-Match": header})
        assert not_modified.status_code == 304, header
        assert not_modified.content == b"" and "content-length" not in not_modified.headers
        assert not_modified.headers["etag"] == TAG
        assert not_modified.headers["cache-control"] == "max-age=60"
        assert not_modified.headers["vary"] == "Accept-Encoding"
        assert "content-type" not in not_modified.headers
        assert not_modified.headers["set-cookie"].startswith("seen=1")  # Django keeps cookies on a 304
        assert CALLS["page"] == calls + 1  # a middleware runs after the view


@pytest.mark.parametrize("header", [TAG + "junk", TAG[:-1], f"{TAG} {TAG}", f'junk, {TAG}', '"other"',
                                   TAG.upper(), "w/" + TAG, f"{TAG}, *"])
def test_no_304_for_malformed_or_other_tags(ours, header):
    response = ours.get("/page", headers={"If-None-Match": header})
    assert response.status_code == 200 and response.content == PAGE


def test_head_has_the_get_tag_or_none(ours):
    head = ours.head("/page")
    assert head.status_code == 200 and head.headers["etag"] == TAG
    assert ours.head("/page", headers={"If-None-Match": TAG}).status_code == 304
    # a view that sends HEAD no body: no tag (the tag of nothing would earn 304s for any body)
    assert "etag" not in ours.head("/headless").headers
    empty = str(DEFAULT.tag(b""))
    assert ours.head("/headless", headers={"If-None-Match": empty}).status_code == 200
    assert ours.get("/headless").headers["etag"] == TAG


def test_412_for_a_failed_if_match(ours):
    failed = ours.get("/page", headers={"If-Match": '"other"'})
    assert failed.status_code == 412 and failed.content == b""
    assert failed.headers["content-length"] == "0"
    assert not {"etag", "cache-control", "content-type"} & set(failed.headers)
    assert ours.get("/page", headers={"If-Match": TAG}).status_code == 200
    assert ours.get("/page", headers={"If-Match": "W/" + TAG}).status_code == 412  # strong comparison


def test_the_views_own_tag_is_used(ours):
    response = ours.get("/own")
    assert response.headers["etag"] == '"v7"' and response.content == b"version seven"
    assert ours.get("/own", headers={"If-None-Match": '"v7"'}).status_code == 304
    assert ours.get("/own", headers={"If-Match": '"v6"'}).status_code == 412
    # an own tag that is not an entity-tag is no validator: passed through, never a 304 or an error
    broken = ours.get("/own", params={"tag": "v7"}, headers={"If-None-Match": '"v7"'})
    assert broken.status_code == 200 and broken.headers["etag"] == "v7"


def test_no_store_responses_are_not_tagged(ours, djangos):
    for client in (ours, djangos):
        response = client.get("/no-store")
        assert response.status_code == 200 and "etag" not in response.headers


def test_non_get_methods_are_left_alone(ours):
    response = ours.post("/page", headers={"If-Match": '"other"'})
    assert response.status_code == 200 and "etag" not in response.headers


def test_streaming_responses_are_untouched_and_not_buffered(ours, kind):
    STREAM_SENT.clear()
    STREAM_SEEN.clear()
    with ours.stream("GET", "/stream" if kind == "wsgi" else "/astream") as response:
        chunks = response.iter_raw()
        first = next(chunks)
        got_first_before_the_rest = not STREAM_SEEN.is_set()
        STREAM_SEEN.set()
        rest = b"".join(chunks)
    assert first == b"first;" and rest == b"second" and got_first_before_the_rest
    assert STREAM_SENT.is_set() and "etag" not in response.headers


# -- FileResponse ----------------------------------------------------------------------------------

def test_file_response_is_tagged_from_its_open_file(ours):
    time.sleep(max(0.0, READY_AT - time.time()))
    response = ours.get("/file")
    assert response.status_code == 200 and response.content == DATA
    assert response.headers["etag"] == str(DEFAULT.tag(DATA))
    tag = response.headers["etag"]
    not_modified = ours.get("/file", headers={"If-None-Match": tag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == tag and "content-length" not in not_modified.headers
    assert ours.get("/file", headers={"If-Match": '"stale"'}).status_code == 412
    assert ours.head("/file").headers["etag"] == tag


def test_a_file_rewritten_while_sent_is_cut_short(ours):
    size = 32 << 20  # more than the socket buffers hold: the server is still reading when it changes
    (FILES / "big.bin").write_bytes(b"A" * size)
    time.sleep(1.1)  # stable: tagged
    received = b""
    try:
        with ours.stream("GET", "/big") as response:
            tag = response.headers["etag"]
            assert tag == str(DEFAULT.tag(b"A" * size))
            for chunk in response.iter_raw():
                if not received:
                    with open(FILES / "big.bin", "r+b") as rewrite:  # same size, other bytes
                        rewrite.write(b"B" * size)
                received += chunk
    except httpx.RemoteProtocolError:  # WSGI: cut short of its Content-Length
        assert len(received) < size
    else:  # Django's ASGI handler reads a sync stream whole before sending: the old bytes, all of them
        assert str(DEFAULT.tag(received)) == tag


def test_file_response_without_a_sure_tag_gets_none(ours):
    time.sleep(max(0.0, READY_AT - time.time()))
    tag = str(DEFAULT.tag(DATA))
    fresh = ours.get("/fresh", headers={"If-None-Match": tag})  # changed < 1 s ago: no validator
    assert fresh.status_code == 200 and fresh.content == DATA and "etag" not in fresh.headers
    partial = ours.get("/file", params={"from": 5}, headers={"If-None-Match": tag})  # not the whole file
    assert partial.status_code == 200 and partial.content == DATA[5:] and "etag" not in partial.headers
    unzipped = ours.get("/gz")  # GzipFile has the .gz file's descriptor, but sends other bytes
    assert unzipped.content == DATA and "etag" not in unzipped.headers
    flipped = ours.get("/flipped")
    assert flipped.content == bytes(byte ^ 1 for byte in DATA) and "etag" not in flipped.headers
    device = ours.get("/device")  # not a regular file
    assert device.status_code == 200 and "etag" not in device.headers


# -- configuration ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, words", [
    ("ETAGCORE_STRATEGY", "stat", "cannot tag response bodies"),
    ("ETAGCORE_STRATEGY", "no-such-strategy", "no-such-strategy"),
    ("ETAGCORE_STRATEGY", 5, "not 5"),
    ("ETAGCORE_MAX_BODY", -1, "-1"),
    ("ETAGCORE_MAX_BODY", "8M", "8M"),
])
def test_misconfiguration_names_the_setting(name, value, words):
    for kind in ("wsgi", "asgi"):
        with pytest.raises(ImproperlyConfigured) as raised:
            handler(kind, [OURS], **{name: value})
        assert f"settings.{name}" in str(raised.value) and words in str(raised.value)


def test_strategy_and_max_body_settings():
    with served("wsgi", [OURS], ETAGCORE_STRATEGY={"name": "sha1"}) as client:
        tag = client.get("/page").headers["etag"]
        assert tag == '"%s"' % hashlib.sha1(PAGE).hexdigest() and tag != TAG
        assert client.get("/page", headers={"If-None-Match": tag}).status_code == 304
    with served("wsgi", [OURS], ETAGCORE_MAX_BODY=100) as client:
        response = client.get("/page")
        assert response.content == PAGE and "etag" not in response.headers


def test_recommended_order_inside_gzip_above_common():
    # Django's GZipMiddleware pads each gzip body with random bytes (BREACH): a tagger outside it
    # would see a new body every time. Inside it, the identity body is tagged and GZip weakens the tag.
    middleware = ["django.middleware.gzip.GZipMiddleware", OURS, "django.middleware.common.CommonMiddleware"]
    with served("wsgi", middleware) as client:
        identity = client.get("/page", headers={"Accept-Encoding": "identity"})
        assert identity.headers["etag"] == TAG and "content-encoding" not in identity.headers
        zipped = client.get("/page", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip" and zipped.content == PAGE
        assert zipped.headers["etag"] == "W/" + TAG
        not_modified = client.get("/page", headers={"Accept-Encoding": "gzip", "If-None-Match": "W/" + TAG})
        assert not_modified.status_code == 304 and "content-length" not in not_modified.headers
        assert client.get("/page", headers={"If-Match": "W/" + TAG}).status_code == 412  # weak: never for If-Match


def test_without_djangos_private_header_store(monkeypatch):
    import etagcore.integrations.django as adapter

    monkeypatch.setattr(adapter, "_store", lambda response: None)  # the public mapping only
    with served("wsgi", [OURS]) as client:
        response = client.get("/page")
        assert response.headers["etag"] == TAG and response.content == PAGE
        not_modified = client.get("/page", headers={"If-None-Match": TAG})
        assert not_modified.status_code == 304 and "content-type" not in not_modified.headers
        assert not_modified.headers["cache-control"] == "max-age=60"
        failed = client.get("/page", headers={"If-Match": '"x"'})
        assert failed.status_code == 412 and failed.headers["content-length"] == "0" and "etag" not in failed.headers


# -- the decorators: validator-first ---------------------------------------------------------------

def test_condition_decides_before_the_view_runs(plain):
    calls = CALLS["document"]
    response = plain.get("/doc/1")
    assert response.status_code == 200 and response.headers["etag"] == '"v1"'  # Django quotes "v1"
    assert response.headers["last-modified"] == HTTP_LAST_MODIFIED
    not_modified = plain.get("/doc/1", headers={"If-None-Match": '"v1"'})
    assert not_modified.status_code == 304 and not_modified.headers["etag"] == '"v1"'
    assert "content-length" not in not_modified.headers and "last-modified" not in not_modified.headers
    assert plain.get("/doc/1", headers={"If-Modified-Since": HTTP_LAST_MODIFIED}).status_code == 304
    stale = plain.put("/doc/1", headers={"If-Match": '"v0"'})
    assert stale.status_code == 412 and "etag" not in stale.headers
    assert plain.put("/doc/1", headers={"If-Unmodified-Since": "Tue, 30 Apr 2024 00:00:00 GMT"}).status_code == 412
    assert CALLS["document"] == calls + 1  # only the first GET ran the view
    assert plain.put("/doc/1", headers={"If-Match": '"v1"'}).status_code == 204
    assert plain.get("/doc/2", headers={"If-None-Match": '"w2"'}).status_code == 304  # weak comparison
    assert plain.put("/doc/2", headers={"If-Match": 'W/"w2"'}).status_code == 412  # strong comparison
    assert CALLS["document"] == calls + 2


def test_condition_on_a_missing_resource(plain):
    # etag_func None and a date: the resource exists by its date
    assert plain.put("/doc/3", headers={"If-Match": "*"}).status_code == 204
    calls = CALLS["async_document"]
    assert plain.put("/adoc/3", headers={"If-Match": "*"}).status_code == 412  # nothing there
    assert plain.put("/adoc/3", headers={"If-None-Match": "*"}).status_code == 204  # create
    assert CALLS["async_document"] == calls + 1


def test_async_views_stay_coroutine_functions(plain):
    assert iscoroutinefunction(async_document) and not iscoroutinefunction(document)
    calls = CALLS["async_document"]
    response = plain.get("/adoc/1")
    assert response.status_code == 200 and response.headers["etag"] == '"v1"'
    assert plain.get("/adoc/1", headers={"If-None-Match": 'W/"v1"'}).status_code == 304
    assert plain.get("/adoc/1", headers={"If-Match": '"v0"'}).status_code == 412
    assert CALLS["async_document"] == calls + 1


def test_decorated_view_behind_the_middleware(ours):
    calls = CALLS["document"]
    assert ours.get("/doc/1").headers["etag"] == '"v1"'  # the view's tag, not a body hash
    assert ours.get("/doc/1", headers={"If-None-Match": '"v1"'}).status_code == 304
    assert CALLS["document"] == calls + 1


# -- where Django differs (same requests to Django's middleware and to ours) -----------------------

def test_difference_commas_inside_tags(ours, djangos):
    # '"a,b"' is one valid entity-tag; Django splits it on the comma and never matches it
    tag = '"a,b"'
    assert djangos.get("/own", params={"tag": tag}, headers={"If-None-Match": tag}).status_code == 200
    assert ours.get("/own", params={"tag": tag}, headers={"If-None-Match": tag}).status_code == 304
    listed = f'"x", {tag}'
    assert djangos.get("/own", params={"tag": tag}, headers={"If-Match": listed}).status_code == 412
    assert ours.get("/own", params={"tag": tag}, headers={"If-Match": listed}).status_code == 200


def test_difference_malformed_lists(ours, djangos):
    django_tag = djangos.get("/page").headers["etag"]
    # Django drops the pieces it cannot read and matches the rest: a 304 for a malformed list
    assert djangos.get("/page", headers={"If-None-Match": f"junk, {django_tag}"}).status_code == 304
    assert ours.get("/page", headers={"If-None-Match": f"junk, {TAG}"}).status_code == 200
    # an unreadable If-Match is no condition to Django; RFC 9110: it is false
    assert djangos.get("/page", headers={"If-Match": '"unterminated'}).status_code == 200
    assert ours.get("/page", headers={"If-Match": '"unterminated'}).status_code == 412


def test_difference_if_unmodified_since_without_last_modified(ours, djangos):
    # RFC 9110 13.1.4: ignored when the resource has no modification date; Django answers 412
    header = {"If-Unmodified-Since": HTTP_LAST_MODIFIED}
    assert djangos.get("/page", headers=header).status_code == 412
    response = ours.get("/page", headers=header)
    assert response.status_code == 200 and response.content == PAGE


def test_difference_star_needs_no_etag(plain):
    # "*" matches any current representation; Django's decorator needs an ETag for it
    assert plain.get("/django-dated", headers={"If-Match": "*"}).status_code == 412
    assert plain.get("/dated", headers={"If-Match": "*"}).status_code == 200
    assert plain.get("/django-dated", headers={"If-None-Match": "*"}).status_code == 200
    assert plain.get("/dated", headers={"If-None-Match": "*"}).status_code == 304


def test_difference_head(ours, djangos):
    # Django's middleware leaves HEAD alone (no tag, no 304); ours gives HEAD GET's tag
    assert "etag" not in djangos.head("/page").headers
    assert djangos.head("/page", headers={"If-None-Match": djangos.get("/page").headers["etag"]}).status_code == 200
    assert ours.head("/page").headers["etag"] == TAG


def test_difference_no_store_with_a_date(ours, djangos):
    # no-store and only a Last-Modified: Django answers If-Modified-Since; ours sends it untouched
    header = {"If-Modified-Since": HTTP_LAST_MODIFIED}
    assert djangos.get("/no-store", params={"lm": 1}, headers=header).status_code == 304
    assert ours.get("/no-store", params={"lm": 1}, headers=header).status_code == 200


# -- the README example, verbatim ------------------------------------------------------------------

README_APP = example("django")

README_DRIVER = textwrap.dedent('''
    import json, sys
    sys.path[:0] = [sys.argv[1], sys.argv[2]]
    import app
    from servers import asgi_server, wsgi_server
    results = {}
    for name, serve, handler in (("wsgi", wsgi_server, app.application), ("asgi", asgi_server, app.asgi)):
        with serve(handler) as client:
            home = client.get("/")
            article = client.get("/articles/intro")
            results[name] = [home.status_code, home.headers.get("etag"),
                             client.get("/", headers={"If-None-Match": home.headers.get("etag", "")}).status_code,
                             article.headers.get("etag"),
                             client.get("/articles/intro", headers={"If-None-Match": '"r3"'}).status_code,
                             client.put("/articles/intro", headers={"If-Match": '"r2"'}).status_code]
    print(json.dumps(results))
''')


def test_readme_app(tmp_path):
    (tmp_path / "app.py").write_text(README_APP)
    tests = str(Path(__file__).parent)
    done = subprocess.run([sys.executable, "-c", README_DRIVER, str(tmp_path), tests], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for name in ("wsgi", "asgi"):
        status, tag, revalidated, article_tag, article_revalidated, stale_put = results[name]
        assert status == 200 and len(tag) == 34, name
        assert revalidated == 304 and article_tag == '"r3"' and article_revalidated == 304 and stale_put == 412


def test_a_response_with_its_own_content_property_is_not_tagged(ours, kind):
    # Django's WSGI handler sends the container, its ASGI handler the content property: no one
    # tag describes both, so none is sent
    response = ours.get("/rendered")
    assert response.status_code == 200 and "etag" not in response.headers
    assert response.content == (b"[inner]" if kind == "asgi" else b"inner")
    assert ours.get("/rendered", headers={"If-None-Match": "*"}).status_code == 200


def test_template_responses_are_tagged_as_djangos_middleware_tags_them(ours, djangos):
    """TemplateResponse (generic views, the admin) is rendered before middleware runs: its body is
    the stored one, tagged as any HttpResponse's."""
    for client in (ours, djangos):
        first = client.get("/templated")
        assert first.content == b"<p>hi</p>" and first.headers["etag"].startswith('"')
        assert client.get("/templated", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    answer = ours.get("/templated?w=other", headers={"If-None-Match": ours.get("/templated").headers["etag"]})
    assert answer.status_code == 200 and answer.content == b"<p>other</p>"  # another body: no 304
    failed = ours.get("/templated", headers={"If-Match": '"nope"'})
    assert failed.status_code == 412 and failed.content == b""
