"""The stat formats against values worked out by hand from the Apache and nginx sources.

Apache 2.4 ap_make_etag: "[inode-][size-][mtime]" in that order, each as lowercase hex of the
value cast to uint64, mtime in microseconds; weak unless request_time - mtime > 1 s.
nginx ngx_http_set_etag: "%xT-%xO" of (mtime seconds, size): lowercase hex, signed.
"""

import os
import time

import pytest

from etagcore import ConfigError, ETag, get_strategy
from etagcore.strategies.stat import apache_etag, nginx_etag

MTIME_US = 1_700_000_000_123_456  # = 0x60a2418202240
NOW_US = MTIME_US + 10_000_000


@pytest.mark.parametrize("components, expected", [
    (("size", "mtime"), '"5-60a2418202240"'),
    (("mtime", "size"), '"5-60a2418202240"'),  # order given does not matter: Apache's is fixed
    (("inode", "size", "mtime"), '"1234-5-60a2418202240"'),
    (("inode",), '"1234"'),
    (("mtime",), '"60a2418202240"'),
    (("inode", "mtime"), '"1234-60a2418202240"'),
])
def test_apache_components(components, expected):
    tag = apache_etag(inode=0x1234, size=5, mtime_us=MTIME_US, now_us=NOW_US, components=components)
    assert str(tag) == expected


def test_apache_zero_and_large_values():
    assert str(apache_etag(inode=0, size=0, mtime_us=0, now_us=NOW_US, components=("inode", "size", "mtime"))) == '"0-0-0"'
    assert str(apache_etag(inode=2**64 - 1, size=2**40, mtime_us=MTIME_US, now_us=NOW_US,
                           components=("inode", "size"))) == '"ffffffffffffffff-10000000000"'


def test_apache_negative_mtime_is_cast_to_uint64():
    assert str(apache_etag(inode=1, size=1, mtime_us=-1, now_us=NOW_US, components=("mtime",))) == '"ffffffffffffffff"'


@pytest.mark.parametrize("age_us, weak", [
    (-5_000_000, True),   # mtime in the future
    (0, True),
    (999_999, True),
    (1_000_000, True),    # exactly one second: Apache's test is strictly greater
    (1_000_001, False),
    (86_400_000_000, False),
])
def test_apache_weak_within_one_second(age_us, weak):
    tag = apache_etag(inode=1, size=5, mtime_us=MTIME_US, now_us=MTIME_US + age_us)
    assert tag.weak is weak
    assert str(tag) == ('W/"5-60a2418202240"' if weak else '"5-60a2418202240"')


def test_nginx_format():
    assert str(nginx_etag(size=1234, mtime_s=1_700_000_000)) == '"6553f100-4d2"'
    assert str(nginx_etag(size=0, mtime_s=0)) == '"0-0"'
    assert str(nginx_etag(size=5, mtime_s=-1)) == '"-1-5"'  # ngx_sprintf prints a sign


def test_tag_file_apache_on_a_real_file(tmp_path):
    path = tmp_path / "index.html"
    path.write_bytes(b"hello")
    os.utime(path, ns=(MTIME_US * 1000 + 789, MTIME_US * 1000 + 789))  # sub-microsecond part is dropped
    inode = os.stat(path).st_ino
    assert str(get_strategy("stat").tag_file(path)) == '"5-60a2418202240"'
    assert str(get_strategy("stat:components=all").tag_file(path)) == f'"{inode:x}-5-60a2418202240"'
    assert str(get_strategy("stat:format=nginx").tag_file(path)) == '"6553f100-5"'


def test_tag_file_is_weak_right_after_a_write(tmp_path):
    path = tmp_path / "fresh"
    path.write_bytes(b"x")
    assert get_strategy("stat").tag_file(path).weak
    assert not get_strategy("stat:format=nginx").tag_file(path).weak
    st = os.stat(path)
    later = get_strategy("stat").tag_stat(st, now_ns=time.time_ns() + 2_000_000_000)
    assert later == ETag(f"1-{st.st_mtime_ns // 1000:x}")


def test_tag_file_refuses_directories_and_missing_files(tmp_path):
    with pytest.raises(OSError, match="not a regular file"):
        get_strategy("stat").tag_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        get_strategy("stat").tag_file(tmp_path / "missing")


@pytest.mark.parametrize("spec, message", [
    ("stat:format=iis", "option format='iis'.*apache or nginx"),
    ("stat:components=color", "option components='color'.*inode, mtime, size"),
    ("stat:components=", "option components=''"),
    ("stat:format=nginx,components=inode", "components='inode'.*only with format=apache"),
])
def test_stat_config_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        get_strategy(spec)


def test_components_from_a_mapping():
    strategy = get_strategy({"name": "stat", "components": ["INode", "size"]})
    assert strategy.spec == "stat:format=apache,components=inode+size"


def _c_stat_tag_in_use() -> bool:
    from etagcore import _backend

    module = _backend.load_extension("_etag")
    return module is not None and isinstance(get_strategy("stat").tag_file, module.StatTag)


C_BUILT = pytest.mark.skipif(not _c_stat_tag_in_use(), reason="the C build of etagcore._etag is not in use")


SPECS = ["stat", "stat:components=all", "stat:components=inode", "stat:components=mtime",
         "stat:components=inode+mtime", "stat:components=inode+size", "stat:format=nginx"]
MTIMES_NS = [0, 1, -1, 999, -999_999_999, -1_000_000_001, MTIME_US * 1000 + 789, 2**62 + 12345,
             -(2**40) * 1_000_000_000 - 7, 1_000_000_000 * 253402300799 + 999_999_999]


@C_BUILT
@pytest.mark.parametrize("spec", SPECS)
def test_c_tag_file_agrees_with_the_python_one(tmp_path, spec):
    """src_c/stat_tag.c against the pure-Python twin on one file at many mtimes (past, before
    1970 with a fraction, far future) and sizes."""
    strategy = get_strategy(spec)
    path = tmp_path / "page"
    compared = 0
    for size in (0, 5, 1 << 20):
        path.write_bytes(b"x" * size)
        for mtime in MTIMES_NS:
            try:
                os.utime(path, ns=(mtime, mtime))
            except (OSError, OverflowError):
                continue  # a time this filesystem cannot hold
            if os.stat(path).st_mtime_ns != mtime:
                continue
            assert strategy.tag_file(path) == strategy._tag_file(path), (size, mtime)
            compared += 1
    assert compared >= 15  # the test cannot pass by skipping every case


@C_BUILT
def test_c_tag_file_paths_and_errors_as_os_stat(tmp_path):
    strategy = get_strategy("stat")
    path = tmp_path / "page"
    path.write_bytes(b"hello")
    os.utime(path, ns=(MTIME_US * 1000, MTIME_US * 1000))
    want = ETag("5-60a2418202240")
    assert strategy.tag_file(path) == strategy.tag_file(str(path)) == strategy.tag_file(os.fsencode(path)) == want
    (tmp_path / "link").symlink_to(path)
    assert strategy.tag_file(tmp_path / "link") == want  # symlinks followed, as Apache and nginx do
    with pytest.raises(FileNotFoundError) as missing:
        strategy.tag_file(tmp_path / "missing")
    assert missing.value.filename == tmp_path / "missing"
    with pytest.raises(ValueError, match="null"):
        strategy.tag_file(str(path) + "\0")
    with pytest.raises(TypeError):
        strategy.tag_file(1.5)
    with pytest.raises(TypeError):
        strategy.tag_file(path, path)
    with pytest.raises(OSError, match="not a regular file"):
        strategy.tag_file(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        strategy.tag_file(fifo)
