import hashlib
import os
import subprocess
import sys
import threading
import time

import pytest

import etagcore
from etagcore import ETag, get_strategy
from etagcore import files
from etagcore.strategies.sha1 import SHA1Strategy
from rewriting import rewrite_in_bursts

CONTENT = ["sha1", "blake3", "xxh3-64", "xxh3-128", "xxh64"]


@pytest.fixture
def no_racy_window(monkeypatch):
    """Files made by a test are brand new; let them be cached at once."""
    monkeypatch.setattr(files, "STABLE_AFTER_NS", -10**18)


class CountingSHA1(SHA1Strategy):
    """SHA-1 that counts how many bodies it hashed (a real strategy, not a mock)."""

    def __init__(self):
        super().__init__()
        self.hashed = 0

    def new(self):
        self.hashed += 1
        return super().new()


@pytest.mark.parametrize("name", CONTENT)
@pytest.mark.parametrize("size", [0, 1, files.READ_SIZE - 1, files.READ_SIZE, 3 * files.READ_SIZE + 7])
def test_content_tag_equals_body_tag(tmp_path, name, size, no_racy_window):
    body = (bytes(range(251)) * (size // 251 + 1))[:size]
    path = tmp_path / "f"
    path.write_bytes(body)
    strategy = get_strategy(name)
    assert strategy.tag_file(path) == strategy.tag(body)
    assert strategy.tag_file(str(path)) == strategy.tag(body)
    assert strategy.tag_file(os.fsencode(path)) == strategy.tag(body)


def test_unchanged_file_is_not_rehashed(tmp_path, no_racy_window):
    path = tmp_path / "f"
    path.write_bytes(b"v1")
    strategy = CountingSHA1()
    first = strategy.tag_file(path)
    assert strategy.tag_file(path) == first
    assert strategy.hashed == 1


def test_changed_file_is_rehashed(tmp_path, no_racy_window):
    path = tmp_path / "f"
    path.write_bytes(b"v1")
    strategy = CountingSHA1()
    strategy.tag_file(path)
    st = os.stat(path)
    path.write_bytes(b"v2")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old mtime: ctime changed
    assert strategy.tag_file(path) == ETag(hashlib.sha1(b"v2").hexdigest())
    assert strategy.hashed == 2


def test_recently_changed_file_is_tagged_once_settled(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"fresh")  # ctime is now: a same-tick rewrite would go unseen
    strategy = CountingSHA1()
    assert strategy.tag_file(path) == strategy.tag_file(path) == ETag(hashlib.sha1(b"fresh").hexdigest())
    assert files.is_stable(os.stat(path))  # it waited for the file to settle...
    assert strategy.hashed == 1  # ...hashed it once, and cached the tag


def test_cache_key_includes_strategy_options(tmp_path, no_racy_window):
    path = tmp_path / "f"
    path.write_bytes(b"body")
    hex_tag = get_strategy("sha1").tag_file(path)
    weak_tag = get_strategy("sha1:weak=true").tag_file(path)
    assert hex_tag != weak_tag and weak_tag.weak
    assert get_strategy("blake3:bits=64").tag_file(path) != get_strategy("blake3:bits=72").tag_file(path)


def test_file_changing_while_hashed_is_rehashed_not_cached(tmp_path, no_racy_window):
    path = tmp_path / "f"
    path.write_bytes(b"A" * (3 * files.READ_SIZE))

    class WriterDuringRead(SHA1Strategy):
        """Overwrites the middle of the file while the first hash is in progress."""

        writes_left = 1

        def new(self):
            tagger = super().new()
            outer = self
            update = tagger.update

            class Tagger:
                def update(self, chunk):
                    update(chunk)
                    if outer.writes_left:
                        outer.writes_left -= 1
                        with open(path, "r+b") as f:
                            f.seek(2 * files.READ_SIZE)
                            f.write(b"B" * 10)

                def etag(self):
                    return tagger.etag()

            return Tagger()

    final = b"A" * (2 * files.READ_SIZE) + b"B" * 10 + b"A" * (files.READ_SIZE - 10)
    expected = ETag(hashlib.sha1(final).hexdigest())
    strategy = WriterDuringRead()
    assert strategy.tag_file(path) == expected  # the first, mixed read was thrown away
    assert get_strategy("sha1").tag_file(path) == expected


def test_cache_is_bounded():
    cache = files.DigestCache(max_entries=3)
    for i in range(5):
        cache.put((i,), ETag(str(i)))
    assert len(cache) == 3
    assert cache.get((0,)) is None and cache.get((4,)) == ETag("4")


@pytest.mark.parametrize("name", CONTENT)
def test_directories_and_missing_files(tmp_path, name):
    with pytest.raises(IsADirectoryError, match="Is a directory"):
        get_strategy(name).tag_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        get_strategy(name).tag_file(tmp_path / "missing")


def test_same_size_rewrites_within_one_tick_never_give_a_mixed_tag(tmp_path):
    """A writer rewrites a 4 MiB file in place with A or B (same size, so the stat barely moves):
    every tag tag_file returns is the tag of A or of B, never of a mixture."""
    import threading
    import time

    size = 4 << 20
    versions = [b"A" * size, b"B" * size]
    path = tmp_path / "f"
    path.write_bytes(versions[0])
    strategy = get_strategy("xxh3-128")
    allowed = {strategy.tag(v) for v in versions}
    stop = threading.Event()

    thread = threading.Thread(target=rewrite_in_bursts, args=(path, versions, stop, 2))
    thread.start()
    tags, refused = [], 0
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            try:
                tags.append(strategy.tag_file(path))
            except etagcore.FileChangingError:
                refused += 1
    finally:
        stop.set()
        thread.join()
    assert tags
    assert set(tags) <= allowed, f"{len(set(tags) - allowed)} mixed tags of {len(tags)}"


# -- plug-ins and the digest cache: options() is the cache identity ---------------------------------

class KeyedStrategy(etagcore.BaseStrategy):
    """A keyed plug-in (its tag depends on *key*) that counts the bodies it hashed."""

    name = "keyed"

    def __init__(self, *, key: str = "alpha", announce: bool = True):
        self.key, self.announce, self.hashed = key, announce, 0

    def options(self):
        return {"key": self.key} if self.announce else None

    def new(self):
        self.hashed += 1
        return _KeyedTagger(self.key)


class _KeyedTagger:
    def __init__(self, key, data=b""):
        self.key, self.data = key, data

    def update(self, chunk):
        self.data += bytes(chunk)

    def update_many(self, chunks):
        for chunk in chunks:
            self.update(chunk)

    def etag(self):
        return ETag(hashlib.sha1(self.key.encode() + self.data).hexdigest())

    def copy(self):
        return _KeyedTagger(self.key, self.data)


def test_plugins_with_other_options_never_share_cached_tags(tmp_path, no_racy_window):
    path = tmp_path / "f"
    path.write_bytes(b"same bytes")
    alpha, beta = KeyedStrategy(key="alpha"), KeyedStrategy(key="beta")
    assert alpha.tag_file(path) == alpha.tag(b"same bytes")
    assert beta.tag_file(path) == beta.tag(b"same bytes") != alpha.tag(b"same bytes")
    again = KeyedStrategy(key="alpha")  # equal options: the cached tag is this one's too
    assert again.tag_file(path) == alpha.tag(b"same bytes") and again.hashed == 0
    assert (alpha.spec, beta.spec) == ("keyed:key=alpha", "keyed:key=beta")


def test_a_plugin_without_options_is_never_cached(tmp_path, no_racy_window):
    path = tmp_path / "f"
    path.write_bytes(b"bytes")
    silent = KeyedStrategy(key="alpha", announce=False)
    for _ in range(3):
        assert silent.tag_file(path) == silent.tag(b"bytes")
    assert silent.hashed == 6  # three files hashed, three bodies: no cached answer
    assert files.cache_key(silent, os.stat(path)) is None and silent.spec == "keyed"
    other = KeyedStrategy(key="beta", announce=False)
    assert other.tag_file(path) == other.tag(b"bytes") != silent.tag(b"bytes")


def test_builtin_strategies_give_their_options():
    assert get_strategy("sha1").options() == {"encoding": "hex", "weak": False}
    assert get_strategy("blake3:bits=64").options()["bits"] == 64
    assert get_strategy("xxh3-128:weak=true").spec == "xxh3-128:encoding=hex,weak=true"


def test_cache_identity_tells_names_and_option_types_apart(tmp_path, no_racy_window):
    path = tmp_path / "f"
    path.write_bytes(b"bytes")

    class Named(KeyedStrategy):  # one class, two algorithms told apart by name only
        def __init__(self, name):
            super().__init__(key=name)
            self.name = name

        def options(self):
            return {}

    first, second = Named("one"), Named("two")
    assert first.tag_file(path) == first.tag(b"bytes")
    assert second.tag_file(path) == second.tag(b"bytes") != first.tag(b"bytes")
    one, true = KeyedStrategy(key=1), KeyedStrategy(key=True)  # equal in Python, not as options
    one.options = lambda: {"key": 1}
    true.options = lambda: {"key": True}
    assert files.cache_key(one, os.stat(path)) != files.cache_key(true, os.stat(path))


def test_a_manifest_needs_a_strategy_with_options(tmp_path):
    from etagcore import ConfigError
    from etagcore.static.manifest import build_manifest

    (tmp_path / "a.txt").write_bytes(b"a")
    with pytest.raises(ConfigError, match="gives no options"):
        build_manifest(tmp_path, KeyedStrategy(key="alpha", announce=False))


@pytest.mark.parametrize("name", CONTENT)
def test_read_ahead_hashing_gives_the_body_tag(tmp_path, monkeypatch, name, no_racy_window):
    # the overlapped path (a reader thread one chunk ahead), made to run on a small file in odd chunks
    monkeypatch.setattr(files, "OVERLAP_MIN", 1)
    monkeypatch.setattr(files, "OVERLAP_CHUNK", 4093)
    strategy = get_strategy(name)
    monkeypatch.setattr(type(strategy), "_OVERLAPPED_READS", True, raising=False)
    monkeypatch.setattr(type(strategy), "_MAPPED_READS", False, raising=False)  # no lease: the reads
    body = bytes(range(251)) * 900 + b"tail"
    path = tmp_path / "f"
    path.write_bytes(body)
    assert strategy.tag_file(path) == strategy.tag(body)
    with open(path, "rb") as f:  # a size beyond the end (the file shrank): what is there, no hang
        assert files.hash_fd(strategy, f.fileno(), len(body) + 10_000) == strategy.tag(body)


@pytest.mark.parametrize("mapped", [True, False])
def test_a_large_file_is_read_ahead_and_tagged_alike(tmp_path, monkeypatch, mapped, no_racy_window):
    if not mapped:
        monkeypatch.setattr(files, "_leases_usable", lambda: False)
    body = os.urandom(files.OVERLAP_MIN + 12345)
    path = tmp_path / "big"
    path.write_bytes(body)
    for name in CONTENT:
        strategy = get_strategy(name)
        assert strategy.tag_file(path) == strategy.tag(body), name


LEASES = pytest.mark.skipif(not files._leases_usable(), reason="no file leases here")


def _leased_bytes(monkeypatch):
    """What each _hash_leased call hashed from its mapping, as the calls happen."""
    hashed = []
    real = files._hash_leased

    def spy(tagger, fd, size):
        hashed.append(real(tagger, fd, size))
        return hashed[-1]

    monkeypatch.setattr(files, "_hash_leased", spy)
    return hashed


def _opens_for_writing(path, timeout):
    """Open *path* for writing in a thread: the seconds it took, or None if it did not within *timeout*."""
    took = []

    def open_it():
        start = time.perf_counter()
        os.close(os.open(path, os.O_WRONLY))
        took.append(time.perf_counter() - start)

    thread = threading.Thread(target=open_it, daemon=True)
    thread.start()
    thread.join(timeout)
    return took[0] if took else None


@LEASES
def test_a_large_file_is_hashed_from_a_leased_mapping_and_the_lease_let_go(tmp_path, monkeypatch, no_racy_window):
    hashed = _leased_bytes(monkeypatch)
    body = os.urandom(files.OVERLAP_MIN * 2 + 7)
    path = tmp_path / "big"
    path.write_bytes(body)
    assert get_strategy("sha1").tag_file(path) == get_strategy("sha1").tag(body)
    assert hashed == [len(body)]  # all of it from the mapping
    assert _opens_for_writing(path, 5) is not None  # no lease is left behind


@LEASES
def test_no_lease_while_a_writer_has_the_file_open(tmp_path, monkeypatch, no_racy_window):
    hashed = _leased_bytes(monkeypatch)
    body = os.urandom(files.OVERLAP_MIN + 1)
    path = tmp_path / "big"
    path.write_bytes(body)
    writer = os.open(path, os.O_WRONLY)
    try:
        assert get_strategy("xxh3-128").tag_file(path) == get_strategy("xxh3-128").tag(body)
    finally:
        os.close(writer)
    assert hashed == [0]  # read instead


@LEASES
def test_a_writer_breaks_the_lease_and_the_rest_is_read(tmp_path, monkeypatch, no_racy_window):
    """An open for writing during the mapped hashing waits only until the next slice; the rest is
    read, and the tag is still the file's."""
    hashed = _leased_bytes(monkeypatch)
    monkeypatch.setattr(files, "MAPPED_SLICE", 1 << 20)  # many slices: the break is seen after the first
    body = os.urandom(64 << 20)
    path = tmp_path / "big"
    path.write_bytes(body)
    writer_opened = threading.Event()

    def open_for_writing():
        os.close(os.open(path, os.O_WRONLY))  # waits while the lease is held
        writer_opened.set()

    class WriterOnFirstSlice:
        def __init__(self, inner):
            self.inner, self.writer = inner, None

        def update(self, chunk):
            if self.writer is None:
                self.writer = threading.Thread(target=open_for_writing, daemon=True)
                self.writer.start()
                time.sleep(0.2)  # the open is waiting on the lease now
                assert not writer_opened.is_set()
            self.inner.update(chunk)

        def etag(self):
            return self.inner.etag()

    strategy = get_strategy("sha1")
    monkeypatch.setattr(strategy, "_new_for_size", lambda size: WriterOnFirstSlice(strategy.new()))
    with open(path, "rb") as f:
        assert files.hash_fd(strategy, f.fileno(), len(body)) == strategy.tag(body)
    assert writer_opened.wait(5)
    assert 0 < hashed[0] < len(body)  # the mapping was left at the break


@LEASES
def test_a_file_truncated_while_hashed_never_kills_the_process(tmp_path):
    """A child tags a 32 MiB file over and over while another truncates and rewrites it: the
    tagging child must live (a truncated mapping would be SIGBUS) and the truncations happen."""
    path = tmp_path / "big"
    path.write_bytes(os.urandom(32 << 20))
    tagger = subprocess.Popen([sys.executable, "-c", f"""
import time
from etagcore import files, get_strategy, FileChangingError
strategy, end = get_strategy("xxh3-128"), time.time() + 3
while time.time() < end:
    files.digest_cache.clear()
    try:
        with open({str(path)!r}, "rb") as f:
            files.hash_fd(strategy, f.fileno(), 32 << 20)
    except (FileChangingError, OSError):
        pass
"""])
    data = os.urandom(32 << 20)
    truncations, end = 0, time.time() + 3
    while time.time() < end and tagger.poll() is None:
        os.truncate(path, 4096)
        truncations += 1
        with open(path, "r+b") as f:
            f.write(data)
    assert tagger.wait(timeout=60) == 0, "the tagging process died"
    assert truncations > 3


def test_a_tagger_failing_mid_file_leaves_no_read_running(tmp_path, monkeypatch, no_racy_window):
    monkeypatch.setattr(files, "OVERLAP_MIN", 1)
    monkeypatch.setattr(files, "OVERLAP_CHUNK", 1000)

    class Failing(KeyedStrategy):
        def new(self):
            tagger = super().new()
            calls = []

            def update(chunk):
                calls.append(len(chunk))
                if len(calls) == 3:
                    raise ValueError("tagger broke")
                _KeyedTagger.update(tagger, chunk)

            tagger.update = update
            return tagger

    path = tmp_path / "f"
    path.write_bytes(b"x" * 10_000)
    with open(path, "rb") as f, pytest.raises(ValueError, match="tagger broke"):
        files.hash_fd(Failing(), f.fileno(), 10_000)
    assert files.hash_fd(get_strategy("sha1"), os.open(path, os.O_RDONLY), 10_000) == get_strategy("sha1").tag(
        b"x" * 10_000)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("name", ["sha1", "blake3", "xxh64"])
def test_a_forked_child_tags_large_files(tmp_path, name, no_racy_window):
    # the parent's reader threads and BLAKE3's pool do not survive a fork: the child must not wait for them
    body = os.urandom(files.OVERLAP_MIN + 1)
    path = tmp_path / "big"
    path.write_bytes(body)
    strategy = get_strategy(name)
    want = strategy.tag(body)
    assert strategy.tag_file(path) == want  # the parent starts its threads
    files.digest_cache.clear()
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only with the right tag, killed by the alarm if it hangs
        import signal

        signal.alarm(20)
        os._exit(0 if strategy.tag_file(path) == want and strategy.tag(body) == want else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_reading_ahead_falls_back_to_reading_here_when_no_thread_can_start(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    gone = ThreadPoolExecutor(1)
    gone.shutdown()
    data = b"abc"
    path = tmp_path / "f"
    path.write_bytes(data)
    with open(path, "rb") as f:
        buffers = [bytearray(3)]
        future = files._read_ahead(gone, lambda i, offset: os.preadv(f.fileno(), [buffers[i]], offset), 0, 0)
    assert future.result() == 3 and bytes(buffers[0]) == data


def test_pseudo_files_are_read_to_their_end_and_not_cached():
    if not os.path.exists("/proc/self/status"):
        pytest.skip("no /proc here")
    strategy = get_strategy("sha1")
    with open("/proc/version", "rb") as f:
        content = f.read()
    assert os.stat("/proc/version").st_size == 0 and content
    assert strategy.tag_file("/proc/version") == strategy.tag(content)
    assert files.cache_key(strategy, os.stat("/proc/version")) not in files.digest_cache._entries
    fd = os.open("/proc/version", os.O_RDONLY)  # the adapters' way in: the same rule
    try:
        assert files.tag_open_file(strategy, fd, os.fstat(fd)) == strategy.tag(content)
    finally:
        os.close(fd)
    assert files.cache_key(strategy, os.stat("/proc/version")) not in files.digest_cache._entries
    assert strategy.tag_file("/proc/version") == strategy.tag(content)


def test_an_empty_file_is_tagged_once_settled_like_any_other(tmp_path):
    """Empty now, a writer may be filling it: its tag waits for the file to settle, and a file
    that fills while it is read is read again (a tag of a passing prefix describes nothing)."""
    path = tmp_path / "f"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDONLY)
    try:
        assert files.tag_open_file(get_strategy("sha1"), fd, os.fstat(fd)) is None  # changed just now
    finally:
        os.close(fd)
    strategy = CountingSHA1()
    assert strategy.tag_file(path) == ETag(hashlib.sha1(b"").hexdigest())
    assert files.is_stable(os.stat(path))  # it waited


def test_an_empty_file_filled_while_read_is_read_again(tmp_path, no_racy_window):
    path = tmp_path / "f"
    path.write_bytes(b"")

    class FillsDuringRead(SHA1Strategy):
        def new(self):
            tagger = super().new()
            if not path.stat().st_size:
                path.write_bytes(b"filled")  # between the open and the read: the stat then differs
            return tagger

    assert FillsDuringRead().tag_file(path) == ETag(hashlib.sha1(b"filled").hexdigest())


def test_stability_is_judged_by_the_clock_file_times_come_from():
    import sys
    import time

    if sys.platform.startswith("linux"):  # the coarse clock the kernel stamps inodes with: ticks, not ns
        assert time.clock_getres(5) >= 1e-4 and files._COARSE_CLOCK == 5
    before = time.time_ns()
    assert files.clock_ns() <= time.time_ns() and files.clock_ns() >= before - 10**8  # never ahead; a tick behind


@pytest.mark.skipif(files._etag is None, reason="the C build of etagcore._etag is not in use")
def test_the_c_cache_key_is_the_one_os_stat_gives(tmp_path, no_racy_window):
    """A cache hit reads its key with src_c/stat_tag.c's stat_key: the key tag_open_file() stores
    from os.fstat, or None where the slow path must answer."""
    strategy = get_strategy("xxh3-128")
    number = files._cache_number(strategy)
    path = tmp_path / "page"
    path.write_bytes(b"x" * 1000)
    for mtime in (0, -1, -1_000_000_001, 1_700_000_000_123_456_789):
        try:
            os.utime(path, ns=(mtime, mtime))
        except OSError:
            continue
        assert files._etag.stat_key(path, number) == files.cache_key(strategy, os.stat(path))
        assert files._etag.stat_key(os.fsencode(path), number) == files.cache_key(strategy, os.stat(path))
    (tmp_path / "link").symlink_to(path)
    assert files._etag.stat_key(tmp_path / "link", number) == files.cache_key(strategy, os.stat(path))
    os.mkfifo(tmp_path / "fifo")
    assert files._etag.stat_key(tmp_path / "fifo", number) is None
    assert files._etag.stat_key(tmp_path, number) is None
    with pytest.raises(FileNotFoundError):
        files._etag.stat_key(tmp_path / "missing", number)
    with pytest.raises(ValueError):
        files._etag.stat_key(str(path) + "\0", number)
    with pytest.raises(TypeError):
        files._etag.stat_key(path)


@LEASES
def test_a_tagger_raising_mid_file_leaves_no_mapping_and_no_lease(tmp_path, monkeypatch, no_racy_window):
    """The tagger's error comes out as it was; the slice it kept is released (it cannot reach the
    mapping once the lease is gone), the mapping closed, and writers are not kept waiting."""
    monkeypatch.setattr(files, "MAPPED_SLICE", 4 << 20)
    body = os.urandom(files.OVERLAP_MIN * 3)
    path = tmp_path / "big"
    path.write_bytes(body)
    kept = []

    class KeepsAndBreaks:
        def update(self, chunk):
            kept.append(chunk)
            if len(kept) == 2:
                raise ValueError("tagger broke")

    strategy = get_strategy("xxh3-128")
    monkeypatch.setattr(strategy, "_new_for_size", lambda size: KeepsAndBreaks())
    with open(path, "rb") as f, pytest.raises(ValueError, match="tagger broke"):
        files.hash_fd(strategy, f.fileno(), len(body))
    with pytest.raises(ValueError):
        kept[0][0]  # released: no way into the unmapped pages
    with open("/proc/self/maps") as maps:
        assert str(path) not in maps.read()
    assert _opens_for_writing(path, 5) is not None


@LEASES
def test_pages_not_in_memory_are_read_not_mapped(tmp_path, monkeypatch, no_racy_window):
    """A page read from storage while the lease is held could outlast it: a file not in memory
    is read instead."""
    hashed = _leased_bytes(monkeypatch)
    body = os.urandom(files.OVERLAP_MIN * 2)
    path = tmp_path / "big"
    path.write_bytes(body)
    with open(path, "rb") as f:
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        import mmap
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            if files._etag.resident(mapped, 0, len(body)):
                pytest.skip("this filesystem keeps the pages in memory (tmpfs)")
        assert files.hash_fd(get_strategy("sha1"), f.fileno(), len(body)) == get_strategy("sha1").tag(body)
    assert hashed[0] < len(body)


@LEASES
def test_a_fifo_given_as_a_large_file_does_not_hang(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-c", f"""
import os
from etagcore import files, get_strategy
fd = os.open({str(fifo)!r}, os.O_RDONLY | os.O_NONBLOCK)
try:
    files.hash_fd(get_strategy("sha1"), fd, 16 << 20)
except OSError as exc:
    print("refused", exc.errno)
else:
    print("tagged")
"""], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] in ("refused", "tagged")


@pytest.mark.skipif(files._etag is None, reason="the C build of etagcore._etag is not in use")
def test_resident_reads_a_range_of_a_mapping(tmp_path):
    import mmap

    path = tmp_path / "f"
    path.write_bytes(b"x" * 10_000)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert mapped[0] == ord("x")  # touched: in memory
        assert files._etag.resident(mapped, 0, 10_000) is True
        assert files._etag.resident(mapped, 5, 0) is True
        with pytest.raises(ValueError):
            files._etag.resident(mapped, 9_000, 2_000)
        with pytest.raises(ValueError):
            files._etag.resident(mapped, -1, 5)
    assert files._etag.resident(b"abc", 0, 3) in (True, False)  # not a file mapping: never an error
