"""The Tornado static frontend and ``etagcore serve`` on a real Tornado server, driven by httpx."""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
import tornado.web

from etagcore import files, get_strategy
from etagcore.integrations.tornado import ETagMixin, StaticFileHandler
from rewriting import rewrite_in_bursts
from servers import tornado_server

DATA = bytes(range(256)) * 40  # 10 KiB


@pytest.fixture
def stable(monkeypatch):
    monkeypatch.setattr(files, "STABLE_AFTER_NS", -10**18)


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "data.bin").write_bytes(DATA)
    (root / "index.html").write_bytes(b"<h1>home</h1>")
    (root / "docs" / "index.html").write_bytes(b"<h1>docs</h1>")
    (root / "sub" / "page.txt").write_bytes(b"sub page")
    (root / ".env").write_bytes(b"SECRET=1")
    (tmp_path / "secret.txt").write_bytes(b"outside")
    os.symlink("../../secret.txt", root / "sub" / "index.html")
    os.symlink(tmp_path / "secret.txt", root / "escape.txt")
    os.symlink(root / "sub" / "page.txt", root / "inside-link.txt")
    os.mkfifo(root / "pipe")
    old = time.time() - 3600  # Apache's stat tags are weak for a second after a change
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (old, old))
    return root


def files_app(root, **settings):
    return tornado.web.Application(
        [(r"/files/(.*)", StaticFileHandler, {"path": str(root), "default_filename": "index.html"})], **settings)


def raw(client, path):
    return client.get(httpx.URL(str(client.base_url), raw_path=path.encode()))


@pytest.mark.parametrize("spec", [None, "stat", "stat:format=nginx", "sha1"])
def test_files_are_tagged_and_revalidated(site, stable, spec):
    settings = {} if spec is None else {"static_etag_strategy": spec}
    strategy = get_strategy(spec or "xxh3-128")
    with tornado_server(files_app(site, **settings)) as client:
        response = client.get("/files/data.bin")
        assert response.status_code == 200 and response.content == DATA
        tag = response.headers["Etag"]
        if spec is None or spec == "sha1":
            assert tag == str(strategy.tag(DATA))
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Cache-Control"] == "no-cache" and "Last-Modified" in response.headers
        not_modified = client.get("/files/data.bin", headers={"If-None-Match": tag})
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert "Content-Type" not in not_modified.headers and not_modified.headers["Etag"] == tag
        assert client.get("/files/data.bin", headers={"If-None-Match": '"other"'}).status_code == 200
        failed = client.get("/files/data.bin", headers={"If-Match": '"other"'})
        assert failed.status_code == 412
        assert not {"content-type", "cache-control", "expires", "etag"} & {k.lower() for k in failed.headers}
        head = client.head("/files/data.bin")
        assert head.headers["Etag"] == tag and head.content == b"" and head.headers["Content-Length"] == str(len(DATA))
        part = client.get("/files/data.bin", headers={"Range": "bytes=10-19", "If-Range": tag})
        assert part.status_code == 206 and part.content == DATA[10:20]
        assert client.get("/files/data.bin", headers={"Range": "bytes=10-19", "If-Range": '"old"'}).content == DATA


def test_static_handler_class_and_static_url_versioning(site, stable):
    class Page(tornado.web.RequestHandler):
        def get(self):
            self.write(self.static_url("data.bin"))

    app = tornado.web.Application([(r"/", Page)], static_path=str(site), static_handler_class=StaticFileHandler,
                                  static_etag_strategy="sha1")
    with tornado_server(app) as client:
        url = client.get("/").text
        assert url.startswith("/static/data.bin?v=")
        versioned = client.get(url)
        assert versioned.content == DATA and "immutable" in versioned.headers["Cache-Control"]
        assert versioned.headers["Etag"] == str(get_strategy("sha1").tag(DATA))
        assert client.get("/static/data.bin").headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/files/sub/", "/files/sub/.", "/files/sub/index.html", "/files/escape.txt",
                                  "/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/..%2fsecret.txt",
                                  "/files/sub/%2e%2e/%2e%2e/secret.txt", "/files/%00", "/files/" + "a" * 300,
                                  "/files/" + "a/" * 2100, "/files/.env", "/files/pipe", "/files/nope"])
def test_escapes_and_hostile_paths_are_404(site, stable, path):
    os.symlink("loop", site / "loop")
    with tornado_server(files_app(site)) as client:
        response = raw(client, path)
        if response.status_code == 301:  # a client that drops the dot segment asks for the directory
            response = client.get(client.base_url.join(path).join(response.headers["Location"]))
        assert response.status_code in (404, 400), path
        assert b"outside" not in response.content and b"SECRET" not in response.content


def test_directories_symlinks_and_methods(site, stable):
    with tornado_server(files_app(site)) as client:
        assert client.get("/files/inside-link.txt").content == b"sub page"
        moved = client.get("/files/docs")
        assert moved.status_code == 301 and moved.headers["Location"] == "./docs/"
        assert client.get("/files/docs", follow_redirects=True).content == b"<h1>docs</h1>"
        assert client.get("/files/").content == b"<h1>home</h1>"
        posted = client.post("/files/data.bin")
        assert posted.status_code == 405 and posted.headers["Allow"] == "GET, HEAD"


def test_etag_mixin_refuses_static_file_handlers():
    with pytest.raises(TypeError, match="etagcore.integrations.tornado.StaticFileHandler"):
        type("Mixed", (ETagMixin, tornado.web.StaticFileHandler), {})


def test_the_loop_serves_others_while_a_1_gib_file_is_hashed_once(site, stable):
    big = site / "big.bin"
    with open(big, "wb") as f:
        f.truncate(1 << 30)  # sparse: quick to make, still 1 GiB to read and hash
    app = files_app(site, static_etag_strategy="sha1")
    with tornado_server(app) as client:
        done = {}

        def head_big(i):
            with httpx.Client(base_url=client.base_url, timeout=60) as c:
                done[i] = (c.head("/files/big.bin").headers.get("Etag"), time.monotonic())

        threads = [threading.Thread(target=head_big, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.05)
        small = client.get("/files/sub/page.txt")
        small_done = time.monotonic()
        for t in threads:
            t.join(60)
    assert small.status_code == 200
    assert all(small_done < finished for _, finished in done.values()), "the small request waited for the hash"
    assert len({tag for tag, _ in done.values()}) == 1 and done[0][0]


def test_client_disconnects_are_quiet(site, stable, caplog):
    (site / "large.bin").write_bytes(os.urandom(8 << 20))
    with tornado_server(files_app(site)) as client:
        port = client.base_url.port
        caplog.set_level(logging.WARNING)
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /files/large.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(1000)
            s.close()
        assert client.get("/files/sub/page.txt").status_code == 200
        time.sleep(0.2)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_same_size_rewrites_never_get_a_wrong_tag(site):
    size = 4 << 20
    versions = [b"A" * size, b"B" * size]
    path = site / "hot.bin"
    path.write_bytes(versions[0])
    time.sleep(1.1)  # settled: it gets a tag until the writer starts
    strategy = get_strategy("xxh3-128")
    stop = threading.Event()
    counts = {"tagged": 0, "untagged": 0, "cut": 0, "wrong": 0}
    with tornado_server(files_app(site)) as client:
        first = client.get("/files/hot.bin")
        assert first.headers["Etag"] == str(strategy.tag(versions[0]))
        writer = threading.Thread(target=rewrite_in_bursts, args=(path, versions, stop))
        writer.start()
        try:
            deadline = time.monotonic() + 4.5
            while time.monotonic() < deadline:
                try:
                    response = client.get("/files/hot.bin")
                except httpx.HTTPError:
                    counts["cut"] += 1
                    continue
                tag = response.headers.get("Etag")
                if tag is None:
                    counts["untagged"] += 1
                else:
                    counts["tagged"] += 1
                    counts["wrong"] += tag != str(strategy.tag(response.content))
        finally:
            stop.set()
            writer.join()
    print(counts)
    assert counts["wrong"] == 0 and counts["tagged"] > 0 and counts["untagged"] > 0, counts


def _exchange(a, b):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) != 0:  # RENAME_EXCHANGE
        raise OSError(ctypes.get_errno(), "renameat2")


def test_a_directory_swapped_for_an_outside_symlink_never_leaks(site, stable, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file.txt").write_bytes(b"outside")
    (site / "d").mkdir()
    (site / "d" / "file.txt").write_bytes(b"inside")
    os.symlink(outside, site / "swap")
    try:
        _exchange(site / "d", site / "swap")
        _exchange(site / "d", site / "swap")
    except OSError as exc:
        pytest.skip(f"renameat2 exchange unavailable: {exc}")
    stop = threading.Event()

    def swapper():
        while not stop.is_set():
            _exchange(site / "d", site / "swap")

    statuses = {}
    with tornado_server(files_app(site)) as client:
        thread = threading.Thread(target=swapper)
        thread.start()
        try:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                response = client.get("/files/d/file.txt")
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.content != b"outside"
        finally:
            stop.set()
            thread.join()
    assert set(statuses) <= {200, 404} and statuses.get(200), statuses


def _serve(*args):
    return subprocess.Popen([sys.executable, "-m", "etagcore", "serve", *args, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_logs_every_request_and_validates_options(site, tmp_path):
    time.sleep(1.1)  # the server process has the real one-second rule
    process = _serve(str(site))
    try:
        line = process.stdout.readline()
        assert line.startswith("etagcore serve: http://127.0.0.1:") and "strategy xxh3-128" in line
        url = line.split()[2]
        response = httpx.get(url + "data.bin", timeout=10)
        tag = response.headers["Etag"]
        assert response.content == DATA
        assert httpx.get(url + "data.bin", headers={"If-None-Match": tag}, timeout=10).status_code == 304
        assert httpx.get(url + "nope", timeout=10).status_code == 404
        logged = [process.stdout.readline() for _ in range(3)]
        assert [entry.split()[1:3] for entry in logged] == [["200", "GET"], ["304", "GET"], ["404", "GET"]]
        assert tag in logged[0] and tag in logged[1]
    finally:
        process.terminate()
        process.wait(10)
    for bad in (["--port", "70000"], ["--port", "-1"], ["--strategy", "nope"], ["--manifest", str(tmp_path / "x")]):
        result = subprocess.run([sys.executable, "-m", "etagcore", "serve", str(site), *bad],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and "usage:" in result.stderr, (bad, result.stderr)


def test_serve_with_a_manifest(site, tmp_path):
    time.sleep(1.1)
    manifest = tmp_path / "m.json"
    subprocess.run([sys.executable, "-m", "etagcore", "manifest", str(site), "-s", "sha1", "-o", str(manifest)],
                   check=True, capture_output=True, timeout=60)
    process = _serve(str(site), "--manifest", str(manifest))
    try:
        url = process.stdout.readline().split()[2]
        assert httpx.get(url + "data.bin", timeout=10).headers["Etag"] == str(get_strategy("sha1").tag(DATA))
    finally:
        process.terminate()
        process.wait(10)


def test_compress_response_does_not_gzip_files_under_the_identity_tag(site, stable):
    (site / "doc.txt").write_bytes(b"compressible text " * 2000)
    body = (site / "doc.txt").read_bytes()
    with tornado_server(files_app(site, compress_response=True)) as client:
        gz = {"Accept-Encoding": "gzip"}
        response = client.get("/files/doc.txt", headers=gz)
        assert "Content-Encoding" not in response.headers and response.content == body
        assert response.headers["Etag"] == str(get_strategy("xxh3-128").tag(body))
        part = client.get("/files/doc.txt", headers={**gz, "Range": "bytes=0-4999"})
        assert part.status_code == 206 and "Content-Encoding" not in part.headers and part.content == body[:5000]
