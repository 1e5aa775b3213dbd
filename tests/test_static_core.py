"""The framework-free static core: walking beneath the root, ranges, codings, stability, manifest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

import etagcore
from etagcore import files, get_strategy
from etagcore.errors import ConfigError
from etagcore.static import StaticSite, build_manifest, load_manifest
from etagcore.static.encodings import acceptable_codings
from etagcore.static.ranges import UNSATISFIABLE, parse_range
from etagcore.static.site import FileBody


@pytest.fixture
def stable(monkeypatch):
    """Files made by a test are brand new; let them count as settled."""
    monkeypatch.setattr(files, "STABLE_AFTER_NS", -10**18)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"hello\n")
    (root / "sub" / "page.txt").write_bytes(b"page")
    (tmp_path / "outside.txt").write_bytes(b"OUTSIDE")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "index.html").write_bytes(b"OUTSIDE")
    return root


def body_of(reply):
    try:
        if isinstance(reply.body, FileBody):
            return b"".join(reply.body.chunks())
        return reply.body
    finally:
        reply.close()


def get(site, path, headers=None, method="GET"):
    reply = site.respond(method, path, headers or {})
    return reply, body_of(reply)


@pytest.mark.parametrize("link, url", [
    ("../../outside.txt", "/sub/index.html"), ("../../outside.txt", "/sub/"), ("../../outside.txt", "/sub/."),
    ("../../outside.txt", "/sub"), ("OUTSIDE_ABS", "/sub/"), ("../../outdir", "/sub/x/"),
])
def test_symlinks_out_of_the_root_are_404_whatever_the_url(tree, stable, link, url):
    target = str(tree.parent / "outside.txt") if link == "OUTSIDE_ABS" else link
    name = "x" if url == "/sub/x/" else "index.html"
    os.symlink(target, tree / "sub" / name)
    site = StaticSite(tree)
    reply, body = get(site, url)
    assert reply.status in (404, 301) and b"OUTSIDE" not in (body or b"")


def test_symlinks_inside_the_root_work_relative_and_absolute(tree, stable):
    os.symlink("sub/page.txt", tree / "rel.txt")
    os.symlink(tree / "sub" / "page.txt", tree / "abs.txt")
    os.symlink("../a.txt", tree / "sub" / "up.txt")
    site = StaticSite(tree)
    for url in ("/rel.txt", "/abs.txt"):
        assert get(site, url)[1] == b"page"
    assert get(site, "/sub/up.txt")[1] == b"hello\n"


@pytest.mark.parametrize("url", ["/../outside.txt", "/sub/../../outside.txt", "/a\0b", "/" + "x" * 300,
                                 "/a" * 2100, "/.hidden", "/.git/config", "/loop", "/fifo", "/a.txt/", "/dev"])
def test_hostile_paths_are_404(tree, stable, url):
    (tree / ".hidden").write_bytes(b"secret")
    (tree / ".git").mkdir()
    (tree / ".git" / "config").write_bytes(b"secret")
    os.symlink("loop", tree / "loop")
    os.mkfifo(tree / "fifo")
    os.symlink("/dev/null", tree / "dev")
    reply, body = get(StaticSite(tree), url)
    assert reply.status == 404 and not reply.found


def test_dotfiles_on_request(tree, stable):
    (tree / ".well-known").mkdir()
    (tree / ".well-known" / "security.txt").write_bytes(b"contact")
    assert get(StaticSite(tree, dotfiles=True), "/.well-known/security.txt")[1] == b"contact"


def test_directories_redirect_then_serve_their_index(tree, stable):
    (tree / "sub" / "index.html").write_bytes(b"<p>index")
    site = StaticSite(tree)
    reply, _ = site.respond("GET", "/sub", {}, "q=1"), None
    assert reply.status == 301 and ("Location", "./sub/?q=1") in reply.headers
    assert get(site, "/sub/")[1] == b"<p>index"
    assert get(StaticSite(tree, index=None), "/sub/")[0].status == 404


def test_only_get_and_head(tree, stable):
    reply = StaticSite(tree).respond("POST", "/a.txt", {})
    assert reply.status == 405 and ("Allow", "GET, HEAD") in reply.headers


def test_no_descriptor_leaks(tree, stable):
    site = StaticSite(tree)
    before = len(os.listdir("/proc/self/fd"))
    for url in ["/a.txt", "/sub/page.txt", "/nope", "/sub", "/sub/"]:
        for headers in [{}, {"Range": "bytes=0-1"}, {"If-None-Match": "*"}]:
            get(site, url, headers)
            get(site, url, headers, method="HEAD")
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_file_changed_within_the_last_second_has_no_validator(tree):
    (tree / "new.txt").write_bytes(b"fresh")
    reply, body = get(StaticSite(tree), "/new.txt", {"If-Modified-Since": "Sun, 06 Nov 2094 08:49:37 GMT"})
    names = {name for name, _ in reply.headers}
    assert reply.status == 200 and body == b"fresh"
    assert "ETag" not in names and "Last-Modified" not in names and ("Cache-Control", "no-store") in reply.headers


def test_if_range_date_needs_a_strong_last_modified(tree):
    (tree / "new.txt").write_bytes(b"0123456789")
    date = "Sun, 06 Nov 2094 08:49:37 GMT"
    reply, body = get(StaticSite(tree), "/new.txt", {"Range": "bytes=0-1", "If-Range": date})
    assert reply.status == 200 and body == b"0123456789"


def test_ranges_on_a_settled_file(tree, stable):
    site = StaticSite(tree)
    tag = get(site, "/a.txt")[0].etag
    reply, body = get(site, "/a.txt", {"Range": "bytes=1-2", "If-Range": str(tag)})
    assert reply.status == 206 and body == b"el" and ("Content-Range", "bytes 1-2/6") in reply.headers
    reply, body = get(site, "/a.txt", {"Range": "bytes=9" + "9" * 5000 + "-"})
    assert reply.status == 416 and ("Content-Range", "bytes */6") in reply.headers
    assert not any(name == "Content-Type" for name, _ in reply.headers)


def test_precondition_replies_carry_the_right_headers(tree, stable):
    site = StaticSite(tree, cache_control="max-age=60")
    tag = str(get(site, "/a.txt")[0].etag)
    not_modified, body = get(site, "/a.txt", {"If-None-Match": "W/" + tag})
    assert not_modified.status == 304 and body is None
    assert sorted(name for name, _ in not_modified.headers) == ["Cache-Control", "ETag", "Vary"]
    failed, _ = get(site, "/a.txt", {"If-Match": '"other"'})
    assert failed.status == 412 and failed.headers == [("Content-Length", "0")]


def test_a_large_file_rewritten_while_sent_is_cut_short(tree, stable):
    path = tree / "big.bin"
    path.write_bytes(b"A" * (4 * FileBody.CHUNK))
    reply = StaticSite(tree).respond("GET", "/big.bin", {})
    chunks = reply.body.chunks()
    next(chunks)
    with open(path, "r+b") as f:
        f.write(b"B")
    os.utime(path)  # the write moved the timestamps, even within one tick on coarse clocks
    with pytest.raises(etagcore.static.FileChanged):
        list(chunks)
    reply.close()


def test_a_small_file_changed_before_it_was_read_is_sent_without_a_validator(tree, stable, monkeypatch):
    site = StaticSite(tree)
    real_pread = os.pread

    def pread_after_a_write(fd, n, offset):
        with open(tree / "a.txt", "r+b") as f:
            f.write(b"J")
        os.utime(tree / "a.txt")
        return real_pread(fd, n, offset)

    monkeypatch.setattr(os, "pread", pread_after_a_write)
    reply, body = get(site, "/a.txt")
    assert reply.status == 200 and reply.etag is None and body == b"Jello\n"
    assert ("Cache-Control", "no-store") in reply.headers


def test_large_files_are_hashed_once_by_concurrent_requests(tree, stable):
    (tree / "big.bin").write_bytes(os.urandom(8 << 20))

    counted = []
    base = type(get_strategy("sha1"))

    class Counting(base):
        def new(self):
            counted.append(1)
            return super().new()

    site = StaticSite(tree, strategy=Counting())
    results = []
    threads = [threading.Thread(target=lambda: results.append(get(site, "/big.bin", method="HEAD")[0].etag))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and results[0] == Counting().tag((tree / "big.bin").read_bytes())
    assert len(counted) == 1


def test_sidecars_follow_accept_encoding_and_have_their_own_tags(tree, stable):
    (tree / "app.js").write_bytes(b"identity")
    (tree / "app.js.gz").write_bytes(b"gzipped")
    (tree / "app.js.br").write_bytes(b"brotli")
    site = StaticSite(tree, strategy="stat")
    plain, _ = get(site, "/app.js")
    gz, body = get(site, "/app.js", {"Accept-Encoding": "br;q=0, gzip"})
    br, brbody = get(site, "/app.js", {"Accept-Encoding": "gzip, deflate, br"})
    assert body == b"gzipped" and ("Content-Encoding", "gzip") in gz.headers and brbody == b"brotli"
    assert ("Vary", "Accept-Encoding") in gz.headers
    assert len({plain.etag, gz.etag, br.etag}) == 3
    old = time.time() - 100
    os.utime(tree / "app.js.br", (old, old))  # older than app.js: stale, not used
    assert get(site, "/app.js", {"Accept-Encoding": "br"})[1] == b"identity"


def test_accept_encoding_parsing():
    assert acceptable_codings("gzip, br") == [("br", ".br"), ("gzip", ".gz")]
    assert acceptable_codings("gzip;q=1, br;q=0.5") == [("gzip", ".gz"), ("br", ".br")]
    assert acceptable_codings("*;q=0, identity") == []
    assert acceptable_codings("*") == [("br", ".br"), ("zstd", ".zst"), ("gzip", ".gz")]
    assert acceptable_codings("gzip;q=nope") == []


def test_fingerprinted_names_are_immutable(tree, stable):
    (tree / "app.3f9a1c2b.js").write_bytes(b"x")
    reply, _ = get(StaticSite(tree), "/app.3f9a1c2b.js")
    assert ("Cache-Control", "public, max-age=31536000, immutable") in reply.headers


def test_parse_range_units():
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=5-100", 10) == (5, 9)
    assert parse_range("bytes=-100", 10) == (0, 9)
    assert parse_range("bytes=-0", 10) is UNSATISFIABLE
    assert parse_range("bytes=10-", 10) is UNSATISFIABLE
    assert parse_range("bytes=4-2", 10) is None
    assert parse_range("items=0-1", 10) is None
    assert parse_range("bytes=-", 10) is None
    assert parse_range("bytes=0-1,3-4", 10) is None
    assert parse_range("bytes=١-٢", 10) is None  # Arabic-Indic digits are not DIGIT
    assert parse_range("bytes=" + "1" * 5000 + "-", 10) is UNSATISFIABLE
    assert parse_range("bytes=0-" + "1" * 5000, 10) == (0, 9)
    assert parse_range("bytes=-" + "1" * 5000, 10) == (0, 9)


def test_manifest_gives_copies_the_same_tags(tree, stable, tmp_path):
    (tree / "sub" / "index.html").write_bytes(b"<p>")
    manifest = build_manifest(tree, "sha1")
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest.to_json()))
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)  # other inodes, other mtimes
    old = time.time() - 7200
    for f in ("a.txt", "sub/page.txt"):
        os.utime(copy / f, (old, old))
    first, second = StaticSite(tree, manifest=str(path)), StaticSite(copy, manifest=str(path))
    for url in ("/a.txt", "/sub/page.txt", "/sub/"):
        assert get(first, url)[0].etag == get(second, url)[0].etag is not None
    assert get(first, "/a.txt")[0].etag == get_strategy("sha1").tag(b"hello\n")


def test_manifest_records_are_used_only_while_size_and_mtime_match(tree, stable, tmp_path):
    manifest = build_manifest(tree, "xxh3-128")
    (tree / "a.txt").write_bytes(b"changed!")
    site = StaticSite(tree, manifest=manifest)
    assert get(site, "/a.txt")[0].etag == get_strategy("xxh3-128").tag(b"changed!")
    manifest.records["sub/page.txt"] = (etagcore.ETag("planted"),) + manifest.records["sub/page.txt"][1:]
    assert get(site, "/sub/page.txt")[0].etag == etagcore.ETag("planted")  # a hit is trusted, not re-hashed


def test_bad_manifests_are_config_errors(tree, tmp_path):
    with pytest.raises(ConfigError, match="No such file"):
        load_manifest(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        StaticSite(tree, manifest=tmp_path / "bad.json")
    (tmp_path / "corrupt.json").write_text('{"format": "etagcore-manifest/1", "strategy": "sha1", "files": {"a": {}}}')
    with pytest.raises(ConfigError, match="corrupt"):
        load_manifest(tmp_path / "corrupt.json")
    (tmp_path / "stat.json").write_text('{"format": "etagcore-manifest/1", "strategy": "stat", "files": {}}')
    with pytest.raises(ConfigError, match="content strategy"):
        load_manifest(tmp_path / "stat.json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(build_manifest(tree, "sha1").to_json()))
    with pytest.raises(ConfigError, match="differs from the manifest"):
        StaticSite(tree, manifest=good, strategy="xxh3-128")


def test_manifest_command(tree, stable, tmp_path):
    out = tmp_path / "m.json"
    os.symlink(tree.parent / "outside.txt", tree / "escape.txt")
    result = subprocess.run([sys.executable, "-m", "etagcore", "manifest", str(tree), "-s", "sha1", "-o", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["strategy"].startswith("sha1") and sorted(data["files"]) == ["a.txt", "sub/page.txt"]
    assert data["files"]["a.txt"]["etag"] == str(get_strategy("sha1").tag(b"hello\n"))
    bad = subprocess.run([sys.executable, "-m", "etagcore", "manifest", str(tree), "-s", "stat"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "content strategy" in bad.stderr


def test_sidecars_are_walked_from_the_root_by_the_url_name(tree, stable):
    (tree / ".env").write_bytes(b"SECRET=1")
    (tree / "c.js").write_bytes(b"c")
    os.symlink(".env", tree / "c.js.gz")  # a sidecar may not reveal a dotfile
    (tree / "sub" / "b.js").write_bytes(b"b")
    (tree / "other.gz").write_bytes(b"root other")  # newer than b.js: not stale
    (tree / "sub" / "other.gz").write_bytes(b"sub other")
    os.symlink(tree / "other.gz", tree / "sub" / "b.js.gz")  # absolute, inside the root
    site = StaticSite(tree)
    assert get(site, "/c.js", {"Accept-Encoding": "gzip"})[1] == b"c"
    assert get(site, "/sub/b.js", {"Accept-Encoding": "gzip"})[1] == b"root other"


def test_a_cancelled_request_does_not_break_the_shared_hash(tree, stable):
    """Two large files keep both hashing threads busy; a request for a third, queued behind them,
    is cancelled (a timeout middleware would do that). The third file must still be served."""
    import asyncio

    for name in ("b1.bin", "b2.bin", "b3.bin"):
        with open(tree / name, "wb") as f:
            f.truncate(256 << 20)
    site = StaticSite(tree, strategy="sha1")

    async def scenario():
        busy = [asyncio.ensure_future(site.respond_async("HEAD", f"/{n}", {})) for n in ("b1.bin", "b2.bin")]
        queued = asyncio.ensure_future(site.respond_async("HEAD", "/b3.bin", {}))
        await asyncio.sleep(0.01)
        queued.cancel()
        await asyncio.gather(*busy)
        return await site.respond_async("HEAD", "/b3.bin", {})

    reply = asyncio.run(scenario())
    assert reply.status == 200 and reply.etag == get_strategy("sha1").tag(bytes(256 << 20))
    assert not site._jobs._inflight


def test_a_file_growing_while_it_is_hashed_is_read_only_up_to_its_size(tree, stable):
    read = []
    base = type(get_strategy("sha1"))

    class Counting(base):
        def new(self):
            tagger = super().new()
            update = tagger.update

            class Tagger:
                def update(self, chunk):
                    read.append(len(chunk))
                    update(chunk)

                def etag(self):
                    return tagger.etag()

            return Tagger()

    path = tree / "grows.log"
    path.write_bytes(b"x" * 1000)
    fd = os.open(path, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        with open(path, "ab") as f:
            f.write(b"y" * (8 << 20))
        assert files.tag_open_file(Counting(), fd, st) is None  # it changed: no tag
        assert sum(read) == 1000
    finally:
        os.close(fd)


def test_date_validators_do_not_trust_an_mtime_set_back(tree, stable):
    """cp -p, rsync -t and tar restore old mtimes over new bytes: the dates must not match."""
    site = StaticSite(tree)
    first, _ = get(site, "/a.txt")
    old_lm = dict(first.headers)["Last-Modified"]
    st = os.stat(tree / "a.txt")
    time.sleep(1.05)
    (tree / "a.txt").write_bytes(b"HELLO\n")  # same size
    os.utime(tree / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    reply, body = get(site, "/a.txt", {"If-Modified-Since": old_lm})
    assert reply.status == 200 and body == b"HELLO\n"
    reply, body = get(site, "/a.txt", {"Range": "bytes=0-1", "If-Range": old_lm})
    assert reply.status == 200 and body == b"HELLO\n"


def test_odd_headers_and_queries(tree, stable):
    (tree / "app.js").write_bytes(b"identity")
    (tree / "app.js.gz").write_bytes(b"gzipped")
    site = StaticSite(tree)
    long_refusal = "x" * 4090 + ", gzip;q=0"
    assert get(site, "/app.js", {"Accept-Encoding": long_refusal})[1] == b"identity"
    reply = site.respond("GET", "/sub", {}, "a\x01b\r\nX: y")
    assert dict(reply.headers)["Location"] == "./sub/?a%01b%0D%0AX:%20y"


def test_a_deeply_nested_manifest_is_a_config_error(tmp_path, tree):
    (tmp_path / "deep.json").write_text("[" * 200_000)
    with pytest.raises(ConfigError):
        StaticSite(tree, manifest=tmp_path / "deep.json")
