"""What every static frontend must do alike, on its real server: manifest hits and stale records,
and (ASGI, Tornado) an event loop that keeps serving while a 1 GiB file is hashed."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time

import httpx
import pytest
import tornado.web

from etagcore import files, get_strategy
from etagcore.integrations import asgi, wsgi
from etagcore.integrations.tornado import StaticFileHandler
from etagcore.static import build_manifest
from servers import asgi_server, tornado_server, wsgi_server


@pytest.fixture
def stable(monkeypatch):
    monkeypatch.setattr(files, "STABLE_AFTER_NS", -10**18)


def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Length", "0")])
    return []


def serve(kind, root, **options):
    """A real server for one frontend, with files under /static/."""
    if kind == "tornado":
        route = {"path": str(root), "default_filename": "index.html", **options}
        return tornado_server(tornado.web.Application([(r"/static/(.*)", StaticFileHandler, route)]))
    if kind == "asgi":
        from starlette.applications import Starlette
        from starlette.routing import Mount

        return asgi_server(Starlette(routes=[Mount("/static", app=asgi.StaticFiles(directory=root, **options))]))
    return wsgi_server(wsgi.StaticFiles(not_found, root=root, prefix="/static/", **options))


KINDS = ["tornado", "asgi", "wsgi"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_manifest_gives_a_copy_the_same_tags_and_stale_records_are_tagged_live(kind, tmp_path, stable):
    first = tmp_path / "first"
    (first / "css").mkdir(parents=True)
    (first / "css" / "app.css").write_bytes(b"body { color: red }")
    (first / "index.html").write_bytes(b"<h1>home</h1>")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(build_manifest(first, "sha1").to_json()))
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)  # other inodes and mtimes: every record is stale there
    old = time.time() - 7200
    os.utime(copy / "index.html", (old, old))
    sha1 = get_strategy("sha1")
    tags = []
    for root in (first, copy):
        with serve(kind, root, manifest=str(manifest)) as client:
            tags.append([client.get(path).headers["ETag"] for path in ("/static/css/app.css", "/static/")])
    assert tags[0] == tags[1] == [str(sha1.tag(b"body { color: red }")), str(sha1.tag(b"<h1>home</h1>"))]
    (first / "css" / "app.css").write_bytes(b"body { color: blue }")  # the record goes stale
    with serve(kind, first, manifest=str(manifest)) as client:
        assert client.get("/static/css/app.css").headers["ETag"] == str(sha1.tag(b"body { color: blue }"))


@pytest.mark.parametrize("kind", ["tornado", "asgi"])
def test_the_loop_serves_small_files_while_a_1_gib_file_is_hashed(kind, tmp_path, stable):
    root = tmp_path / "root"
    root.mkdir()
    (root / "small.txt").write_bytes(b"small")
    with open(root / "big.bin", "wb") as f:
        f.truncate(1 << 30)  # sparse: quick to make, still 1 GiB to read and hash
    with serve(kind, root, strategy="sha1") as client:
        finished = {}

        def head_big():
            with httpx.Client(base_url=client.base_url, timeout=60) as c:
                finished["big"] = (c.head("/static/big.bin").headers.get("ETag"), time.monotonic())

        thread = threading.Thread(target=head_big)
        thread.start()
        time.sleep(0.05)
        small = client.get("/static/small.txt")
        finished["small"] = time.monotonic()
        thread.join(60)
    assert small.content == b"small"
    assert finished["small"] < finished["big"][1], "the small request waited for the hash"
    assert finished["big"][0] == str(get_strategy("sha1").tag(bytes(1 << 30)))
