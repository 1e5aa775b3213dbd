"""etagcore.integrations.starlette on uvicorn (127.0.0.1), driven by httpx: with_etag in a Starlette
app and in a FastAPI app, the ASGI middleware and StaticFiles in the Starlette/FastAPI idioms, and
where compression goes. Endpoint bodies count their runs, so "validator-first" is checked, not assumed."""

from __future__ import annotations

import asyncio
import collections
import gzip
import hashlib
import inspect
import os
import threading
import time

import pytest
import uvicorn
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Mount, Route

from etagcore import ETag, get_strategy
from etagcore.integrations import asgi
from etagcore.integrations.starlette import ETagMiddleware, StaticFiles, with_etag
from servers import asgi_server
from readme import example  # noqa: E402

CALLS: collections.Counter[str] = collections.Counter()  # runs of each endpoint body / validator
THREADS: dict[str, int] = {}  # the thread each one last ran on
STATE = {"doc": '"doc-v1"'}
DOC = b"the document body"
ONLY_TAG = {"etag"}


def ran(name: str) -> None:
    CALLS[name] += 1
    THREADS[name] = threading.get_ident()


# --- Starlette ------------------------------------------------------------------------------------

def doc_version(request: Request) -> str:
    ran("validator")
    return STATE["doc"]


async def async_doc_version(request: Request) -> str:
    ran("async validator")
    await asyncio.sleep(0)
    return STATE["doc"]


def doc_reply(name: str, request: Request) -> PlainTextResponse:
    ran(name)
    if request.method in ("PUT", "DELETE"):
        STATE["doc"] = '"doc-v2"'
        return PlainTextResponse("saved")
    return PlainTextResponse(DOC)


def starlette_endpoint(name: str, endpoint_async: bool, validator_async: bool):
    validator = async_doc_version if validator_async else doc_version
    if endpoint_async:
        async def endpoint(request):
            return doc_reply(name, request)
    else:
        def endpoint(request):
            return doc_reply(name, request)
    return with_etag(validator)(endpoint)


# endpoint kind, validator kind: every pairing is a route of its own
COMBOS = {"/async-sync": (True, False), "/sync-sync": (False, False),
          "/sync-async": (False, True), "/async-async": (True, True)}


@with_etag(lambda request: ETag("w1", weak=True))
async def weak_doc(request):
    ran("weak")
    return PlainTextResponse(DOC)


@with_etag(lambda request: None)
async def missing(request):
    ran("missing")
    return PlainTextResponse("created", status_code=201 if request.method == "PUT" else 200)


@with_etag(doc_version)
async def own_tag(request):
    ran("own")
    return PlainTextResponse(DOC, headers={"ETag": '"own"'})


@with_etag(doc_version)
async def not_found(request):
    ran("not found")
    return PlainTextResponse("no", status_code=404)


@with_etag(lambda request: 42)  # type: ignore[arg-type, return-value]  # the bug under test
async def bad_type(request):
    ran("bad type")
    return PlainTextResponse(DOC)


@with_etag(lambda request: "v1")  # not an entity-tag: the quotes are missing
async def bad_tag(request):
    ran("bad tag")
    return PlainTextResponse(DOC)


class DocEndpoint(HTTPEndpoint):
    @with_etag(doc_version)
    async def get(self, request):
        return doc_reply("class", request)


async def loop_thread(request):
    ran("loop")
    return PlainTextResponse("ok")


def starlette_app() -> Starlette:
    methods = ["GET", "HEAD", "PUT", "DELETE"]
    routes = [Route(path, starlette_endpoint(path, *kinds), methods=methods) for path, kinds in COMBOS.items()]
    routes += [Route("/weak", weak_doc), Route("/missing", missing, methods=methods), Route("/own", own_tag),
               Route("/not-found", not_found), Route("/bad-type", bad_type), Route("/bad-tag", bad_tag),
               Route("/class", DocEndpoint), Route("/loop", loop_thread)]
    return Starlette(routes=routes)


@pytest.fixture(scope="module")
def starlette_client():
    with asgi_server(starlette_app()) as client:
        yield client


@pytest.fixture(autouse=True)
def fresh_state():
    STATE["doc"] = '"doc-v1"'
    CALLS.clear()
    THREADS.clear()


@pytest.mark.parametrize("path", list(COMBOS))
def test_tag_and_304_on_strong_and_weak_matches(starlette_client, path):
    first = starlette_client.get(path)
    assert first.status_code == 200 and first.content == DOC and first.headers["ETag"] == '"doc-v1"'
    assert CALLS[path] == 1
    for header in ('"doc-v1"', 'W/"doc-v1"', '"x", "doc-v1"', ',\t"doc-v1" ,,"z"', "*"):
        again = starlette_client.get(path, headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"", header
        assert again.headers["ETag"] == '"doc-v1"' and "content-length" not in again.headers
        assert set(again.headers) <= ONLY_TAG | {"date", "server"}
    assert CALLS[path] == 1  # the endpoint never ran for the 304s
    assert CALLS["validator"] + CALLS["async validator"] == 6


def test_weak_validator(starlette_client):
    assert starlette_client.get("/weak").headers["ETag"] == 'W/"w1"'
    assert starlette_client.get("/weak", headers={"If-None-Match": '"w1"'}).status_code == 304  # weak comparison
    assert starlette_client.get("/weak", headers={"If-Match": 'W/"w1"'}).status_code == 412  # strong comparison
    assert CALLS["weak"] == 1


@pytest.mark.parametrize("header", ['"doc-v0"', "doc-v1", '"doc-v1', 'W/ "doc-v1"', 'w/"doc-v1"',
                                    '"doc-v1" "x"', '"a", *', ",,,", b'\xff"doc-v1"'])
def test_no_wrong_304_for_stale_or_malformed_lists(starlette_client, header):
    response = starlette_client.get("/async-sync", headers={"If-None-Match": header})
    assert response.status_code == 200 and response.content == DOC and response.headers["ETag"] == '"doc-v1"'
    assert CALLS["/async-sync"] == 1


def test_head(starlette_client):
    head = starlette_client.head("/sync-sync")
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"] == '"doc-v1"'
    assert head.headers["Content-Length"] == str(len(DOC))
    stale = starlette_client.head("/sync-sync", headers={"If-None-Match": '"doc-v0"'})
    assert stale.status_code == 200 and stale.headers["ETag"] == '"doc-v1"'
    assert starlette_client.head("/sync-sync", headers={"If-None-Match": '"doc-v1"'}).status_code == 304
    assert CALLS["/sync-sync"] == 2


def test_a_new_version_is_never_answered_304(starlette_client):
    assert starlette_client.get("/async-async").headers["ETag"] == '"doc-v1"'
    STATE["doc"] = '"doc-v2"'
    response = starlette_client.get("/async-async", headers={"If-None-Match": '"doc-v1"'})
    assert response.status_code == 200 and response.headers["ETag"] == '"doc-v2"'


@pytest.mark.parametrize("path", list(COMBOS))
def test_if_match_412_before_the_endpoint(starlette_client, path):
    for method in ("GET", "PUT", "DELETE"):
        for header in ('"doc-v0"', 'W/"doc-v1"', "doc-v1", '"a" "b"'):
            failed = starlette_client.request(method, path, headers={"If-Match": header})
            assert failed.status_code == 412 and failed.content == b"", (method, header)
            assert "etag" not in failed.headers and failed.headers["Content-Length"] == "0"
    assert starlette_client.put(path, headers={"If-None-Match": "*"}).status_code == 412  # exists already
    assert CALLS[path] == 0 and STATE["doc"] == '"doc-v1"'
    saved = starlette_client.put(path, headers={"If-Match": '"doc-v1"'})
    assert saved.status_code == 200 and saved.text == "saved"
    assert "etag" not in saved.headers  # the old version's tag must not label the new state
    assert CALLS[path] == 1 and STATE["doc"] == '"doc-v2"'
    assert starlette_client.delete(path, headers={"If-Match": '"doc-v1"'}).status_code == 412
    assert CALLS[path] == 1


def test_no_current_representation(starlette_client):
    assert starlette_client.put("/missing", headers={"If-Match": "*"}).status_code == 412
    assert CALLS["missing"] == 0
    assert starlette_client.put("/missing", headers={"If-None-Match": "*"}).status_code == 201  # create
    response = starlette_client.get("/missing", headers={"If-None-Match": '"x"'})
    assert response.status_code == 200 and "etag" not in response.headers
    assert CALLS["missing"] == 2


def test_own_tag_and_other_statuses(starlette_client):
    assert starlette_client.get("/own").headers["ETag"] == '"own"'  # the endpoint's own tag wins
    failed = starlette_client.get("/not-found")
    assert failed.status_code == 404 and "etag" not in failed.headers


def test_sync_endpoints_stay_sync_and_run_in_the_threadpool(starlette_client):
    starlette_client.get("/loop")
    assert not inspect.iscoroutinefunction(starlette_endpoint("x", False, False))
    assert inspect.iscoroutinefunction(starlette_endpoint("x", False, True))
    starlette_client.get("/sync-sync")
    assert THREADS["/sync-sync"] != THREADS["loop"]
    assert THREADS["validator"] == THREADS["/sync-sync"]  # the validator runs with the endpoint
    starlette_client.get("/sync-async")
    assert THREADS["/sync-async"] != THREADS["loop"] and THREADS["async validator"] == THREADS["loop"]
    starlette_client.get("/async-sync")
    assert THREADS["/async-sync"] == THREADS["validator"] == THREADS["loop"]


def test_http_endpoint_method(starlette_client):
    assert starlette_client.get("/class").headers["ETag"] == '"doc-v1"'
    assert starlette_client.get("/class", headers={"If-None-Match": '"doc-v1"'}).status_code == 304
    assert CALLS["class"] == 1


def test_a_broken_validator_fails_every_request_alike(starlette_client):
    for path in ("/bad-type", "/bad-tag"):
        for headers in ({}, {"If-None-Match": '"v1"'}, {"If-Match": "*"}):
            # uvicorn drops the connection after an app's exception: do not reuse it
            response = starlette_client.get(path, headers={**headers, "Connection": "close"})
            assert response.status_code == 500, (path, headers)
    assert CALLS["bad type"] == CALLS["bad tag"] == 0


def test_misconfiguration_is_a_clear_error():
    request = Request({"type": "http", "method": "GET", "headers": [], "path": "/"})
    with pytest.raises(TypeError, match="must return an ETag, its header text or None, not int"):
        with_etag(lambda request: 42)(lambda request: None)(request)
    with pytest.raises(TypeError, match="declare it `async def`"):  # a def endpoint cannot await it
        with_etag(lambda request: async_doc_version(request))(lambda request: None)(request)

    async def page(request):
        return PlainTextResponse("x")
    reply = asyncio.run(with_etag(lambda request: async_doc_version(request))(page)(request))
    assert reply.headers["etag"] == '"doc-v1"'  # an async endpoint awaits what the validator returns
    with pytest.raises(TypeError, match="validator must be callable"):
        with_etag('"v1"')  # type: ignore[arg-type]

    def stream(request):
        yield b"x"
    with pytest.raises(TypeError, match="generator"):
        with_etag(doc_version)(stream)


# --- FastAPI --------------------------------------------------------------------------------------

ITEMS = {3: 1}  # item id -> revision


class Item(BaseModel):
    name: str
    price: float


def get_db() -> str:
    ran("dependency")
    return "db"


def item_version(request: Request) -> str | None:
    ran("validator")
    item_id = int(request.path_params["item_id"])
    return None if item_id not in ITEMS else f'"item-{item_id}-r{ITEMS[item_id]}"'


async def async_item_version(request: Request) -> str | None:
    return item_version(request)


def fastapi_app(decorate: bool = True) -> FastAPI:
    """The same endpoints with and without the decorator (the OpenAPI test compares the two)."""
    tagged = with_etag if decorate else (lambda validator: lambda endpoint: endpoint)
    app = FastAPI()

    @app.get("/items/{item_id}")
    @tagged(item_version)
    async def read_item(item_id: int, q: str | None = Query(None, max_length=5),
                        db: str = Depends(get_db)) -> Item:
        """Read one item."""
        ran("read_item")
        return Item(name=f"{db}-{item_id}-{q}", price=1.5)

    @app.put("/items/{item_id}")
    @tagged(item_version)
    def put_item(item_id: int, item: Item) -> Item:  # a sync endpoint: FastAPI's threadpool
        ran("put_item")
        ITEMS[item_id] = ITEMS.get(item_id, 0) + 1
        return item

    @app.delete("/items/{item_id}", status_code=204)
    @tagged(async_item_version)
    async def delete_item(item_id: int) -> None:
        ran("delete_item")

    @app.get("/sync/{item_id}")
    @tagged(async_item_version)
    def read_sync(item_id: int, request: Request) -> dict:  # its own Request parameter
        ran("read_sync")
        return {"path": request.url.path}

    @app.get("/own/{item_id}")
    @tagged(item_version)
    async def own_headers(item_id: int, response: Response, mode: str = "plain") -> dict:
        ran("own_headers")
        response.headers["X-Own"] = "1"
        if mode == "etag":
            response.headers["ETag"] = '"mine"'
        elif mode == "status":
            response.status_code = 203
        return {"mode": mode}

    @app.get("/response/{item_id}")
    @tagged(item_version)
    async def as_response(item_id: int, mode: str = "plain"):
        ran("as_response")
        return JSONResponse({"id": item_id}, headers={"ETag": '"mine"'} if mode == "etag" else None)

    @app.get("/accepted/{item_id}", status_code=202)
    @tagged(item_version)
    async def accepted(item_id: int) -> dict:
        return {}

    @app.api_route("/head/{item_id}", methods=["GET", "HEAD"])
    @tagged(item_version)
    async def with_head(item_id: int) -> dict:
        ran("with_head")
        return {"id": item_id}

    @app.get("/loop")
    async def loop() -> dict:
        ran("loop")
        return {}

    return app


@pytest.fixture(scope="module")
def fastapi_client():
    with asgi_server(fastapi_app()) as client:
        yield client


@pytest.fixture
def items():
    ITEMS.clear()
    ITEMS[3] = 1


def test_fastapi_tag_304_and_dependency_injection(fastapi_client, items):
    response = fastapi_client.get("/items/3", params={"q": "x"})
    assert response.status_code == 200 and response.json() == {"name": "db-3-x", "price": 1.5}
    assert response.headers["ETag"] == '"item-3-r1"'
    for header in ('"item-3-r1"', 'W/"item-3-r1"', '"a", "item-3-r1"'):
        again = fastapi_client.get("/items/3", params={"q": "x"}, headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == '"item-3-r1"'
    assert CALLS["read_item"] == 1
    assert CALLS["dependency"] == 4  # FastAPI solves dependencies before the (decorated) endpoint
    stale = fastapi_client.get("/items/3", headers={"If-None-Match": '"item-3-r0"'})
    assert stale.status_code == 200 and stale.json()["name"] == "db-3-None"
    assert fastapi_client.get("/items/3", headers={"If-Match": '"item-3-r0"'}).status_code == 412
    assert CALLS["read_item"] == 2


def test_fastapi_parameter_validation_still_422(fastapi_client, items):
    assert fastapi_client.get("/items/abc").status_code == 422
    assert fastapi_client.get("/items/3", params={"q": "toolong"}).status_code == 422
    bad_body = fastapi_client.put("/items/3", json={"name": "n"}, headers={"If-Match": '"item-3-r0"'})
    assert bad_body.status_code == 422  # FastAPI validates before the endpoint, and so before the validator
    assert CALLS["validator"] == 0 and CALLS["read_item"] == CALLS["put_item"] == 0


def test_fastapi_if_match_on_put_and_delete(fastapi_client, items):
    item = {"name": "n", "price": 2.0}
    for method in ("PUT", "DELETE"):
        failed = fastapi_client.request(method, "/items/3", json=item, headers={"If-Match": '"item-3-r0"'})
        assert failed.status_code == 412 and failed.content == b"" and "etag" not in failed.headers
    assert fastapi_client.put("/items/9", json=item, headers={"If-Match": "*"}).status_code == 412
    assert CALLS["put_item"] == CALLS["delete_item"] == 0 and ITEMS == {3: 1}
    saved = fastapi_client.put("/items/3", json=item, headers={"If-Match": '"item-3-r1"'})
    assert saved.status_code == 200 and saved.json() == item and "etag" not in saved.headers
    assert ITEMS == {3: 2}
    assert fastapi_client.put("/items/9", json=item, headers={"If-None-Match": "*"}).status_code == 200  # create
    assert fastapi_client.delete("/items/3", headers={"If-Match": '"item-3-r2"'}).status_code == 204
    assert CALLS["put_item"] == 2 and CALLS["delete_item"] == 1


def test_fastapi_sync_endpoint_and_async_validator(fastapi_client, items):
    fastapi_client.get("/loop")
    response = fastapi_client.get("/sync/3")
    assert response.json() == {"path": "/sync/3"} and response.headers["ETag"] == '"item-3-r1"'
    assert THREADS["read_sync"] != THREADS["loop"]  # still run in FastAPI's threadpool
    assert fastapi_client.get("/sync/3", headers={"If-None-Match": '"item-3-r1"'}).status_code == 304
    assert CALLS["read_sync"] == 1
    fastapi_client.put("/items/3", json={"name": "n", "price": 1}, headers={"If-Match": '"item-3-r1"'})
    assert THREADS["put_item"] != THREADS["loop"] and THREADS["validator"] == THREADS["put_item"]


def test_fastapi_injected_and_returned_responses(fastapi_client, items):
    plain = fastapi_client.get("/own/3")
    assert plain.headers["ETag"] == '"item-3-r1"' and plain.headers["X-Own"] == "1"  # via the endpoint's Response
    assert fastapi_client.get("/own/3", params={"mode": "etag"}).headers["ETag"] == '"mine"'
    other = fastapi_client.get("/own/3", params={"mode": "status"})
    assert other.status_code == 203 and "etag" not in other.headers
    assert fastapi_client.get("/response/3").headers["ETag"] == '"item-3-r1"'  # a returned Response
    assert fastapi_client.get("/response/3", params={"mode": "etag"}).headers["ETag"] == '"mine"'
    accepted = fastapi_client.get("/accepted/3")
    assert accepted.status_code == 202 and "etag" not in accepted.headers  # the route's status is not 200
    unknown = fastapi_client.get("/response/9")
    assert unknown.status_code == 200 and "etag" not in unknown.headers


def test_fastapi_head(fastapi_client, items):
    head = fastapi_client.head("/head/3")
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"] == '"item-3-r1"'
    assert fastapi_client.head("/head/3", headers={"If-None-Match": '"item-3-r1"'}).status_code == 304
    assert fastapi_client.head("/head/3", headers={"If-None-Match": '"item-3-r0"'}).status_code == 200
    assert CALLS["with_head"] == 2


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")  # FastAPI's, for GET+HEAD on one function
def test_fastapi_openapi_schema_is_unchanged():
    with asgi_server(fastapi_app(decorate=False)) as plain, asgi_server(fastapi_app()) as decorated:
        expected, schema = plain.get("/openapi.json"), decorated.get("/openapi.json")
    assert expected.status_code == schema.status_code == 200
    assert schema.json() == expected.json()
    operation = schema.json()["paths"]["/items/{item_id}"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["item_id", "q"]
    assert operation["description"] == "Read one item."
    assert "_etagcore" not in schema.text


# --- The middleware and static files in the Starlette / FastAPI idioms ------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """<root>/static with files older than one second (ctime included): a file changed within the
    last second gets no validator (the core's consistency rule), so the tests wait for it once."""
    root = tmp_path_factory.mktemp("site")
    (root / "static").mkdir()
    files = {"hello.txt": b"hello static\n", "a.css": b"body{}", "app.js": b"console.log(1)\n"}
    for name, data in files.items():
        (root / "static" / name).write_bytes(data)
        os.utime(root / "static" / name, (time.time() - 3600,) * 2)
    time.sleep(1.1)
    return root


# The README's example, run verbatim (with a ./static directory).
README_APP = example("fastapi")


def test_readme_fastapi_app(site, monkeypatch):
    monkeypatch.chdir(site)
    namespace: dict = {}
    exec(README_APP, namespace)
    with asgi_server(namespace["app"]) as client:
        item = client.get("/items/1", params={"q": "x"})
        assert item.json() == {"item_id": 1, "revision": 3, "q": "x"} and item.headers["ETag"] == '"item-1-r3"'
        assert client.get("/items/1", headers={"If-None-Match": '"item-1-r3"'}).status_code == 304
        assert client.get("/items/2").status_code == 404 and client.get("/items/x").status_code == 422
        home = client.get("/")
        assert home.headers["ETag"] == str(get_strategy("xxh3-128").tag(b'{"hello":"world"}'))
        assert client.get("/", headers={"If-None-Match": home.headers["ETag"]}).status_code == 304
        static = client.get("/static/hello.txt")
        assert static.status_code == 200 and static.content == b"hello static\n" and "etag" in static.headers
        assert client.get("/static/hello.txt", headers={"If-None-Match": static.headers["ETag"]}).status_code == 304
        assert client.get("/static/missing.txt").status_code == 404


def test_reexports_are_the_asgi_classes():
    assert ETagMiddleware is asgi.ETagMiddleware and StaticFiles is asgi.StaticFiles


async def home_page(request):
    ran("home")
    return PlainTextResponse(PAGE)


@with_etag(lambda request: '"v1"')
async def versioned_page(request):
    ran("versioned")
    return PlainTextResponse(PAGE)


PAGE = b"compressible " * 400  # over GZipMiddleware's minimum_size


def test_starlette_constructor_middleware_and_mount(site):
    app = Starlette(routes=[Route("/", home_page), Mount("/static", app=StaticFiles(directory=site / "static"))],
                    middleware=[Middleware(ETagMiddleware, strategy="xxh3-128")])
    with asgi_server(app) as client:
        page = client.get("/")
        assert page.content == PAGE and page.headers["ETag"] == str(get_strategy("xxh3-128").tag(PAGE))
        assert client.get("/", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
        css = client.get("/static/a.css")
        assert css.content == b"body{}" and client.get(
            "/static/a.css", headers={"If-None-Match": css.headers["ETag"]}).status_code == 304


def raw_get(client, path: str, **headers: str) -> tuple[dict, bytes]:
    """The response headers and the bytes on the wire (httpx would decode gzip)."""
    with client.stream("GET", path, headers=headers) as response:
        return dict(response.headers), b"".join(response.iter_raw())


def compression_app(etag_outside: bool) -> Starlette:
    stack = [Middleware(ETagMiddleware, strategy="sha1"), Middleware(GZipMiddleware)]  # list order: outermost first
    return Starlette(routes=[Route("/", home_page), Route("/versioned", versioned_page)],
                     middleware=stack if etag_outside else stack[::-1])


def test_compression_inside_the_etag_middleware():
    with asgi_server(compression_app(etag_outside=True)) as client:
        identity, body = raw_get(client, "/", **{"Accept-Encoding": "identity"})
        zipped, wire = raw_get(client, "/", **{"Accept-Encoding": "gzip"})
        assert body == PAGE and "content-encoding" not in identity
        assert zipped["content-encoding"] == "gzip" and gzip.decompress(wire) == PAGE
        assert identity["etag"] == '"%s"' % hashlib.sha1(PAGE).hexdigest()
        assert zipped["etag"] == '"%s"' % hashlib.sha1(wire).hexdigest()  # describes the gzip bytes sent
        assert wire[4:8] == b"\0\0\0\0"  # Starlette 1.x gzip has no timestamp: the tag is stable
        again, rewire = raw_get(client, "/", **{"Accept-Encoding": "gzip"})
        assert rewire == wire and again["etag"] == zipped["etag"]
        assert client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped["etag"]}).status_code == 304
        assert client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": identity["etag"]}).status_code == 200
        # a tag set before the compressor (with_etag here) is made the encoded variant's own, weak
        plain, _ = raw_get(client, "/versioned", **{"Accept-Encoding": "identity"})
        encoded, _ = raw_get(client, "/versioned", **{"Accept-Encoding": "gzip"})
        assert plain["etag"] == '"v1"' and encoded["etag"] == 'W/"v1-gzip"'
        assert encoded["content-encoding"] == "gzip"
        calls = CALLS["versioned"]
        revalidated = client.get("/versioned", headers={"Accept-Encoding": "gzip", "If-None-Match": 'W/"v1-gzip"'})
        assert revalidated.status_code == 304 and revalidated.headers["ETag"] == 'W/"v1-gzip"'
        assert CALLS["versioned"] == calls + 1  # answered by the middleware: the endpoint ran
        # If-Match is strong: the gzip variant's weak tag never matches it (the identity's still does)
        assert client.get("/versioned", headers={"Accept-Encoding": "gzip", "If-Match": '"v1"'}).status_code == 412
        assert client.get("/versioned", headers={"Accept-Encoding": "identity", "If-Match": '"v1"'}).status_code == 200


def test_compression_outside_the_etag_middleware_reuses_the_identity_tag():
    """The wrong order, shown: gzip bytes go out under the identity body's strong tag."""
    with asgi_server(compression_app(etag_outside=False)) as client:
        identity, body = raw_get(client, "/", **{"Accept-Encoding": "identity"})
        zipped, wire = raw_get(client, "/", **{"Accept-Encoding": "gzip"})
        assert zipped["content-encoding"] == "gzip" and wire != body
        assert zipped["etag"] == identity["etag"] == '"%s"' % hashlib.sha1(PAGE).hexdigest()
        encoded, _ = raw_get(client, "/versioned", **{"Accept-Encoding": "gzip"})
        assert encoded["content-encoding"] == "gzip" and encoded["etag"] == '"v1"'


RELEASE = threading.Event()
FINISHED = threading.Event()


async def events(request):
    async def stream():
        yield b"data: first\n\n"
        deadline = time.monotonic() + 5
        while not RELEASE.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        yield b"data: last\n\n"
        FINISHED.set()
    return StreamingResponse(stream(), media_type="text/event-stream")


@pytest.mark.parametrize("etag_outside", [True, False])
def test_event_streams_pass_unbuffered(etag_outside):
    RELEASE.clear()
    FINISHED.clear()
    app = compression_app(etag_outside)
    app.add_route("/events", events)
    with asgi_server(app) as client:
        with client.stream("GET", "/events", headers={"Accept-Encoding": "gzip"}) as response:
            chunks = response.iter_raw()
            first = next(chunks)
            assert first == b"data: first\n\n" and not FINISHED.is_set()  # before the endpoint finished
            assert "etag" not in response.headers
            RELEASE.set()
            assert b"".join(chunks) == b"data: last\n\n"
        assert FINISHED.is_set()


def test_a_misconfigured_add_middleware_fails_at_startup_or_on_every_request():
    """Starlette builds its middleware stack lazily: a ConfigError from add_middleware surfaces when
    the app first runs, at lifespan startup (uvicorn lifespan="on") or else on each request (500)."""
    app = FastAPI()
    app.add_middleware(ETagMiddleware, strategy="stat")  # no error yet
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="on"))
    exits = []

    def run() -> None:
        try:
            server.run()
        except SystemExit as exc:  # "Application startup failed. Exiting."
            exits.append(exc.code)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and not server.started and exits == [3]
    with asgi_server(app) as client:  # lifespan off: the first request builds the stack
        assert client.get("/", headers={"Connection": "close"}).status_code == 500


def test_peer_starlette_staticfiles_differences(site):
    """Starlette's own StaticFiles next to ours on one directory: the same 304s for the tag a client
    holds; Starlette ignores If-Match and If-Unmodified-Since (200), where RFC 9110 says 412."""
    from starlette.staticfiles import StaticFiles as StarletteStaticFiles

    static = site / "static"
    app = Starlette(routes=[Mount("/ours", app=StaticFiles(directory=static)),
                            Mount("/theirs", app=StarletteStaticFiles(directory=static))])
    with asgi_server(app) as client:
        for prefix in ("/ours", "/theirs"):
            tag = client.get(f"{prefix}/app.js").headers["ETag"]
            for header in (tag, "W/" + tag, f'"x", {tag}'):
                assert client.get(f"{prefix}/app.js", headers={"If-None-Match": header}).status_code == 304
            assert client.get(f"{prefix}/app.js", headers={"If-None-Match": '"x"'}).status_code == 200
        stale = {"If-Match": '"not-it"'}
        assert client.get("/ours/app.js", headers=stale).status_code == 412
        assert client.get("/theirs/app.js", headers=stale).status_code == 200
        past = {"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
        assert client.get("/ours/app.js", headers=past).status_code == 412
        assert client.get("/theirs/app.js", headers=past).status_code == 200
