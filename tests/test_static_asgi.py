"""The ASGI StaticFiles frontend on a real uvicorn: mounted in Starlette, as the bare app, and as
Starlette < 0.33 called a mount (the prefix moved from ``path`` to ``root_path``).

Every rule is the core's (etagcore.static.StaticSite); these tests check that the frontend carries
them over the wire: tags, preconditions, ranges, containment, sidecars, caching, and the races (a
directory swapped for a symlink out of the root; a file rewritten in place while it is sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import gzip
import os
import random
import socket
import threading
import time
import urllib.parse
import uuid

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from etagcore import files, get_strategy
from etagcore.errors import ConfigError
from etagcore.httpdate import format_http_date
from etagcore.integrations.asgi import StaticFiles
from etagcore.static import site as site_module
from servers import asgi_server

DATA = bytes(range(256)) * 40  # 10 KiB
SECRET = b"OUTSIDE-SECRET-BYTES"
JS = b"export const answer = 42;\n" * 80
GZ = gzip.compress(JS, mtime=0)
BR = b"pretend-brotli:" + JS[:100]  # never decoded: only which file was sent matters
STRATEGY = get_strategy("xxh3-128")  # StaticSite's default
OLD = int(time.time()) - 30 * 86400


def last_modified(path) -> int:
    """What the site sends: the later of mtime and ctime (ctime cannot be set back)."""
    st = os.stat(path)
    return max(st.st_mtime_ns, st.st_ctime_ns) // 10**9
CUT = (httpx.RemoteProtocolError, httpx.ReadError)  # a response the server ended short
ALLOWED_ON_304 = {"etag", "cache-control", "vary", "date", "server"}  # date/server: uvicorn's own


def tag_of(body: bytes) -> str:
    return str(STRATEGY.tag(body))


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("asgi")
    root, outside = base / "root", base / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (root / "data.bin").write_bytes(DATA)
    (root / "index.html").write_bytes(b"<h1>home</h1>")
    (root / "dir").mkdir()
    (root / "dir" / "index.html").write_bytes(b"<h1>dir</h1>")
    (root / "sub").mkdir()
    os.symlink(outside / "secret.txt", root / "sub" / "index.html")  # absolute, out of the root
    (root / "rel").mkdir()
    os.symlink("../../outside/secret.txt", root / "rel" / "index.html")  # relative, out of the root
    os.symlink(outside / "secret.txt", root / "escape.txt")
    os.symlink(outside, root / "outdir")
    os.symlink("loop", root / "loop")
    os.symlink("pong", root / "ping")
    os.symlink("ping", root / "pong")
    os.mkfifo(root / "fifo")
    (root / "fifodir").mkdir()
    os.mkfifo(root / "fifodir" / "index.html")
    (root / ".env").write_bytes(b"PASSWORD=hunter2")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_bytes(b"[core]")
    os.symlink(".env", root / "dotlink.txt")
    (root / "app.js").write_bytes(JS)
    (root / "app.js.gz").write_bytes(GZ)
    (root / "app.js.br").write_bytes(BR)
    (root / "old.js").write_bytes(JS)
    (root / "old.js.gz").write_bytes(b"stale gzip bytes")
    (root / "app.3f9a1c2b.js").write_bytes(JS)
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (OLD, OLD))
    os.utime(root / "old.js.gz", (OLD - 3600, OLD - 3600))  # older than old.js: stale
    time.sleep(1.1)  # every ctime more than a second old: the files are stable and tagged
    return root


class Site:
    """A client for one server, with the mount prefix in front of every path."""

    def __init__(self, client: httpx.Client, prefix: str) -> None:
        self.client, self.prefix = client, prefix
        self.base = str(client.base_url).rstrip("/")

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.client.get(self.prefix + path, **kwargs)

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.client.request(method, self.prefix + path, **kwargs)

    def raw_body(self, path: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """The body as sent (httpx would decode a Content-Encoding)."""
        with self.client.stream("GET", self.prefix + path, headers=headers) as response:
            return response, b"".join(response.iter_raw())

    def raw(self, target: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
        """A GET whose request target is sent exactly as given (httpx removes dot segments)."""
        url = self.client.base_url
        with socket.create_connection((url.host, url.port), timeout=timeout) as sock:
            sock.sendall(f"GET {self.prefix}{target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        return int(status_line.split()[1]), headers, body


@contextlib.contextmanager
def serving(app, prefix: str):
    with asgi_server(app) as client:
        del client.headers["Accept-Encoding"]  # httpx's default; tests that want one say so
        yield Site(client, prefix)


def mounted(root, **options) -> Starlette:
    return Starlette(routes=[Mount("/static", app=StaticFiles(directory=root, **options))])


def old_starlette(root):
    """How Starlette < 0.33 called a mounted app: the mount cut from "path", added to "root_path"."""
    inner = StaticFiles(directory=root)

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/static/"):
            scope = {**scope, "path": scope["path"][len("/static"):],
                     "root_path": scope.get("root_path", "") + "/static"}
        await inner(scope, receive, send)

    return app


@pytest.fixture(scope="module", params=["mounted", "bare", "old-starlette"])
def site(request, tree):
    app, prefix = {"mounted": (mounted(tree), "/static"), "bare": (StaticFiles(directory=tree), ""),
                   "old-starlette": (old_starlette(tree), "/static")}[request.param]
    with serving(app, prefix) as s:
        yield s


@pytest.fixture(scope="module")
def dot_site(tree):
    with serving(mounted(tree, dotfiles=True), "/static") as s:
        yield s


# -- tags, preconditions, HEAD -------------------------------------------------------------------


def test_200_carries_tag_dates_type_and_caching(site, tree):
    response = site.get("/data.bin")
    assert response.status_code == 200 and response.content == DATA
    assert response.headers["ETag"] == tag_of(DATA)
    assert response.headers["Last-Modified"] == format_http_date(last_modified(tree / "data.bin"))
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Content-Length"] == str(len(DATA))
    assert response.headers["Accept-Ranges"] == "bytes"
    home = site.get("/index.html")
    assert home.content == b"<h1>home</h1>" and home.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("header", ["{tag}", "W/{tag}", '"other", {tag}', "*"])
def test_if_none_match_gives_bare_304(site, header):
    tag = tag_of(DATA)
    response = site.get("/data.bin", headers={"If-None-Match": header.format(tag=tag)})
    assert response.status_code == 304 and response.content == b""
    assert set(response.headers) <= ALLOWED_ON_304, response.headers
    assert response.headers["ETag"] == tag and response.headers["Cache-Control"] == "no-cache"


def test_other_tags_and_dates(site, tree):
    tag = tag_of(DATA)
    lm = last_modified(tree / "data.bin")
    assert site.get("/data.bin", headers={"If-None-Match": '"other"'}).status_code == 200
    assert site.get("/data.bin", headers={"If-Modified-Since": format_http_date(lm)}).status_code == 304
    assert site.get("/data.bin", headers={"If-Modified-Since": format_http_date(lm - 1)}).status_code == 200
    # the old mtime is not what counts: the file's bytes changed when its ctime says
    assert site.get("/data.bin", headers={"If-Modified-Since": format_http_date(OLD)}).status_code == 200
    assert site.get("/data.bin", headers={"If-Match": tag}).status_code == 200
    assert site.get("/data.bin", headers={"If-Unmodified-Since": format_http_date(lm - 1)}).status_code == 412


@pytest.mark.parametrize("header", ['"nope"', "W/{tag}"])  # If-Match compares strongly
def test_if_match_mismatch_gives_bare_412(site, header):
    response = site.get("/data.bin", headers={"If-Match": header.format(tag=tag_of(DATA))})
    assert response.status_code == 412 and response.content == b""
    assert "Content-Type" not in response.headers and "Cache-Control" not in response.headers
    assert "ETag" not in response.headers


def test_head_matches_get_without_body(site):
    get, head = site.get("/data.bin"), site.request("HEAD", "/data.bin")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == str(len(DATA))
    missing = site.request("HEAD", "/nope.txt")
    assert missing.status_code == 404 and missing.content == b""


def test_file_changed_within_a_second_has_no_validator(site, tree):
    name = f"fresh-{uuid.uuid4().hex}.txt"
    (tree / name).write_bytes(b"just written")
    try:
        response = site.get("/" + name)
        assert response.status_code == 200 and response.content == b"just written"
        assert "ETag" not in response.headers and "Last-Modified" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    finally:
        (tree / name).unlink()


# -- ranges --------------------------------------------------------------------------------------


def test_ranges(site):
    part = site.get("/data.bin", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == DATA[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(DATA)}" and part.headers["Content-Length"] == "10"
    assert part.headers["ETag"] == tag_of(DATA)  # the representation's tag, not the part's
    assert site.get("/data.bin", headers={"Range": "bytes=-5"}).content == DATA[-5:]
    assert site.get("/data.bin", headers={"Range": "bytes=10200-"}).content == DATA[10200:]
    unsatisfiable = site.get("/data.bin", headers={"Range": "bytes=99999-"})
    assert unsatisfiable.status_code == 416 and unsatisfiable.content == b""
    assert unsatisfiable.headers["Content-Range"] == f"bytes */{len(DATA)}"
    assert "Content-Type" not in unsatisfiable.headers and "Cache-Control" not in unsatisfiable.headers
    multi = site.get("/data.bin", headers={"Range": "bytes=0-1,5-6"})  # one range only: whole file
    assert multi.status_code == 200 and multi.content == DATA and "Content-Range" not in multi.headers


@pytest.mark.parametrize("spec, status", [("bytes={n}-", 416), ("bytes=0-{n}", 206), ("bytes=-{n}", 206),
                                          ("bytes={n}-{n}", 416), ("bytes={n}", 200)])
def test_range_of_5000_digits(site, spec, status):
    response = site.get("/data.bin", headers={"Range": spec.format(n="9" * 5000)})
    assert response.status_code == status
    if status != 416:
        assert response.content == DATA


def test_if_range(site, tree):
    tag = tag_of(DATA)
    ranged = {"Range": "bytes=0-3"}
    same = site.get("/data.bin", headers={**ranged, "If-Range": tag})
    assert same.status_code == 206 and same.content == DATA[:4]
    lm = last_modified(tree / "data.bin")
    by_date = site.get("/data.bin", headers={**ranged, "If-Range": format_http_date(lm)})
    assert by_date.status_code == 206 and by_date.content == DATA[:4]
    for stale in ['"old"', "W/" + tag, format_http_date(lm - 1), format_http_date(OLD)]:
        whole = site.get("/data.bin", headers={**ranged, "If-Range": stale})
        assert whole.status_code == 200 and whole.content == DATA, stale
    # A file changed within the last second has no strong validator: a date never matches.
    name = f"fresh-{uuid.uuid4().hex}.bin"
    (tree / name).write_bytes(DATA)
    try:
        date = format_http_date(os.stat(tree / name).st_mtime)
        fresh = site.get("/" + name, headers={**ranged, "If-Range": date})
        assert fresh.status_code == 200 and fresh.content == DATA
    finally:
        (tree / name).unlink()


# -- containment ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [
    "/escape.txt", "/outdir/secret.txt", "/sub/", "/sub/.", "/sub/%2e", "/sub/index.html", "/sub/./",
    "/rel/", "/rel/.", "/rel/index.html",
    "/../outside/secret.txt", "/%2e%2e/outside/secret.txt", "/%2E%2E/outside/secret.txt",
    "/..%2foutside%2fsecret.txt", "/%2e%2e%2foutside/secret.txt", "/dir/..%2f..%2foutside/secret.txt",
    "/dir/%2e%2e/%2e%2e/outside/secret.txt", "/dir/../../outside/secret.txt", "//etc/passwd", "/%2fetc%2fpasswd",
    "/%00", "/data.bin%00", "/data.bin%00.txt", "/data.bin/", "/" + "a" * 300, "/" + "a/" * 2100 + "data.bin",
    "/loop", "/loop/x", "/ping", "/fifo", "/fifodir/",
    "/.env", "/.git/config", "/%2eenv", "/%2egit/config", "/dotlink.txt", "/nope.txt",
])
def test_outside_hidden_and_special_paths_are_404(site, target):
    started = time.monotonic()
    status, headers, body = site.raw(target, timeout=3)  # a FIFO that blocked would time out
    assert time.monotonic() - started < 2
    assert status == 404, (target, status)
    assert SECRET not in body and b"hunter2" not in body and b"[core]" not in body
    assert "etag" not in headers


def test_directory_symlinked_out_gets_only_a_redirect(site):
    status, headers, body = site.raw("/sub")
    assert status == 301 and headers["location"] == "./sub/" and SECRET not in body


def test_dotfiles_when_allowed(dot_site):
    assert dot_site.get("/.env").content == b"PASSWORD=hunter2"
    assert dot_site.get("/.git/config").content == b"[core]"
    assert dot_site.get("/dotlink.txt").content == b"PASSWORD=hunter2"
    assert dot_site.raw("/escape.txt")[0] == 404 and dot_site.raw("/%2e%2e/outside/secret.txt")[0] == 404


# -- directories and methods ---------------------------------------------------------------------


def test_directories(site):
    redirect = site.get("/dir")
    assert redirect.status_code == 301 and redirect.headers["Location"].endswith("dir/")
    target = urllib.parse.urljoin(str(redirect.url), redirect.headers["Location"])
    assert target == f"{site.base}{site.prefix}/dir/"
    assert site.client.get(target).content == b"<h1>dir</h1>"
    with_query = site.get("/dir", params={"x": "1"})
    assert urllib.parse.urljoin(str(with_query.url), with_query.headers["Location"]) == \
        f"{site.base}{site.prefix}/dir/?x=1"
    index = site.get("/dir/")
    assert index.status_code == 200 and index.content == b"<h1>dir</h1>" and "ETag" in index.headers
    assert site.get("/").content == b"<h1>home</h1>"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(site, method):
    response = site.request(method, "/data.bin")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
    assert DATA not in response.content
    assert site.request(method, "/nope.txt").status_code == 404


# -- sidecars and caching ------------------------------------------------------------------------


def test_precompressed_sidecars(site):
    identity, identity_body = site.raw_body("/app.js", {})
    assert identity_body == JS and "Content-Encoding" not in identity.headers
    assert identity.headers["ETag"] == tag_of(JS)
    for accept in ["gzip", "br;q=0, gzip", "gzip;q=1, br;q=0.5", "x-gzip"]:
        response, body = site.raw_body("/app.js", {"Accept-Encoding": accept})
        assert body == GZ and gzip.decompress(body) == JS, accept
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["ETag"] == tag_of(GZ) != identity.headers["ETag"]
        assert response.headers["Content-Type"] == identity.headers["Content-Type"]
    brotli, body = site.raw_body("/app.js", {"Accept-Encoding": "gzip, br"})
    assert body == BR and brotli.headers["Content-Encoding"] == "br" and brotli.headers["ETag"] == tag_of(BR)
    plain, body = site.raw_body("/app.js", {"Accept-Encoding": "identity"})
    assert body == JS and "Content-Encoding" not in plain.headers
    revalidated = site.get("/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": tag_of(GZ)})
    assert revalidated.status_code == 304 and revalidated.headers["Vary"] == "Accept-Encoding"
    # The identity tag does not validate the gzip variant.
    assert site.get("/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": tag_of(JS)}).status_code == 200


def test_stale_sidecar_is_not_used(site):
    response, body = site.raw_body("/old.js", {"Accept-Encoding": "gzip"})
    assert body == JS and "Content-Encoding" not in response.headers and response.headers["ETag"] == tag_of(JS)


def test_fingerprinted_name_is_immutable(site):
    response = site.get("/app.3f9a1c2b.js")
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert "immutable" not in site.get("/app.js").headers["Cache-Control"]


# -- the ASGI protocol ---------------------------------------------------------------------------


def test_lifespan_and_websocket_do_not_crash(tree):
    app, sent = StaticFiles(directory=tree), []

    async def run() -> None:
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}, {"type": "websocket.connect"}])

        async def receive():
            return next(messages)

        async def send(message):
            sent.append(message)

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        await app({"type": "websocket", "path": "/data.bin", "headers": []}, receive, send)

    asyncio.run(run())
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete", "websocket.close"]


def test_bad_directory_fails_at_construction(tmp_path):
    with pytest.raises(ConfigError):
        StaticFiles(directory=tmp_path / "missing")


# -- changes while sending, disconnects, races ---------------------------------------------------


def open_fds_on(path) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
    return count


def wait_no_fds_on(path, seconds: float = 3) -> int:
    deadline = time.monotonic() + seconds
    while (count := open_fds_on(path)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return count


@pytest.fixture
def big_root(tmp_path, monkeypatch):
    """A 64 MiB file, more than the socket buffers hold: the server is still sending it when the test
    acts. Stable after 20 ms instead of a second."""
    monkeypatch.setattr(files, "STABLE_AFTER_NS", 20_000_000)
    root = tmp_path / "root"
    root.mkdir()
    (root / "big.bin").write_bytes(b"a" * BIG)
    time.sleep(0.05)
    return root


BIG = 64 << 20


def test_change_while_sending_cuts_the_body(big_root):
    big = big_root / "big.bin"
    app = StaticFiles(directory=big_root)
    with serving(app, "") as site:
        with site.client.stream("GET", "/big.bin") as response:
            assert response.status_code == 200 and response.headers["ETag"] == tag_of(b"a" * BIG)
            chunks = response.iter_raw()
            received = len(next(chunks))
            with open(big, "r+b") as f:  # same size, one byte different
                f.seek(BIG - 1)
                f.write(b"b")
            with pytest.raises(CUT):
                for chunk in chunks:
                    received += len(chunk)
            assert received < BIG
        assert wait_no_fds_on(big) == 0
        assert site.get("/big.bin", headers={"Range": "bytes=0-3"}).content == b"aaaa"  # still serving
    app.close()
    assert open_fds_on(big_root) == 0


class _CountingOS:
    """The os module as site.py sees it, counting the bytes pread."""

    def __init__(self) -> None:
        self.read = 0

    def __getattr__(self, name):
        return getattr(os, name)

    def pread(self, fd, n, offset):
        data = os.pread(fd, n, offset)
        self.read += len(data)
        return data


def test_disconnect_stops_reading_and_releases_the_file(big_root, monkeypatch):
    counting = _CountingOS()
    monkeypatch.setattr(site_module, "os", counting)
    big = big_root / "big.bin"
    with serving(StaticFiles(directory=big_root), "") as site:
        for _ in range(3):  # clients that go away after the first bytes
            with site.client.stream("GET", "/big.bin") as response:
                assert response.status_code == 200
                next(response.iter_raw())
        assert wait_no_fds_on(big) == 0
        assert counting.read < BIG, f"{counting.read} bytes read for 3 clients gone after their first chunk"
        assert site.get("/big.bin", headers={"Range": "bytes=0-3"}).content == b"aaaa"


AT_FDCWD, RENAME_EXCHANGE = -100, 2


def exchanger():
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        pytest.skip("no renameat2 in libc")
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]

    def exchange(a, b) -> None:
        if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    return exchange


@pytest.mark.parametrize("link", ["absolute", "relative"])
def test_directory_swapped_for_symlink_never_leaks(tmp_path, link):
    exchange = exchanger()
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "d").mkdir(parents=True)
    outside.mkdir()
    (root / "d" / "file.txt").write_bytes(b"inside bytes")
    (outside / "file.txt").write_bytes(SECRET)
    os.symlink(outside if link == "absolute" else "../outside", root / "swap")
    try:
        exchange(root / "d", root / "swap")
    except OSError as exc:
        if exc.errno in (errno.ENOSYS, errno.EINVAL):
            pytest.skip(f"renameat2(RENAME_EXCHANGE) unsupported: {exc}")
        raise
    stop = threading.Event()
    swaps = 0

    def swapper() -> None:
        nonlocal swaps
        while not stop.is_set():
            exchange(root / "d", root / "swap")
            swaps += 1

    statuses: dict[int, int] = {}
    leaks = 0
    with serving(mounted(root), "/static") as site:
        thread = threading.Thread(target=swapper, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                for name in ("d", "swap"):
                    response = site.get(f"/{name}/file.txt")
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    leaks += SECRET in response.content
        finally:
            stop.set()
            thread.join(5)
    report = f"statuses {statuses}, {swaps} swaps, {leaks} leaks"
    assert leaks == 0, report
    assert not any(status >= 500 for status in statuses), report
    assert set(statuses) <= {200, 404} and statuses.get(200), report


def test_same_size_rewrite_race_never_mislabels(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "STABLE_AFTER_NS", 30_000_000)  # well above the ctime tick, so tags occur
    root = tmp_path / "root"
    root.mkdir()
    size = 4 << 20
    versions = (os.urandom(size), os.urandom(size))
    tags = {tag_of(v) for v in versions}
    path = root / "big.bin"
    path.write_bytes(versions[0])
    stop = threading.Event()
    writes = 0

    def writer() -> None:
        nonlocal writes
        fd = os.open(path, os.O_WRONLY)
        try:
            while not stop.is_set():
                os.pwrite(fd, random.choice(versions), 0)
                writes += 1
                stop.wait(random.uniform(0, 0.12))
        finally:
            os.close(fd)

    counts = {"tagged": 0, "untagged": 0, "cut": 0, "mismatch": 0, "other": 0, "5xx": 0, "torn": 0}
    with serving(StaticFiles(directory=root), "") as site:
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                try:
                    response = site.get("/big.bin")
                except CUT:
                    counts["cut"] += 1
                    continue
                if response.status_code >= 500:
                    counts["5xx"] += 1
                elif response.status_code != 200:
                    counts["other"] += 1
                elif "ETag" not in response.headers:
                    counts["untagged"] += 1
                else:
                    counts["tagged"] += 1
                    tag = response.headers["ETag"]
                    counts["mismatch"] += tag != tag_of(response.content)
                    counts["torn"] += tag not in tags
        finally:
            stop.set()
            thread.join(5)
        assert wait_no_fds_on(path) == 0
    report = f"{counts}, {writes} writes"
    assert counts["mismatch"] == 0 and counts["torn"] == 0, report
    assert counts["5xx"] == 0 and counts["other"] == 0, report
    assert counts["tagged"] > 0, report
