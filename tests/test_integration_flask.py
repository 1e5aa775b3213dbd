"""The Flask extension on real servers (wsgiref; Werkzeug's own dev server where it differs), driven
by httpx; each behaviour is also run against plain Flask/Werkzeug where they differ
(``response.add_etag(); response.make_conditional(request)``, and send_file's own handling)."""

from __future__ import annotations

import gzip
import os
import re
import threading
import time
from collections.abc import Iterator
from email.utils import format_datetime
from datetime import datetime, timezone

import flask
import httpx
import pytest

from etagcore import ConfigError, get_strategy
from etagcore.integrations.flask import ETag, with_etag
from servers import werkzeug_server, wsgi_server
from readme import example  # noqa: E402

STRATEGY = get_strategy("xxh3-128")  # the extension's default
BODY = "<!doctype html><h1>hello</h1>" + "x" * 3000
TAG = str(STRATEGY.tag(BODY.encode()))
FILE_BYTES = bytes(range(256)) * 40  # 10 KiB
LARGE = 32 << 20  # more than loopback socket buffers hold: the server is still sending when it changes
GZIPPED = gzip.compress(b"notes " * 100, mtime=0)
WERKZEUG_FILE_TAG = re.compile(r'"[0-9.]+-[0-9]+-[0-9]+"')
CALLS: list[str] = []  # what the views report having run
STREAM_GATE = threading.Event()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Iterator[str]:
    """A directory with a file changed more than a second ago (stable: it gets a validator)."""
    root = tmp_path_factory.mktemp("files")
    (root / "data.bin").write_bytes(FILE_BYTES)
    (root / "large.bin").write_bytes(b"L" * LARGE)
    (root / "notes.txt.gz").write_bytes(GZIPPED)
    (root / "page.txt").write_bytes(b"plain text file\n")  # the last written
    settle = os.stat(root / "page.txt").st_ctime + 1.1 - time.time()
    if settle > 0:
        time.sleep(settle)
    yield str(root)


def make_app(files_dir: str, *, peer: bool = False, **config) -> flask.Flask:
    """The same routes with the etagcore extension, or (peer=True) with plain Werkzeug's handling."""
    app = flask.Flask(__name__)
    app.config.update(config)

    @app.get("/")
    def page():
        CALLS.append("page")
        return flask.Response(BODY, headers={"Cache-Control": "max-age=60", "Vary": "Accept-Encoding",
                                             "Content-Type": "text/html; charset=utf-8"})

    @app.route("/head-aware", methods=["GET", "HEAD"])
    def head_aware():  # skips the body work on HEAD, saying GET's length
        if flask.request.method == "HEAD":
            return flask.Response(headers={"Content-Length": str(len(BODY))})
        return BODY

    @app.get("/own")
    def own():
        response = flask.make_response("version 7")
        response.set_etag("v7")
        return response

    @app.get("/big")
    def big():
        return "y" * 100_000

    @app.get("/stream")
    def stream():
        def chunks():
            yield "first\n"
            # The client opens the gate once it holds the first chunk: a buffering hook would
            # hold that chunk back until this wait gave up.
            yield "second\n" if STREAM_GATE.wait(3) else "gate never opened\n"
        return flask.Response(chunks(), mimetype="text/plain")

    @app.get("/files/<path:name>")
    def file(name):
        return flask.send_from_directory(files_dir, name)

    @app.get("/versioned/<path:name>")
    def versioned(name):  # the app's own tag for a file
        return flask.send_from_directory(files_dir, name, etag="v1")

    @app.get("/open/<path:name>")
    def open_file(name):  # send_file of a file object: Werkzeug knows no path, no size
        return flask.send_file(open(os.path.join(files_dir, name), "rb"), mimetype="application/octet-stream")

    @app.get("/gzip-open/<path:name>")
    def gzip_open(name):  # a GzipFile: its fileno() is the compressed file, its read() other bytes
        import gzip
        return flask.send_file(gzip.open(os.path.join(files_dir, name), "rb"), mimetype="text/plain")

    @app.get("/memory")
    def memory():
        import io
        return flask.send_file(io.BytesIO(FILE_BYTES), mimetype="application/octet-stream")

    @app.route("/items/<int:id>", methods=["GET", "PUT"])
    @with_etag(lambda id: None if id == 0 else f'"item-{id}-v2"')
    def item(id):
        CALLS.append(f"item {id}")
        if flask.request.method == "PUT":
            return "", 204
        return {"id": id, "version": 2}

    async def async_version(id):
        return f'"async-{id}"'

    @app.get("/async/<int:id>")
    @with_etag(async_version)
    async def async_item(id):
        CALLS.append(f"async {id}")
        return f"async item {id}"

    @app.get("/bad-validator")
    @with_etag(lambda: "not-quoted")
    def bad_validator():
        CALLS.append("bad-validator")
        return "never"

    blueprint = flask.Blueprint("bp", __name__, url_prefix="/bp")

    @blueprint.get("/page")
    def bp_page():
        return "blueprint page"

    @blueprint.after_request
    def bp_stamp(response):  # changes the body after the view: the tag must describe the result
        if not response.direct_passthrough:
            response.set_data(response.get_data() + b" (stamped)")
        return response

    app.register_blueprint(blueprint)
    if peer:
        @app.after_request
        def werkzeug_conditional(response):
            if not response.direct_passthrough and not response.is_streamed:
                response.add_etag()
                response.make_conditional(flask.request)
            return response
    else:
        ETag(app)
    return app


@pytest.fixture(scope="module")
def client(files) -> Iterator[httpx.Client]:
    with wsgi_server(make_app(files)) as client:
        yield client


@pytest.fixture(scope="module")
def plain(files) -> Iterator[httpx.Client]:
    with wsgi_server(make_app(files, peer=True)) as client:
        yield client


# -- tagged bodies ---------------------------------------------------------------------------------

def test_tag_and_304_on_strong_and_weak_matches(client):
    first = client.get("/")
    assert first.status_code == 200 and first.text == BODY
    assert first.headers["ETag"] == TAG and first.headers["Content-Length"] == str(len(BODY))
    for header in (TAG, "W/" + TAG, '"a", ' + TAG, "*", f'"a",,  {TAG} ,'):
        again = client.get("/", headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["ETag"] == TAG
        assert again.headers["Cache-Control"] == "max-age=60" and again.headers["Vary"] == "Accept-Encoding"
        assert "Content-Type" not in again.headers
    assert client.get("/", headers={"If-None-Match": '"other"'}).status_code == 200


MALFORMED = [
    TAG.strip('"'),                 # unquoted
    "w/" + TAG,                     # the weak marker is case-sensitive
    f'"a" junk, {TAG}',             # garbage in the list
    f"{TAG} junk",
    f"{TAG}, W/",
    TAG[:-1],                       # unterminated
]


@pytest.mark.parametrize("header", MALFORMED)
def test_no_wrong_304_on_malformed_lists(client, header):
    response = client.get("/", headers={"If-None-Match": header})
    assert response.status_code == 200 and response.text == BODY


def test_head_carries_gets_tag_and_never_the_empty_bodys(client):
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == TAG  # Flask runs the GET view for HEAD; the tag is GET's
    assert head.headers["Content-Length"] == str(len(BODY))
    empty_tag = str(STRATEGY.tag(b""))
    assert client.head("/", headers={"If-None-Match": empty_tag}).status_code == 200
    assert client.get("/", headers={"If-None-Match": empty_tag}).status_code == 200
    assert client.head("/", headers={"If-None-Match": TAG}).status_code == 304


def test_head_without_the_body_gets_no_tag(client):
    get = client.get("/head-aware")
    assert get.headers["ETag"] == TAG
    head = client.head("/head-aware")
    assert head.status_code == 200 and "ETag" not in head.headers  # GET's tag is unknown here
    assert head.headers["Content-Length"] == str(len(BODY))
    for header in (str(STRATEGY.tag(b"")), TAG):  # no validator: neither gives a 304
        assert client.head("/head-aware", headers={"If-None-Match": header}).status_code == 200


def test_if_match_412(client):
    failed = client.get("/", headers={"If-Match": '"other"'})
    assert failed.status_code == 412 and failed.content == b""
    assert failed.headers["Content-Length"] == "0"
    for name in ("ETag", "Cache-Control", "Content-Type"):
        assert name not in failed.headers
    assert client.get("/", headers={"If-Match": "W/" + TAG}).status_code == 412  # strong comparison
    assert client.get("/", headers={"If-Match": TAG}).status_code == 200


def test_own_tag_kept_and_its_304(client):
    response = client.get("/own")
    assert response.headers["ETag"] == '"v7"' and response.text == "version 7"
    assert client.get("/own", headers={"If-None-Match": '"v7"'}).status_code == 304


def test_body_over_max_body_goes_untagged(files):
    with wsgi_server(make_app(files, ETAGCORE_MAX_BODY=50_000)) as client:
        big = client.get("/big")
        assert big.status_code == 200 and len(big.content) == 100_000 and "ETag" not in big.headers
        assert client.get("/").headers["ETag"] == TAG


def test_streamed_response_untouched_and_unbuffered(client):
    STREAM_GATE.clear()
    try:
        with client.stream("GET", "/stream") as response:
            assert "ETag" not in response.headers
            chunks = response.iter_raw()
            first = next(chunks)  # arrives while the generator is still waiting on the gate
            assert first.startswith(b"first\n") and not STREAM_GATE.is_set()
            STREAM_GATE.set()
            assert first + b"".join(chunks) == b"first\nsecond\n"
    finally:
        STREAM_GATE.set()


def test_blueprint_routes_and_hooks(client):
    response = client.get("/bp/page")
    assert response.text == "blueprint page (stamped)"  # the blueprint's hook ran before ours
    assert response.headers["ETag"] == str(STRATEGY.tag(b"blueprint page (stamped)"))
    assert client.get("/bp/page", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


# -- validator-first views -------------------------------------------------------------------------

def test_validator_first_decides_before_the_view_runs(client):
    CALLS.clear()
    response = client.get("/items/3")
    assert response.status_code == 200 and response.json() == {"id": 3, "version": 2}
    assert response.headers["ETag"] == '"item-3-v2"'  # the validator had the view's argument
    assert CALLS == ["item 3"]
    assert client.get("/items/3", headers={"If-None-Match": '"item-3-v2"'}).status_code == 304
    assert client.head("/items/3", headers={"If-None-Match": 'W/"item-3-v2"'}).status_code == 304
    stale = client.put("/items/3", headers={"If-Match": '"item-3-v1"'})
    assert stale.status_code == 412 and "ETag" not in stale.headers
    assert client.get("/items/3", headers={"If-Match": '"nope"'}).status_code == 412
    assert CALLS == ["item 3"]  # none of these ran the view body
    assert client.put("/items/3", headers={"If-Match": '"item-3-v2"'}).status_code == 204
    assert CALLS == ["item 3", "item 3"]


def test_validator_without_current_representation(client):
    CALLS.clear()
    assert client.put("/items/0", headers={"If-Match": "*"}).status_code == 412
    assert client.put("/items/0", headers={"If-None-Match": "*"}).status_code == 204  # create
    assert CALLS == ["item 0"]
    response = client.get("/items/0")  # no validator: the extension tags the body itself
    assert response.headers["ETag"] == str(STRATEGY.tag(response.content))


def test_async_validator_and_view(client):
    CALLS.clear()
    response = client.get("/async/5")
    assert response.text == "async item 5" and response.headers["ETag"] == '"async-5"'
    assert client.get("/async/5", headers={"If-None-Match": '"async-5"'}).status_code == 304
    assert CALLS == ["async 5"]


def test_malformed_validator_is_the_apps_error_on_every_request(client):
    CALLS.clear()
    assert client.get("/bad-validator").status_code == 500
    assert client.get("/bad-validator", headers={"If-None-Match": '"x"'}).status_code == 500
    assert CALLS == []


# -- send_file / send_from_directory ---------------------------------------------------------------

def test_send_file_gets_the_files_tag_and_its_304(client, plain):
    first = client.get("/files/data.bin")
    assert first.status_code == 200 and first.content == FILE_BYTES
    assert first.headers["ETag"] == str(STRATEGY.tag(FILE_BYTES))  # from the open file's content
    assert first.headers["Content-Length"] == str(len(FILE_BYTES)) and "Last-Modified" in first.headers
    again = client.get("/files/data.bin", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == first.headers["ETag"]
    # Werkzeug's own tag no longer decides anything: it decided before our hook ran.
    werkzeug_tag = plain.get("/files/data.bin").headers["ETag"]
    assert WERKZEUG_FILE_TAG.fullmatch(werkzeug_tag)
    assert plain.get("/files/data.bin", headers={"If-None-Match": werkzeug_tag}).status_code == 304
    undone = client.get("/files/data.bin", headers={"If-None-Match": werkzeug_tag})
    assert undone.status_code == 200 and undone.content == FILE_BYTES
    failed = client.get("/files/data.bin", headers={"If-Match": werkzeug_tag})
    assert failed.status_code == 412 and failed.content == b""
    assert client.get("/files/data.bin", headers={"If-Match": first.headers["ETag"]}).status_code == 200
    head = client.head("/files/data.bin")
    assert head.headers["ETag"] == first.headers["ETag"] and head.content == b""


def test_send_file_ranges_and_if_range_with_our_tag(client, plain):
    tag = client.get("/files/data.bin").headers["ETag"]
    part = client.get("/files/data.bin", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == FILE_BYTES[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(FILE_BYTES)}" and part.headers["ETag"] == tag
    assert part.headers["Content-Length"] == "10"
    # Werkzeug ignores Range under If-Range with our tag (not its own); we serve it.
    matched = client.get("/files/data.bin", headers={"Range": "bytes=-5", "If-Range": tag})
    assert matched.status_code == 206 and matched.content == FILE_BYTES[-5:]
    for if_range in ("W/" + tag, '"stale"', plain.get("/files/data.bin").headers["ETag"]):
        whole = client.get("/files/data.bin", headers={"Range": "bytes=10-19", "If-Range": if_range})
        assert whole.status_code == 200 and whole.content == FILE_BYTES, if_range
        assert "Content-Range" not in whole.headers
    refused = client.get("/files/data.bin", headers={"Range": f"bytes={len(FILE_BYTES)}-", "If-Range": tag})
    assert refused.status_code == 416 and refused.headers["Content-Range"] == f"bytes */{len(FILE_BYTES)}"
    head = client.head("/files/data.bin", headers={"Range": "bytes=10-19"})
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(FILE_BYTES))


def test_send_file_with_the_apps_own_tag(client):
    response = client.get("/versioned/data.bin")
    assert response.headers["ETag"] == '"v1"' and response.content == FILE_BYTES
    assert client.get("/versioned/data.bin", headers={"If-None-Match": '"v1"'}).status_code == 304
    part = client.get("/versioned/data.bin", headers={"Range": "bytes=1-2", "If-Range": '"v1"'})
    assert part.status_code == 206 and part.content == FILE_BYTES[1:3]


def test_send_file_with_a_content_encoding_gets_a_weak_tag_of_its_own(client):
    # send_file sends notes.txt.gz as text/plain with Content-Encoding: gzip; the core marks any
    # tag on an encoded body as that encoding's, weak (it cannot tell a file from a compressor)
    response = client.get("/files/notes.txt.gz", headers={"Accept-Encoding": "identity"})
    assert response.headers["Content-Encoding"] == "gzip"
    tag = response.headers["ETag"]
    assert tag == f'W/"{STRATEGY.tag(GZIPPED).opaque}-gzip"'
    assert client.get("/files/notes.txt.gz", headers={"If-None-Match": tag}).status_code == 304
    whole = client.get("/files/notes.txt.gz", headers={"Range": "bytes=0-1", "If-Range": tag,
                                                        "Accept-Encoding": "identity"})
    assert whole.status_code == 200  # If-Range needs a strong tag


def test_send_file_of_an_open_file_object_is_tagged_too(client, plain):
    response = client.get("/open/data.bin")
    assert response.content == FILE_BYTES and response.headers["ETag"] == str(STRATEGY.tag(FILE_BYTES))
    assert response.headers["Content-Length"] == str(len(FILE_BYTES))
    assert client.get("/open/data.bin", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert "ETag" not in plain.get("/open/data.bin").headers  # Werkzeug knows no path: no tag


def test_in_memory_file_has_no_descriptor_and_no_tag(client):
    response = client.get("/memory")
    assert response.content == FILE_BYTES and "ETag" not in response.headers


def test_file_changed_within_a_second_gets_no_validator(files, client, plain):
    path = os.path.join(files, "fresh.txt")
    with open(path, "wb") as f:
        f.write(b"just written")
    fresh = client.get("/files/fresh.txt")
    assert fresh.status_code == 200 and fresh.content == b"just written"
    assert "ETag" not in fresh.headers and "Last-Modified" not in fresh.headers
    assert client.get("/files/fresh.txt", headers={"If-Modified-Since": format_datetime(
        datetime.now(timezone.utc), usegmt=True)}).status_code == 200
    assert WERKZEUG_FILE_TAG.fullmatch(plain.get("/files/fresh.txt").headers["ETag"])  # Werkzeug tags it


def test_file_changed_while_sent_is_cut_short(files, client):
    with client.stream("GET", "/files/large.bin") as response:
        assert response.status_code == 200 and "ETag" in response.headers
        assert response.headers["Content-Length"] == str(LARGE)
        chunks = response.iter_raw()
        received = len(next(chunks))
        with open(os.path.join(files, "large.bin"), "r+b") as f:
            f.write(b"changed")
        with pytest.raises(httpx.RemoteProtocolError):  # the connection ends before the last bytes
            for chunk in chunks:
                received += len(chunk)
    assert received < LARGE


# -- the app stays a Flask app -----------------------------------------------------------------------

def test_app_is_still_flask_and_test_client_works(files):
    app = make_app(files)
    assert type(app) is flask.Flask and isinstance(app.extensions["etagcore"], ETag)
    with app.test_client() as test_client:
        response = test_client.get("/")
        assert response.headers["ETag"] == TAG
        assert test_client.get("/", headers={"If-None-Match": TAG}).status_code == 304
        assert test_client.get("/files/data.bin").headers["ETag"] == str(STRATEGY.tag(FILE_BYTES))
    with pytest.raises(RuntimeError, match="already registered"):
        ETag(app)


def test_flask_run_server(files):
    with werkzeug_server(make_app(files)) as client:
        assert client.get("/").headers["ETag"] == TAG
        not_modified = client.get("/", headers={"If-None-Match": TAG})
        # Werkzeug's server sends a 304 without Content-Length (wsgiref adds "0" to any empty answer)
        assert not_modified.status_code == 304 and "Content-Length" not in not_modified.headers
        part = client.get("/files/data.bin", headers={"Range": "bytes=0-3"})
        assert part.status_code == 206 and part.content == FILE_BYTES[:4]


# -- configuration ---------------------------------------------------------------------------------

@pytest.mark.parametrize("config, key", [
    ({"ETAGCORE_STRATEGY": "no-such-strategy"}, "ETAGCORE_STRATEGY"),
    ({"ETAGCORE_STRATEGY": "stat"}, "ETAGCORE_STRATEGY"),   # cannot tag bodies
    ({"ETAGCORE_STRATEGY": 42}, "ETAGCORE_STRATEGY"),
    ({"ETAGCORE_MAX_BODY": -1}, "ETAGCORE_MAX_BODY"),
    ({"ETAGCORE_MAX_BODY": "8M"}, "ETAGCORE_MAX_BODY"),
])
def test_config_errors_name_the_key(config, key):
    app = flask.Flask(__name__)
    app.config.update(config)
    with pytest.raises(ConfigError, match=key):
        ETag(app)
    assert "etagcore" not in app.extensions


def test_explicit_arguments_win_over_config(files):
    app = flask.Flask(__name__)
    app.config.update(ETAGCORE_STRATEGY="no-such-strategy", ETAGCORE_MAX_BODY=-1)
    ETag(app, strategy="sha1", max_body=10)
    app.add_url_rule("/", "short", lambda: "0123456789")
    app.add_url_rule("/long", "long", lambda: "0123456789!")
    with app.test_client() as test_client:
        assert test_client.get("/").headers["ETag"] == str(get_strategy("sha1").tag(b"0123456789"))
        assert "ETag" not in test_client.get("/long").headers
    with pytest.raises(ConfigError, match=r"ETag\(strategy=\.\.\.\)"):
        ETag(flask.Flask(__name__), strategy="stat")
    app = flask.Flask(__name__)
    app.config["ETAGCORE_STRATEGY"] = "sha1"
    extension = ETag()
    extension.init_app(app)
    app.get("/")(lambda: "abc")
    assert app.test_client().get("/").headers["ETag"] == str(get_strategy("sha1").tag(b"abc"))


# -- plain Flask/Werkzeug, side by side: the documented differences ---------------------------------

def _lm(plain) -> str:
    return plain.get("/files/data.bin").headers["Last-Modified"]


DIFFERENCES = [
    # (why, path, request headers (TAG / WTAG / LM / LATER filled in), etagcore status, Werkzeug status)
    ("unquoted tag", "/", {"If-None-Match": "TAG_OPAQUE"}, 200, 304),
    ("lowercase weak marker", "/", {"If-None-Match": "w/TAG"}, 200, 304),
    ("garbage in the list", "/", {"If-None-Match": '"a" junk, TAG'}, 200, 304),
    ("If-Modified-Since read although If-None-Match is present",
     "/files/data.bin", {"If-None-Match": ",", "If-Modified-Since": "LM"}, 200, 304),
    ("weak If-Range", "/files/data.bin", {"Range": "bytes=0-3", "If-Range": "W/TAG"}, 200, 206),
    ("If-Range date later than Last-Modified",
     "/files/data.bin", {"Range": "bytes=0-3", "If-Range": "LATER"}, 200, 206),
    ("Range on HEAD", "/files/data.bin", {"Range": "bytes=0-3"}, 200, 206),
]


@pytest.mark.parametrize("why, path, headers, ours, werkzeug", DIFFERENCES, ids=[d[0] for d in DIFFERENCES])
def test_documented_differences_from_werkzeug(client, plain, why, path, headers, ours, werkzeug):
    later = format_datetime(datetime.now(timezone.utc), usegmt=True)
    method = "HEAD" if why == "Range on HEAD" else "GET"
    for server, expected in ((client, ours), (plain, werkzeug)):
        tag = server.get(path).headers["ETag"]
        filled = {name: value.replace("TAG_OPAQUE", tag.strip('"')).replace("TAG", tag).replace("LM", _lm(plain))
                  .replace("LATER", later) for name, value in headers.items()}
        assert server.request(method, path, headers=filled).status_code == expected, (server is client, filled)


# -- the README example, verbatim -------------------------------------------------------------------

README_APP = example("flask")


def test_readme_app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "a.txt").write_bytes(b"file a")
    old = time.time() - 10
    os.utime(tmp_path / "public" / "a.txt", (old, old))
    namespace: dict = {"__name__": "readme_app"}
    exec(README_APP, namespace)
    with wsgi_server(namespace["app"]) as client:
        index = client.get("/")
        assert index.headers["ETag"] == str(STRATEGY.tag(b"<h1>Hello</h1>"))
        assert client.get("/", headers={"If-None-Match": index.headers["ETag"]}).status_code == 304
        item = client.get("/items/1")
        assert item.headers["ETag"] == '"item-1-v3"' and item.json() == {"id": 1, "version": 3}
        assert client.get("/items/1", headers={"If-None-Match": '"item-1-v3"'}).status_code == 304
        time.sleep(max(0.0, os.stat(tmp_path / "public" / "a.txt").st_ctime + 1.1 - time.time()))
        file = client.get("/files/a.txt")
        assert file.content == b"file a" and file.headers["ETag"] == str(STRATEGY.tag(b"file a"))
        part = client.get("/files/a.txt", headers={"Range": "bytes=0-3", "If-Range": file.headers["ETag"]})
        assert part.status_code == 206 and part.content == b"file"


def test_send_file_of_a_gzip_file_sends_its_decompressed_bytes_untagged_by_us(files):
    import gzip
    with wsgi_server(make_app(files)) as client, wsgi_server(make_app(files, peer=True)) as peer:
        ours, plain = client.get("/gzip-open/notes.txt.gz"), peer.get("/gzip-open/notes.txt.gz")
        assert ours.content == plain.content == gzip.decompress(GZIPPED)
        assert ours.headers.get("ETag") == plain.headers.get("ETag")  # Werkzeug's answer, not a tag of other bytes


def test_a_small_file_that_changed_since_it_was_tagged_goes_out_without_validators(files, monkeypatch):
    import etagcore.integrations.flask as integration

    monkeypatch.setattr(integration, "read_now", lambda fd, first, length, st: None)  # seen changed on read
    with wsgi_server(make_app(files)) as client:
        for headers in ({}, {"Range": "bytes=0-3"}):
            response = client.get("/files/data.bin", headers=headers)
            assert response.status_code == 200 and response.content == FILE_BYTES
            assert "ETag" not in response.headers and "Last-Modified" not in response.headers
            assert response.headers["Content-Length"] == str(len(FILE_BYTES))
