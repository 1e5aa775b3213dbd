"""``etagcore serve``'s handler on a real Tornado server: tags, preconditions, ranges, traversal."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from etagcore import get_strategy
from etagcore.integrations.static import make_app, parse_range, resolve
from servers import tornado_server

DATA = bytes(range(256)) * 40  # 10 KiB


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "data.bin").write_bytes(DATA)
    (root / "index.html").write_bytes(b"<h1>home</h1>")
    (root / "sub").mkdir()
    (root / "sub" / "page.txt").write_bytes(b"sub page")
    (tmp_path / "secret.txt").write_bytes(b"outside")
    os.symlink(tmp_path / "secret.txt", root / "escape.txt")
    os.symlink(root / "sub" / "page.txt", root / "inside-link.txt")
    old = time.time() - 3600  # older than Apache's one-second weak window
    for path in [root / "data.bin", root / "index.html", root / "sub" / "page.txt"]:
        os.utime(path, (old, old))
    return root


@pytest.mark.parametrize("spec", ["stat", "stat:format=nginx", "xxh3-128", "sha1"])
def test_files_are_tagged_and_revalidated(site, spec):
    strategy = get_strategy(spec)
    with tornado_server(make_app(str(site), strategy)) as client:
        response = client.get("/data.bin")
        assert response.status_code == 200 and response.content == DATA
        tag = response.headers["Etag"]
        assert tag == str(strategy.tag_file(site / "data.bin"))
        assert response.headers["Accept-Ranges"] == "bytes" and "Last-Modified" in response.headers
        assert client.get("/data.bin", headers={"If-None-Match": tag}).status_code == 304
        assert client.get("/data.bin", headers={"If-None-Match": '"other"'}).status_code == 200
        assert client.get("/data.bin", headers={"If-Match": '"other"'}).status_code == 412
        lm = response.headers["Last-Modified"]
        assert client.get("/data.bin", headers={"If-Modified-Since": lm}).status_code == 304
        head = client.head("/data.bin")
        assert head.headers["Etag"] == tag and head.content == b"" and head.headers["Content-Length"] == str(len(DATA))
        assert client.get("/").content == b"<h1>home</h1>"
        assert client.get("/sub/page.txt").content == b"sub page"


def test_ranges_and_if_range(site):
    with tornado_server(make_app(str(site), get_strategy("stat"))) as client:
        tag = client.get("/data.bin").headers["Etag"]
        part = client.get("/data.bin", headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == DATA[10:20]
        assert part.headers["Content-Range"] == f"bytes 10-19/{len(DATA)}"
        assert client.get("/data.bin", headers={"Range": "bytes=-5"}).content == DATA[-5:]
        assert client.get("/data.bin", headers={"Range": "bytes=10200-"}).content == DATA[10200:]
        unsatisfiable = client.get("/data.bin", headers={"Range": "bytes=99999-"})
        assert unsatisfiable.status_code == 416 and unsatisfiable.headers["Content-Range"] == f"bytes */{len(DATA)}"
        multi = client.get("/data.bin", headers={"Range": "bytes=0-1,5-6"})  # not supported: whole file
        assert multi.status_code == 200 and multi.content == DATA
        same = client.get("/data.bin", headers={"Range": "bytes=0-3", "If-Range": tag})
        assert same.status_code == 206 and same.content == DATA[:4]
        stale = client.get("/data.bin", headers={"Range": "bytes=0-3", "If-Range": '"old"'})
        assert stale.status_code == 200 and stale.content == DATA
        weak = client.get("/data.bin", headers={"Range": "bytes=0-3", "If-Range": "W/" + tag})
        assert weak.status_code == 200  # If-Range needs a strong match


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/sub/../../secret.txt", "/escape.txt",
                                  "/..%2fsecret.txt", "/%00", "/nope.txt", "/sub/"])
def test_traversal_and_missing_files_are_404(site, path):
    with tornado_server(make_app(str(site), get_strategy("stat"))) as client:
        response = client.get(httpx.URL(client.base_url.join("/"), raw_path=path.encode()))
        assert response.status_code == 404, path
        assert b"outside" not in response.content


def test_symlinks_inside_the_root_are_served(site):
    with tornado_server(make_app(str(site), get_strategy("stat"))) as client:
        assert client.get("/inside-link.txt").content == b"sub page"


def test_resolve_and_parse_range_units(tmp_path):
    assert resolve(str(tmp_path), "/a/../b") == os.path.join(os.path.realpath(tmp_path), "b")
    assert resolve(str(tmp_path), "/../x") is None
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=5-100", 10) == (5, 9)
    assert parse_range("bytes=-100", 10) == (0, 9)
    assert parse_range("bytes=-0", 10) is False
    assert parse_range("bytes=10-", 10) is False
    assert parse_range("bytes=4-2", 10) is None
    assert parse_range("items=0-1", 10) is None
    assert parse_range("bytes=-", 10) is None


def test_serve_command_prints_its_address_and_serves(site):
    process = subprocess.Popen([sys.executable, "-m", "etagcore", "serve", str(site), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("etagcore serve: http://127.0.0.1:") and "strategy stat" in line
        url = line.split()[2]
        response = httpx.get(url + "data.bin", timeout=10)
        assert response.status_code == 200 and response.content == DATA and response.headers["Etag"]
    finally:
        process.terminate()
        process.wait(10)


def test_serve_command_refuses_a_missing_directory(tmp_path):
    result = subprocess.run([sys.executable, "-m", "etagcore", "serve", str(tmp_path / "nope")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "not a directory" in result.stderr
