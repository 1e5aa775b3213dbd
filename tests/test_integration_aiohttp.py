"""etagcore.integrations.aiohttp on aiohttp's own server (web.AppRunner + web.TCPSite on 127.0.0.1,
port 0, in a thread with its own event loop), driven by httpx. Where aiohttp answers conditional
requests itself (FileResponse), the same requests go to a plain aiohttp app too and the
differences are asserted."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

import etagcore
from etagcore import ConfigError, get_strategy
from etagcore.integrations.aiohttp import etag_middleware, with_etag
from etagcore.response import KEPT_ON_304
from readme import example  # noqa: E402

TIMEOUT = 10
STRATEGY = "xxh3-128"
TAGGER = get_strategy(STRATEGY)
PAGE = "<!doctype html><p>" + "etagcore " * 200
SMALL = b"0123456789" * 100  # a file under 256 KiB: read whole before the headers go out
LARGE = bytes(range(256)) * 4096  # 1 MiB: sent from the open file in chunks
HUGE = 32 << 20  # more than loopback socket buffers hold, so the server is mid-body when we change it


@contextlib.contextmanager
def aiohttp_server(app: web.Application) -> Iterator[httpx.Client]:
    """aiohttp's own server on 127.0.0.1 in a thread with its own loop; stops when the block ends."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, shutdown_timeout=1, access_log=None)
    ready = threading.Event()
    state: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def start() -> None:
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            state["port"] = runner.addresses[0][1]

        try:
            loop.run_until_complete(start())
        finally:
            ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(TIMEOUT) and "port" in state, "aiohttp did not start"
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{state['port']}", timeout=TIMEOUT) as client:
            yield client
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)
        loop.close()


# -- the app: the same routes with and without the middleware ----------------------------------------

CALLS: dict[str, int] = {"document": 0, "view": 0, "method": 0}
VERSION = {"tag": '"v1"'}
STREAM = {"release": threading.Event(), "finished": False}


async def page(request: web.Request) -> web.StreamResponse:
    return web.Response(text=PAGE, content_type="text/html")


async def sized(request: web.Request) -> web.StreamResponse:
    return web.Response(body=b"x" * int(request.query["n"]))


async def own_tag(request: web.Request) -> web.StreamResponse:
    return web.Response(text="own", headers={"ETag": request.query["tag"]})


async def head_only(request: web.Request) -> web.StreamResponse:
    # A HEAD handler of its own that sends no body: no GET body to tag, so no tag.
    return web.Response(headers={"Content-Length": "2048"})


async def with_cookie(request: web.Request) -> web.StreamResponse:
    response = web.Response(text=PAGE, headers={"Cache-Control": "no-cache"})
    response.set_cookie("session", "abc")
    return response


async def compressed(request: web.Request) -> web.StreamResponse:
    response = web.Response(text=PAGE)
    response.enable_compression()
    return response


async def event_stream(request: web.Request) -> web.StreamResponse:
    return web.Response(text="data: 1\n\n", content_type="text/event-stream")


async def payload(request: web.Request) -> web.StreamResponse:
    import io

    return web.Response(body=io.BytesIO(b"from a payload object"))


async def stream(request: web.Request) -> web.StreamResponse:
    STREAM["finished"] = False
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(b"first;")
    deadline = time.monotonic() + 5
    while not STREAM["release"].is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await response.write(b"released" if STREAM["release"].is_set() else b"timed out")
    STREAM["finished"] = True
    return response


FILES = web.AppKey("files", Any)


def file_route(request: web.Request) -> str:
    return str(request.app[FILES] / request.match_info["name"])


async def file(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(file_route(request))


async def file_with_headers(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(file_route(request), headers={
        "Content-Type": "application/x-report", "Content-Disposition": "attachment", "Cache-Control": "max-age=60"})


async def file_for_a_user(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(file_route(request), headers={"Vary": "Cookie"})
    response.set_cookie("session", "rotated")
    return response


async def file_through_a_link(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(str(request.app[FILES] / "link" / ".." / "small.txt"))


@with_etag(lambda request: VERSION["tag"])
async def document(request: web.Request) -> web.StreamResponse:
    CALLS["document"] += 1
    return web.Response(text=f"document {CALLS['document']}")


async def async_validator(request: web.Request) -> str | None:
    await asyncio.sleep(0)
    return VERSION["tag"]


class DocumentView(web.View):
    @with_etag(async_validator)
    async def get(self) -> web.StreamResponse:
        CALLS["view"] += 1
        return web.Response(text="view")

    @with_etag(async_validator)
    async def put(self) -> web.StreamResponse:
        CALLS["view"] += 1
        return web.Response(text="saved")


class Handlers:
    @with_etag(lambda request: None)
    async def create(self, request: web.Request) -> web.StreamResponse:
        CALLS["method"] += 1
        return web.Response(status=201, text="created")


@with_etag(lambda request: "not-quoted")
async def bad_validator(request: web.Request) -> web.StreamResponse:
    return web.Response(text="never")


def make_app(files: Any, middlewares: list[Any]) -> web.Application:
    app = web.Application(middlewares=middlewares)
    app[FILES] = files
    handlers = Handlers()
    app.add_routes([
        web.get("/", page), web.get("/sized", sized), web.get("/own", own_tag), web.head("/head-only", head_only),
        web.get("/cookie", with_cookie), web.get("/compressed", compressed), web.get("/events", event_stream),
        web.get("/payload", payload), web.get("/stream", stream),
        web.get("/files/{name}", file), web.get("/typed/{name}", file_with_headers),
        web.get("/user-file/{name}", file_for_a_user), web.get("/through-link", file_through_a_link),
        web.route("*", "/document", document), web.view("/view", DocumentView),
        web.put("/create", handlers.create), web.get("/bad-validator", bad_validator),
    ])
    return app


@pytest.fixture(scope="module")
def files(tmp_path_factory: Any) -> Any:
    root = tmp_path_factory.mktemp("aiohttp-files")
    (root / "small.txt").write_bytes(SMALL)
    (root / "large.bin").write_bytes(LARGE)
    (root / "setback.txt").write_bytes(b"A" * 100)
    (root / "packed.txt").write_bytes(SMALL)
    (root / "packed.txt.gz").write_bytes(gzip.compress(SMALL, mtime=0))
    with open(root / "huge.bin", "wb") as f:
        f.truncate(HUGE)
    os.mkdir(root / "adir")
    time.sleep(1.1)  # older than one second: stable, so they get validators
    return root


@pytest.fixture(scope="module")
def client(files: Any) -> Iterator[httpx.Client]:
    with aiohttp_server(make_app(files, [etag_middleware(strategy=STRATEGY)])) as c:
        yield c


@pytest.fixture(scope="module")
def plain(files: Any) -> Iterator[httpx.Client]:
    with aiohttp_server(make_app(files, [])) as c:
        yield c


def tag_of(body: bytes | str) -> str:
    return str(TAGGER.tag(body.encode() if isinstance(body, str) else body))


# -- web.Response --------------------------------------------------------------------------------------

def test_response_tagged_and_304_on_strong_and_weak_matches(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.text == PAGE
    tag = r.headers["etag"]
    assert tag == tag_of(PAGE)
    for condition in (tag, "W/" + tag, f'"other", {tag}', f"W/\"x\",\t{tag} ,"):
        r = client.get("/", headers={"If-None-Match": condition})
        assert r.status_code == 304, condition
        assert r.headers["etag"] == tag and r.content == b""
        assert "content-length" not in r.headers and "content-type" not in r.headers


def test_repeated_if_none_match_lines_are_combined(client: httpx.Client) -> None:
    tag = client.get("/").headers["etag"]
    r = client.get("/", headers=[("If-None-Match", '"other"'), ("If-None-Match", tag)])
    assert r.status_code == 304


def test_no_wrong_304(client: httpx.Client) -> None:
    tag = client.get("/").headers["etag"]
    opaque = tag.strip('"')
    for condition in (opaque, f'"{opaque}', f"w/{tag}", f"W/ {tag}", f"*, {tag}", f'"a" "b" {tag}',
                      tag_of(PAGE + " "), "\xff" + tag):
        r = client.get("/", headers={"If-None-Match": condition.encode("latin-1")})
        assert r.status_code == 200 and r.text == PAGE, condition
        assert r.headers["etag"] == tag


def test_head_gets_gets_tag_or_none(client: httpx.Client) -> None:
    tag = client.get("/").headers["etag"]
    r = client.head("/")
    assert r.status_code == 200 and r.content == b"" and r.headers["etag"] == tag
    assert client.head("/", headers={"If-None-Match": tag}).status_code == 304
    r = client.head("/head-only")  # no body to tag: no tag, and so no 304 either
    assert r.status_code == 200 and "etag" not in r.headers and r.headers["content-length"] == "2048"
    assert client.head("/head-only", headers={"If-None-Match": tag_of(b"")}).status_code == 200


def test_412_for_a_failed_if_match(client: httpx.Client) -> None:
    tag = client.get("/").headers["etag"]
    r = client.get("/", headers={"If-Match": '"stale"'})
    assert r.status_code == 412 and r.content == b""
    assert r.headers["content-length"] == "0"
    assert "etag" not in r.headers and "content-type" not in r.headers
    assert client.get("/", headers={"If-Match": "W/" + tag}).status_code == 412  # strong comparison
    assert client.get("/", headers={"If-Match": tag}).status_code == 200


def test_handler_tags_pass_through_and_never_500(client: httpx.Client) -> None:
    r = client.get("/own", params={"tag": '"v7"'})
    assert r.status_code == 200 and r.headers["etag"] == '"v7"'  # not the body's hash
    assert client.get("/own", params={"tag": '"v7"'}, headers={"If-None-Match": '"v7"'}).status_code == 304
    assert client.get("/own", params={"tag": 'W/"v7"'}, headers={"If-None-Match": '"v7"'}).status_code == 304
    assert client.get("/own", params={"tag": 'W/"v7"'}, headers={"If-Match": 'W/"v7"'}).status_code == 412
    for odd in ("v7", '"unterminated', "W/v7", '"a" "b"', "", 'w/"v7"', '"v7"x'):
        r = client.get("/own", params={"tag": odd}, headers={"If-None-Match": odd or '""'})
        assert r.status_code == 200 and r.text == "own", odd
        assert r.headers.get("etag", "") == odd


def test_cookies_follow_the_cores_304_and_412_fields(client: httpx.Client) -> None:
    r = client.get("/cookie")
    tag = r.headers["etag"]
    assert tag == tag_of(PAGE) and "session=abc" in r.headers["set-cookie"]
    r = client.get("/cookie", headers={"If-None-Match": tag})
    assert r.status_code == 304 and r.headers["cache-control"] == "no-cache"
    assert ("set-cookie" in r.headers) == ("set-cookie" in KEPT_ON_304)
    r = client.get("/cookie", headers={"If-Match": '"stale"'})
    assert r.status_code == 412 and "cache-control" not in r.headers and "session=abc" in r.headers["set-cookie"]


def test_untagged_responses(client: httpx.Client) -> None:
    r = client.get("/compressed", headers={"Accept-Encoding": "gzip"})  # aiohttp encodes after us
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip" and "etag" not in r.headers
    assert client.get("/compressed", headers={"If-None-Match": tag_of(PAGE)}).status_code == 200
    r = client.get("/events")
    assert r.status_code == 200 and "etag" not in r.headers
    r = client.get("/payload")
    assert r.text == "from a payload object" and "etag" not in r.headers
    assert client.post("/document").status_code == 200  # not GET/HEAD: untouched
    assert "etag" not in client.post("/document").headers


def test_max_body(files: Any) -> None:
    with aiohttp_server(make_app(files, [etag_middleware(max_body=1024)])) as c:
        assert c.get("/sized", params={"n": 1024}).headers["etag"] == str(get_strategy("xxh3-128").tag(b"x" * 1024))
        r = c.get("/sized", params={"n": 1025})
        assert r.status_code == 200 and len(r.content) == 1025 and "etag" not in r.headers


def test_stream_response_untouched_and_not_buffered(client: httpx.Client) -> None:
    STREAM["release"].clear()
    with client.stream("GET", "/stream") as r:
        assert r.status_code == 200 and "etag" not in r.headers
        chunks = r.iter_raw()
        first = next(chunks)
        assert first.startswith(b"first;") and not STREAM["finished"]  # sent while the handler still runs
        STREAM["release"].set()
        rest = first + b"".join(chunks)
    assert rest == b"first;released"


# -- web.FileResponse ------------------------------------------------------------------------------------

def test_file_tag_from_its_file_and_its_304(client: httpx.Client, plain: httpx.Client, files: Any) -> None:
    r = client.get("/files/small.txt")
    assert r.status_code == 200 and r.content == SMALL
    tag = r.headers["etag"]
    assert tag == tag_of(SMALL) and "last-modified" in r.headers
    for condition in (tag, "W/" + tag):
        r = client.get("/files/small.txt", headers={"If-None-Match": condition})
        assert r.status_code == 304 and r.headers["etag"] == tag and r.content == b""
    r = client.head("/files/small.txt")
    assert r.content == b"" and r.headers["etag"] == tag and r.headers["content-length"] == str(len(SMALL))
    r = client.get("/files/small.txt", headers={"If-Match": '"stale"'})
    assert r.status_code == 412 and "etag" not in r.headers
    # aiohttp's own: a tag from the stat, the same conditional answers to it
    mine = plain.get("/files/small.txt")
    st = os.stat(files / "small.txt")
    assert mine.headers["etag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    assert plain.get("/files/small.txt", headers={"If-None-Match": mine.headers["etag"]}).status_code == 304


def test_large_file_sent_from_the_open_file(client: httpx.Client, files: Any) -> None:
    r = client.get("/files/large.bin")
    assert r.status_code == 200 and r.content == LARGE and r.headers["etag"] == tag_of(LARGE)
    r = client.get("/files/large.bin", headers={"Range": "bytes=300000-", "If-Range": tag_of(LARGE)})
    assert r.status_code == 206 and r.content == LARGE[300000:]
    assert r.headers["content-range"] == f"bytes 300000-{len(LARGE) - 1}/{len(LARGE)}"
    assert not open_descriptors_of(files / "large.bin")


def test_file_changed_within_a_second_gets_no_validator(client: httpx.Client, plain: httpx.Client,
                                                       files: Any) -> None:
    path = files / "fresh.txt"
    path.write_bytes(b"fresh bytes")
    r = client.get("/files/fresh.txt")
    assert r.status_code == 200 and r.content == b"fresh bytes"
    assert "etag" not in r.headers and "last-modified" not in r.headers
    assert r.headers["cache-control"] == "no-store"
    assert client.get("/files/fresh.txt", headers={"If-None-Match": tag_of(b"fresh bytes")}).status_code == 200
    assert client.head("/files/fresh.txt").headers.get("etag") is None
    r = plain.get("/files/fresh.txt")  # aiohttp validates it anyway
    assert "etag" in r.headers and "last-modified" in r.headers


def test_mtime_set_back_no_wrong_304(client: httpx.Client, plain: httpx.Client, files: Any) -> None:
    """Bytes replaced and the mtime restored (cp -p, rsync -t, tar; or two writes in one timestamp
    tick): aiohttp's stat tag does not change, so it answers 304 for bytes the client lacks."""
    path = files / "setback.txt"
    before = os.stat(path)
    aiohttp_tag = plain.get("/files/setback.txt").headers["etag"]
    our_tag = client.get("/files/setback.txt").headers["etag"]
    path.write_bytes(b"B" * 100)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    r = plain.get("/files/setback.txt", headers={"If-None-Match": aiohttp_tag})
    assert r.status_code == 304  # aiohttp: the client keeps "AAA...", the file holds "BBB..."
    r = client.get("/files/setback.txt", headers={"If-None-Match": our_tag})
    assert r.status_code == 200 and r.content == b"B" * 100


def test_second_write_within_a_second_no_wrong_304_for_a_date(client: httpx.Client, plain: httpx.Client,
                                                              files: Any) -> None:
    """aiohttp rounds Last-Modified up (ceil of the mtime) and answers If-Modified-Since with
    ``mtime <= date``: bytes written again later in the same second earn a 304 for the old ones."""
    path = files / "twice.txt"
    path.write_bytes(b"first version")
    second = int(time.time()) - 5
    os.utime(path, (second + 0.2, second + 0.2))
    date = plain.get("/files/twice.txt").headers["last-modified"]
    path.write_bytes(b"second version, longer")
    os.utime(path, (second + 0.7, second + 0.7))  # the second write, within the same second
    assert plain.get("/files/twice.txt", headers={"If-Modified-Since": date}).status_code == 304
    r = client.get("/files/twice.txt", headers={"If-Modified-Since": date})
    assert r.status_code == 200 and r.content == b"second version, longer"


def test_range_and_if_range_consistent_with_our_tag(client: httpx.Client, plain: httpx.Client) -> None:
    full = client.get("/files/small.txt")
    tag, last_modified = full.headers["etag"], full.headers["last-modified"]
    partial = {"Range": "bytes=0-4"}

    def ours(**extra: str) -> httpx.Response:
        return client.get("/files/small.txt", headers={**partial, **extra})

    def theirs(**extra: str) -> httpx.Response:
        return plain.get("/files/small.txt", headers={**partial, **extra})

    r = ours()
    assert r.status_code == 206 and r.content == SMALL[:5] and r.headers["etag"] == tag
    assert r.headers["content-range"] == f"bytes 0-4/{len(SMALL)}"
    assert ours(**{"If-Range": tag}).status_code == 206
    assert ours(**{"If-Range": last_modified}).status_code == 206  # the exact date of a stable file
    for stale in ('"stale"', "W/" + tag, "Tue, 01 Jan 2099 00:00:00 GMT", "Mon, 01 Jan 2001 00:00:00 GMT"):
        r = ours(**{"If-Range": stale})
        assert r.status_code == 200 and r.content == SMALL, stale
    # aiohttp reads If-Range as a date only: an entity-tag (even a stale one) is ignored, so the
    # range is served, and any date not before the mtime (a future one too) honours it.
    assert theirs(**{"If-Range": '"stale"'}).status_code == 206
    assert theirs(**{"If-Range": "Tue, 01 Jan 2099 00:00:00 GMT"}).status_code == 206
    assert theirs(**{"If-Range": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    # Range forms: we ignore what we do not serve (RFC 9110 14.2), aiohttp answers 416
    for unserved in ("items=0-4", "bytes=0-1,3-4", "bytes=4-1"):
        r = client.get("/files/small.txt", headers={"Range": unserved})
        assert r.status_code == 200 and r.content == SMALL, unserved
        assert plain.get("/files/small.txt", headers={"Range": unserved}).status_code == 416, unserved
    for side in (client, plain):
        r = side.get("/files/small.txt", headers={"Range": "bytes=5000-"})
        assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(SMALL)}"


def test_file_keeps_handler_headers(client: httpx.Client) -> None:
    r = client.get("/typed/small.txt")
    assert r.status_code == 200 and r.content == SMALL
    assert r.headers["content-type"] == "application/x-report"  # the handler's, not a guess
    assert r.headers["content-disposition"] == "attachment" and r.headers["cache-control"] == "max-age=60"
    r = client.get("/typed/small.txt", headers={"If-None-Match": r.headers["etag"]})
    assert r.status_code == 304 and r.headers["cache-control"] == "max-age=60"
    assert "content-disposition" not in r.headers and "content-type" not in r.headers


def test_precompressed_sidecar_has_its_own_tag(client: httpx.Client, plain: httpx.Client) -> None:
    packed = gzip.compress(SMALL, mtime=0)
    r = client.get("/files/packed.txt", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "Accept-Encoding"
    assert r.content == SMALL  # httpx decodes; the tag is of the bytes sent
    assert r.headers["etag"] == tag_of(packed)
    r = client.get("/files/packed.txt", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in r.headers and r.headers["etag"] == tag_of(SMALL)
    assert r.headers["vary"] == "Accept-Encoding"  # aiohttp's plain answer has no Vary
    assert "vary" not in plain.get("/files/packed.txt", headers={"Accept-Encoding": "identity"}).headers


def test_what_names_no_file_is_aiohttps(client: httpx.Client, plain: httpx.Client) -> None:
    for name, status in (("missing.txt", 404), ("adir", 403)):
        assert client.get(f"/files/{name}").status_code == plain.get(f"/files/{name}").status_code == status


def test_file_changed_while_sent_is_cut_short(client: httpx.Client, files: Any) -> None:
    path = files / "huge.bin"
    with client.stream("GET", "/files/huge.bin") as r:
        assert r.status_code == 200 and r.headers["content-length"] == str(HUGE) and "etag" in r.headers
        chunks = r.iter_raw()
        received = len(next(chunks))
        with open(path, "ab") as f:
            f.write(b"more")
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in chunks:
                received += len(chunk)
    assert received < HUGE
    deadline = time.monotonic() + 2
    while open_descriptors_of(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not open_descriptors_of(path), "the file was left open"


def open_descriptors_of(path: Any) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                found.append(fd)
    return found


# -- validator-first ---------------------------------------------------------------------------------------

def test_with_etag_decides_before_the_handler_runs(client: httpx.Client) -> None:
    VERSION["tag"] = '"v1"'
    before = CALLS["document"]
    r = client.get("/document")
    assert r.status_code == 200 and r.headers["etag"] == '"v1"'  # the validator's, kept by the middleware
    assert CALLS["document"] == before + 1
    for request in (dict(method="GET", headers={"If-None-Match": '"v1"'}),
                    dict(method="HEAD", headers={"If-None-Match": 'W/"v1"'}),
                    dict(method="PUT", headers={"If-Match": '"v0"'}),
                    dict(method="DELETE", headers={"If-None-Match": "*"})):
        r = client.request(url="/document", **request)  # type: ignore[arg-type]
        assert r.status_code == (304 if request["method"] in ("GET", "HEAD") else 412), request
        assert CALLS["document"] == before + 1, "the handler ran"
    assert client.put("/document", headers={"If-Match": '"v1"'}).status_code == 200
    assert CALLS["document"] == before + 2


def test_with_etag_on_views_and_methods_with_async_validators(client: httpx.Client) -> None:
    VERSION["tag"] = '"v2"'
    before = CALLS["view"]
    assert client.get("/view").headers["etag"] == '"v2"'
    assert client.get("/view", headers={"If-None-Match": '"v2"'}).status_code == 304
    assert client.put("/view", headers={"If-Match": '"v1"'}).status_code == 412
    assert CALLS["view"] == before + 1
    # no current representation: If-None-Match: * lets a create through, If-Match: * does not
    before = CALLS["method"]
    assert client.put("/create", headers={"If-Match": "*"}).status_code == 412
    assert CALLS["method"] == before
    assert client.put("/create", headers={"If-None-Match": "*"}).status_code == 201
    assert CALLS["method"] == before + 1


def test_with_etag_malformed_validator_fails_every_request_alike(client: httpx.Client) -> None:
    assert client.get("/bad-validator").status_code == 500
    assert client.get("/bad-validator", headers={"If-None-Match": "not-quoted"}).status_code == 500


# -- configuration -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, named", [
    ({"strategy": "stat"}, "strategy"), ({"strategy": "no-such-strategy"}, "strategy"),
    ({"strategy": 42}, "strategy"), ({"max_body": -1}, "max_body"), ({"max_body": "8M"}, "max_body"),
    ({"max_body": True}, "max_body"),
])
def test_misconfiguration_raises_config_error(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        etag_middleware(**kwargs)
    assert issubclass(ConfigError, etagcore.EtagcoreError)


# -- the README example, verbatim ---------------------------------------------------------------------------

README_EXAMPLE = example("aiohttp")


def test_readme_example(files: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(files)
    (files / "report.txt").write_bytes(SMALL)
    os.utime(files / "report.txt", (time.time() - 10, time.time() - 10))
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(README_EXAMPLE, "README.md", "exec"), namespace)
    with aiohttp_server(namespace["app"]) as c:
        home = c.get("/")
        assert home.headers["etag"] == tag_of("<h1>Hello</h1>")
        assert c.get("/", headers={"If-None-Match": home.headers["etag"]}).status_code == 304
        assert c.get("/documents/42", headers={"If-None-Match": '"v3"'}).status_code == 304
        assert c.get("/documents/42").headers["etag"] == '"v3"'
        r = c.get("/documents/7")
        assert r.json() == {"id": "7"} and r.headers["etag"] == tag_of(r.content)
        report = c.get("/report")
        assert report.content == SMALL
        # just written (ctime is now): no validator until it has settled
        assert "etag" not in report.headers and report.headers["cache-control"] == "no-store"


def test_a_file_keeps_the_handlers_vary_and_cookies_on_200_and_304(files: Any) -> None:
    with aiohttp_server(make_app(files, [etag_middleware()])) as c:
        first = c.get("/user-file/small.txt", headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200 and "etag" in first.headers
        assert {v.strip() for v in first.headers["vary"].split(",")} == {"Cookie", "Accept-Encoding"}
        again = c.get("/user-file/small.txt", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and "Cookie" in again.headers["vary"]
        assert again.headers["set-cookie"].startswith("session=rotated")


def test_a_file_path_through_a_symlink_and_dotdot_means_what_the_os_says(files: Any) -> None:
    (files / "sub" / "deep").mkdir(parents=True, exist_ok=True)
    (files / "sub" / "small.txt").write_bytes(b"SUB-FILE")
    if not (files / "link").is_symlink():
        (files / "link").symlink_to(files / "sub" / "deep")
    time.sleep(1.1)
    with aiohttp_server(make_app(files, [etag_middleware()])) as c, aiohttp_server(make_app(files, [])) as plain:
        assert c.get("/through-link").content == plain.get("/through-link").content == b"SUB-FILE"


@pytest.mark.parametrize("make", [
    lambda: web.Response(body=b"x", content_type="text/plain"),
    lambda: web.Response(text="x", status=201),
    lambda: web.json_response({"a": 1}),
    lambda: web.Response(body=bytearray(b"x")),
    lambda: web.Response(),
    lambda: web.Response(headers={"ETag": '"x"'}),
])
def test_the_response_storage_the_middleware_reads_is_what_the_properties_give(make: Any) -> None:
    """The middleware uses aiohttp's storage behind Response.body/status/reason/headers/compression
    and the cookie jar without the public properties (which cost more than a tag): this fails
    if an aiohttp release moves them."""
    response = make()
    for _ in range(2):
        assert response._body is response.body
        assert response._status == response.status
        assert response._headers is response.headers
        assert response._compression is response.compression
        assert response._cookies is None or response._cookies is response.cookies
        assert response._chunked is response.chunked
        assert (response._eof_sent or response._payload_writer is not None) is response.prepared is False
        response.enable_compression()
        response.enable_chunked_encoding()
        response.set_cookie("a", "1")
    assert response._cookies is response.cookies and response._cookies
    response._status, response._reason = 304, "Not Modified"  # what set_status() stores
    response._headers = headers = web.Response()._headers
    assert (response.status, response.reason, response.headers) == (304, "Not Modified", headers)
    response._compressed_body = b"stale"
    response.body = None  # what the middleware stores in its place
    assert response._body is response._compressed_body is None


async def chunked(request: web.Request) -> web.StreamResponse:
    response = web.Response(body=b"hello", headers={"Cache-Control": "max-age=60"})
    response.enable_chunked_encoding()
    return response


@pytest.mark.parametrize("condition, status", [('If-Match: "x"', 412), ('If-None-Match: "{tag}"', 304)])
def test_a_chunked_response_answered_304_or_412_has_one_framing(condition: str, status: int) -> None:
    """A handler's chunked encoding does not follow it into the 304/412 (a 412 with both
    Transfer-Encoding and Content-Length: 0 is what request smuggling feeds on)."""
    import socket

    app = web.Application(middlewares=[etag_middleware()])
    app.router.add_get("/", chunked)
    with aiohttp_server(app) as client:
        port = client.base_url.port
        tag = client.get("/").headers["ETag"]
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            request = f"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{condition.format(tag=tag[1:-1])}\r\n\r\n"
            sock.sendall(request.encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").lower().split("\r\n")
    assert lines[0].startswith(f"http/1.1 {status}") and body == b""
    assert not any(line.startswith("transfer-encoding") for line in lines)
    assert ("content-length: 0" in lines) == (status == 412)
    assert ("cache-control: max-age=60" in lines) == (status == 304)


class LateBody(web.Response):
    """A legal subclass that makes its body when it is sent: a new one each time."""

    made = 0

    async def prepare(self, request: web.BaseRequest) -> Any:
        LateBody.made += 1
        self.body = b"version %d" % LateBody.made
        return await super().prepare(request)


async def late_body(request: web.Request) -> web.StreamResponse:
    return LateBody()


def test_a_response_subclass_is_left_alone() -> None:
    """Its body may be made or changed when it is sent, after the middleware: no tag (a tag of
    the body seen here named other bytes, and a 304 then kept a stale copy), no 304/412 made of it."""
    app = web.Application(middlewares=[etag_middleware()])
    app.router.add_get("/", late_body)
    with aiohttp_server(app) as client:
        first = client.get("/")
        assert first.content.startswith(b"version") and "ETag" not in first.headers
        for condition in ({"If-None-Match": f'"{TAGGER.tag(b"").opaque}"'}, {"If-Match": '"nope"'}):
            answer = client.get("/", headers=condition)
            assert answer.status_code == 200 and answer.content.startswith(b"version")


def test_with_etag_gives_no_tag_to_a_response_aiohttp_may_compress() -> None:
    @with_etag(lambda request: '"v3"')
    async def document(request: web.Request) -> web.StreamResponse:
        response = web.Response(text="hello " * 500)
        response.enable_compression()
        return response

    app = web.Application()
    app.router.add_get("/", document)
    with aiohttp_server(app) as client:
        for coding in ("gzip", "identity"):
            answer = client.get("/", headers={"Accept-Encoding": coding})
            assert answer.status_code == 200 and answer.text == "hello " * 500 and "ETag" not in answer.headers
