import array
import base64
import hashlib
import mmap
from types import SimpleNamespace

import blake3
import pytest
import tornado.web
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

import etagcore
from etagcore import ETag, UnsupportedBodyError, get_strategy
from etagcore.strategy import HashStrategy

CONTENT = ["sha1", "blake3", "xxh3-64", "xxh3-128", "xxh64"]

REFERENCE = {
    "sha1": lambda b: hashlib.sha1(b).hexdigest(),
    "blake3": lambda b: blake3.blake3(b).hexdigest(16),
    "xxh3-64": lambda b: xxhash.xxh3_64_hexdigest(b),
    "xxh3-128": lambda b: xxhash.xxh3_128_hexdigest(b),
    "xxh64": lambda b: xxhash.xxh64_hexdigest(b),
}


def tornado_etag(chunks):
    """Tornado's own RequestHandler.compute_etag, run on a write buffer of these chunks."""
    return tornado.web.RequestHandler.compute_etag(SimpleNamespace(_write_buffer=list(chunks)))


def split(body, cuts):
    points = sorted({c % (len(body) + 1) for c in cuts})
    bounds = [0, *points, len(body)]
    return [body[a:b] for a, b in zip(bounds, bounds[1:])]


@pytest.mark.parametrize("name", CONTENT)
@pytest.mark.parametrize("body", [b"", b"a", b"hello world", bytes(range(256)) * 300])
def test_tag_matches_reference_digest(name, body):
    assert get_strategy(name).tag(body) == ETag(REFERENCE[name](body))


@given(body=st.binary(max_size=5000), cuts=st.lists(st.integers(min_value=0), max_size=40))
@settings(max_examples=200, deadline=None)
def test_sha1_is_tornado_for_every_chunking(body, cuts):
    chunks = split(body, cuts)
    expected = tornado_etag(chunks)
    sha1 = get_strategy("sha1")
    assert str(sha1.tag(chunks)) == expected
    assert str(sha1.tag(body)) == expected
    tagger = sha1.new()
    tagger.update_many(chunks)
    assert str(tagger.etag()) == expected


def test_sha1_empty_body_is_tornado():
    assert str(get_strategy("sha1").tag([])) == tornado_etag([]) == '"da39a3ee5e6b4b0d3255bfef95601890afd80709"'
    assert str(get_strategy("sha1").tag(b"")) == tornado_etag([b""])


@pytest.mark.parametrize("name", CONTENT)
@given(body=st.binary(max_size=3000), cuts=st.lists(st.integers(min_value=0), max_size=30))
@settings(max_examples=60, deadline=None)
def test_chunking_invariance(name, body, cuts):
    strategy = get_strategy(name)
    whole = strategy.tag(body)
    chunks = split(body, cuts)
    assert strategy.tag(chunks) == whole
    assert strategy.tag(iter(chunks)) == whole
    tagger = strategy.new()
    for chunk in chunks:
        tagger.update(chunk)
    assert tagger.etag() == whole


@pytest.mark.parametrize("name", CONTENT)
def test_every_bytes_like_kind_is_accepted(name, tmp_path):
    body = b"0123456789" * 1000
    strategy = get_strategy(name)
    expected = strategy.tag(body)
    path = tmp_path / "f"
    path.write_bytes(body)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert strategy.tag(mapped) == expected
        assert strategy.tag([mapped[:10], memoryview(mapped)[10:]]) == expected
    assert strategy.tag(bytearray(body)) == expected
    assert strategy.tag(memoryview(body)) == expected
    assert strategy.tag(array.array("B", body)) == expected
    assert strategy.tag([bytearray(body[:5]), memoryview(body)[5:]]) == expected
    assert strategy.tag(chunk for chunk in [body[:3], body[3:]]) == expected


@pytest.mark.parametrize("name", CONTENT)
def test_etag_does_not_change_state_and_copy_forks(name):
    tagger = get_strategy(name).new()
    tagger.update(b"abc")
    first = tagger.etag()
    assert tagger.etag() == first
    fork = tagger.copy()
    tagger.update(b"def")
    assert fork.etag() == first
    assert tagger.etag() == get_strategy(name).tag(b"abcdef")
    fork.update_many([b"d", b"ef"])
    assert fork.etag() == tagger.etag()


@pytest.mark.parametrize("name", CONTENT)
def test_str_is_refused_with_a_hint_to_encode(name):
    strategy = get_strategy(name)
    with pytest.raises(TypeError, match="encode"):
        strategy.tag("text")
    with pytest.raises(TypeError, match="encode"):
        strategy.tag([b"a", "text"])
    with pytest.raises(TypeError, match="encode"):
        strategy.new().update("text")
    with pytest.raises(TypeError, match="encode"):
        strategy.new().update_many([b"ok", "text"])


@pytest.mark.parametrize("name", CONTENT)
def test_non_buffers_are_refused_clearly(name):
    strategy = get_strategy(name)
    with pytest.raises(TypeError, match="body must be a bytes-like object or an iterable"):
        strategy.tag(42)
    with pytest.raises(TypeError, match="chunks must be bytes-like objects.*int"):
        strategy.tag([b"a", 5])
    with pytest.raises(TypeError, match="iterable of chunks"):
        strategy.new().update_many(b"abc")


def test_errors_raised_by_the_iterable_itself_pass_through():
    def broken():
        yield b"a"
        raise TypeError("from the generator")

    with pytest.raises(TypeError, match="from the generator"):
        get_strategy("sha1").tag(broken())


@pytest.mark.parametrize("name", CONTENT)
def test_base64url_encoding_and_weak(name):
    body = b"some body"
    digest = bytes.fromhex(REFERENCE[name](body))
    tag = get_strategy({"name": name, "encoding": "base64url", "weak": True}).tag(body)
    assert tag.weak
    assert tag.opaque == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert "=" not in tag.opaque and "+" not in tag.opaque and "/" not in tag.opaque
    assert str(tag).startswith('W/"')


@pytest.mark.parametrize("bits", [64, 72, 128, 200, 256])
def test_blake3_bits(bits):
    tag = get_strategy(f"blake3:bits={bits}").tag(b"x")
    assert tag.opaque == blake3.blake3(b"x").hexdigest(bits // 8)


@pytest.mark.parametrize("threads", ["1", "2", "auto"])
def test_blake3_threads_do_not_change_the_tag(threads):
    body = bytes(range(256)) * 8192  # 2 MiB: above the threaded threshold
    expected = blake3.blake3(body).hexdigest(16)
    strategy = get_strategy(f"blake3:threads={threads}")
    assert strategy.tag(body).opaque == expected
    assert strategy.tag([body[:12345], body[12345:]]).opaque == expected


def test_spec_round_trip():
    for spec in ["sha1", "blake3:bits=256,encoding=base64url,weak=true", "xxh3-128:weak=1", "stat:format=nginx",
                 "stat:components=inode+size"]:
        strategy = get_strategy(spec)
        again = get_strategy(strategy.spec)
        assert again.spec == strategy.spec
        assert repr(strategy) == f"get_strategy({strategy.spec!r})"


def test_stat_refuses_bodies():
    stat = get_strategy("stat")
    with pytest.raises(UnsupportedBodyError, match="tags files only"):
        stat.tag(b"body")
    with pytest.raises(UnsupportedBodyError, match="tag_file"):
        stat.new()


def test_plugin_base_class_gives_tag_and_tag_file(tmp_path):
    class Length(etagcore.BaseStrategy):
        name = "length"

        def new(self):
            return LengthTagger()

    class LengthTagger:
        def __init__(self, n=0):
            self.n = n

        def update(self, chunk):
            self.n += memoryview(chunk).nbytes

        def update_many(self, chunks):
            for c in chunks:
                self.update(c)

        def etag(self):
            return ETag(str(self.n))

        def copy(self):
            return LengthTagger(self.n)

    path = tmp_path / "f"
    path.write_bytes(b"12345")
    assert Length().tag([b"ab", b"c"]) == ETag("3")
    assert Length().tag_file(path) == ETag("5")


@pytest.mark.parametrize("spec", [*CONTENT, "sha1:weak=true", "xxh3-128:encoding=base64url", "blake3:bits=256"])
@pytest.mark.parametrize("body", [b"", b"x" * 100, bytearray(b"abc"), memoryview(b"abcdef")[1:4], [b"abc"], (b"abc",),
                                  [bytearray(b"ab")], [memoryview(b"ab")], [b"a", b"bc"], [], [b"x" * 70000]])
def test_fast_tag_is_the_python_tag(spec, body):
    # the C one-call tag() of the hash strategies against the Python method it stands in for
    strategy = get_strategy(spec)
    expected = HashStrategy.tag(strategy, body)
    assert strategy.tag(body) == expected
    assert strategy.tag(body).weak is expected.weak
    whole = b"".join(bytes(c) for c in body) if isinstance(body, (list, tuple)) else bytes(body)
    tagger = strategy.new()
    tagger.update(whole)
    assert tagger.etag() == expected


@pytest.mark.parametrize("spec", ["sha1", "sha1:weak=true", "sha1:encoding=base64url"])
def test_small_sha1_bodies_at_every_padding_boundary(spec):
    # sha1.tag() hashes small bytes/bytearray bodies in etagcore's own C SHA-1: every length up to
    # past its size limit (one and two padding blocks, the 55/56/64-byte edges) against hashlib
    strategy = get_strategy(spec)
    data = bytes((i * 131 + 7) % 256 for i in range(1100))
    for length in range(1100):
        body = data[:length]
        expected = HashStrategy.tag(strategy, body)
        assert expected.opaque == strategy._opaque(hashlib.sha1(body))
        assert strategy.tag(body) == expected, length
        assert strategy.tag(bytearray(body)) == expected, length
        assert strategy.tag([body]) == expected, length


@given(body=st.binary(max_size=1100))
@settings(max_examples=300, deadline=None)
def test_small_sha1_is_hashlib(body):
    assert get_strategy("sha1").tag(body).opaque == hashlib.sha1(body).hexdigest()


@pytest.mark.parametrize("name", CONTENT)
def test_one_chunk_list_errors_are_the_general_ones(name):
    strategy = get_strategy(name)
    with pytest.raises(TypeError, match="encode"):
        strategy.tag(["text"])
    with pytest.raises(TypeError, match="chunks must be bytes-like objects.*int"):
        strategy.tag((5,))
    with pytest.raises(TypeError):
        strategy.tag()
    with pytest.raises(TypeError):
        strategy.tag(b"a", b"b")


def test_subclass_overriding_tag_keeps_its_override():
    class Shouting(type(get_strategy("xxh3-64"))):
        def tag(self, body, /):
            return ETag("LOUD")

    assert Shouting().tag(b"abc") == ETag("LOUD")
