import hashlib
import os
import subprocess
import sys
import threading

import pytest


def etagcore_cmd(*args, stdin=b"", env=None):
    return subprocess.run([sys.executable, "-m", "etagcore", *args], input=stdin, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=120)


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(b"<h1>hi</h1>\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    return path


def test_tag_prints_etag_and_path(page):
    result = etagcore_cmd("tag", str(page))
    assert result.returncode == 0
    digest = hashlib.sha1(page.read_bytes()).hexdigest()
    assert result.stdout.decode() == f'"{digest}"  {page}\n'


def test_tag_with_strategy_and_stdin(page):
    result = etagcore_cmd("tag", "--strategy", "stat:format=nginx", str(page))
    assert result.stdout.decode() == f'"6553f100-c"  {page}\n'
    result = etagcore_cmd("tag", "-s", "sha1", "-", stdin=b"abc")
    assert result.stdout.decode() == f'"{hashlib.sha1(b"abc").hexdigest()}"  -\n'


def test_tag_uses_environment_default(page):
    result = etagcore_cmd("tag", str(page), env={"ETAGCORE_STRATEGY": "xxh3-64"})
    assert result.returncode == 0 and len(result.stdout.split(b'"')[1]) == 16


def test_missing_file_exit_1_others_still_printed(page, tmp_path):
    result = etagcore_cmd("tag", str(tmp_path / "nope"), str(page))
    assert result.returncode == 1
    assert result.stderr.decode() == f"etagcore: {tmp_path / 'nope'}: No such file or directory\n"
    assert str(page) in result.stdout.decode()


def test_stat_on_stdin_is_an_error(page):
    result = etagcore_cmd("tag", "-s", "stat", "-")
    assert result.returncode == 1
    assert result.stderr == b"etagcore: -: the stat strategy tags regular files by their metadata; a stream has none\n"


@pytest.mark.parametrize("args, message", [
    (["tag", "-s", "sha2", "x"], b"did you mean 'sha1'"),
    (["tag", "-s", "blake3:bits=7", "x"], b"bits='7'"),
    (["tag"], b"the following arguments are required: FILE"),
    ([], b"the following arguments are required: COMMAND"),
    (["frobnicate"], b"invalid choice: 'frobnicate'"),
])
def test_usage_errors_exit_2(args, message):
    result = etagcore_cmd(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == b""


def test_strategies_lists_options():
    result = etagcore_cmd("strategies")
    out = result.stdout.decode()
    assert result.returncode == 0
    for name in ["blake3", "sha1", "stat", "xxh3-128", "xxh3-64", "xxh64"]:
        assert f"\n{name}\n" in f"\n{out}"
    assert "bits        digest length, 64 to 256 in steps of 8 (default 128)" in out
    assert "format      apache (default) or nginx" in out


def test_demo_prints_a_row_per_strategy_and_input():
    result = etagcore_cmd("demo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0].startswith("etagcore ")
    assert sum(line.startswith("sha1 ") for line in lines) == 5
    assert '"da39a3ee5e6b4b0d3255bfef95601890afd80709"' in result.stdout.decode()


def test_console_script_is_installed():
    exe = os.path.join(os.path.dirname(sys.executable), "etagcore")
    result = subprocess.run([exe, "--version"], capture_output=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith(b"etagcore ")


# -- coreutils conventions (issue 13) ---------------------------------------------------------------

def test_closed_stdin_is_a_read_error_not_a_crash(tmp_path):
    err = tmp_path / "err"
    with open(err, "wb") as stderr:
        result = subprocess.run(f"{sys.executable} -m etagcore tag - <&-", shell=True, stdout=subprocess.PIPE,
                                stderr=stderr, timeout=120)
    assert result.returncode == 1 and result.stdout == b""
    assert err.read_bytes() == b"etagcore: -: Bad file descriptor\n"


@pytest.mark.parametrize("redirect, message", [(">&-", b"Bad file descriptor"), (">/dev/full", b"No space left")])
def test_unwritable_stdout_is_a_write_error(page, tmp_path, redirect, message):
    if redirect == ">/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    err = tmp_path / "err"
    with open(err, "wb") as stderr:
        result = subprocess.run(f"{sys.executable} -m etagcore tag {page} {redirect}", shell=True, stderr=stderr,
                                timeout=120)
    assert result.returncode == 1
    assert err.read_bytes() == b"etagcore: write error: " + message + (b"\n" if message.endswith(b"descriptor") else
                                                                     b" on device\n")


def test_fifos_and_dev_stdin_are_read_like_sha1sum(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(b"streamed bytes",))
    writer.start()
    result = etagcore_cmd("tag", str(fifo))
    writer.join(timeout=30)
    want = hashlib.sha1(b"streamed bytes").hexdigest()
    assert result.returncode == 0 and result.stdout.decode() == f'"{want}"  {fifo}\n'
    result = etagcore_cmd("tag", "/dev/stdin", stdin=b"streamed bytes")
    assert result.returncode == 0 and result.stdout.decode() == f'"{want}"  /dev/stdin\n'
    shell = subprocess.run(["bash", "-c", f"{sys.executable} -m etagcore tag <(printf 'streamed bytes')"],
                           capture_output=True, timeout=120)
    assert shell.returncode == 0 and shell.stdout.startswith(f'"{want}"  /dev/fd/'.encode())


def test_a_directory_is_a_directory(tmp_path, page):
    result = etagcore_cmd("tag", str(tmp_path), str(page))
    assert result.returncode == 1 and result.stderr.decode() == f"etagcore: {tmp_path}: Is a directory\n"
    assert str(page) in result.stdout.decode()


def test_check_verifies_a_list_it_printed(tmp_path, page):
    other = tmp_path / "other.txt"
    other.write_bytes(b"one")
    listing = tmp_path / "tags"
    listing.write_bytes(etagcore_cmd("tag", "-s", "xxh3-64", str(page), str(other)).stdout)
    ok = etagcore_cmd("tag", "-s", "xxh3-64", "--check", str(listing))
    assert ok.returncode == 0 and ok.stdout.decode() == f"{page}: OK\n{other}: OK\n" and ok.stderr == b""
    other.write_bytes(b"two")
    os.remove(page)
    bad = etagcore_cmd("tag", "-s", "xxh3-64", "-c", str(listing))
    assert bad.returncode == 1
    assert bad.stdout.decode() == f"{page}: FAILED open or read\n{other}: FAILED\n"
    assert b"1 computed tag did NOT match" in bad.stderr and b"No such file or directory" in bad.stderr
    from_stdin = etagcore_cmd("tag", "-s", "xxh3-64", "-c", "-", stdin=listing.read_bytes())
    assert from_stdin.returncode == 1 and f"{other}: FAILED".encode() in from_stdin.stdout
    garbage = etagcore_cmd("tag", "-c", "-", stdin=b"no tags here\n")
    assert garbage.returncode == 1 and b"improperly formatted" in garbage.stderr


def test_version_names_the_backends_in_use():
    result = etagcore_cmd("--version")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("etagcore ") and "matcher C" in result.stdout.decode()
    fallback = etagcore_cmd("--version", env={"ETAGCORE_BACKEND": "python"})
    assert "matcher Python" in fallback.stdout.decode() and "responses Python" in fallback.stdout.decode()


def test_usage_errors_print_the_subcommands_usage():
    result = etagcore_cmd("tag", "-s", "nope", "x")
    assert result.returncode == 2 and result.stderr.startswith(b"usage: etagcore tag ")


def test_strategies_is_plain_text():
    out = etagcore_cmd("strategies").stdout.decode()
    assert "``" not in out and ":class:" not in out and "bits sets the digest length" in out


@pytest.mark.parametrize("where", ["/proc/nope/dir", "FILE"])
def test_bench_output_errors_are_messages_not_tracebacks(tmp_path, where):
    if where == "FILE":
        where = str(tmp_path / "a-file")
        (tmp_path / "a-file").write_bytes(b"")
    result = etagcore_cmd("bench", "-o", where, "--no-plot")
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    assert result.stderr.decode().startswith(f"etagcore: --output-dir {where}: ")


def test_names_with_line_breaks_and_backslashes_round_trip_escaped(tmp_path):
    names = ["new\nline", "back\\slash", "cr\r", "form\x0cfeed", "nel\x85x", "two  spaces"]
    for name in names:
        (tmp_path / name).write_bytes(name.encode())
    listing = etagcore_cmd("tag", *(str(tmp_path / n) for n in names)).stdout
    lines = listing.split(b"\n")[:-1]
    assert len(lines) == len(names)  # one line a file, whatever its name
    assert lines[0].startswith(b'\\"') and lines[0].endswith(b"new\\nline")  # sha1sum's escape
    checked = etagcore_cmd("tag", "-c", "-", stdin=listing.replace(b"\n", b"\r\n"))  # CRLF lists too
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count(b": OK\n") == len(names)


def test_names_that_are_not_utf8_go_out_as_their_bytes(tmp_path):
    """Under a strict UTF-8 stdout (en_US.UTF-8, PYTHONIOENCODING=utf-8) too, as sha1sum writes them."""
    name = os.fsencode(tmp_path) + b"/bad\xffname"
    with open(name, "wb") as f:
        f.write(b"x")
    strict = {"PYTHONIOENCODING": "utf-8"}
    listed = etagcore_cmd("tag", os.fsdecode(name), env=strict)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == f'"{hashlib.sha1(b"x").hexdigest()}"  '.encode() + name + b"\n"
    checked = etagcore_cmd("tag", "-c", "-", stdin=listed.stdout, env=strict)
    assert (checked.returncode, checked.stdout) == (0, name + b": OK\n")


def test_check_calls_lines_sha1sum_cannot_read_improperly_formatted(tmp_path, page):
    good = f'"{hashlib.sha1(page.read_bytes()).hexdigest()}"  {page}\n'.encode()
    bad = [b'"abc"  a\0b\n', b'\\"abc"  a\\\n', b'\\"abc"  a\\x\n']  # NUL, lone backslash, unknown escape
    result = etagcore_cmd("tag", "-c", "-", stdin=b"".join(bad) + good)
    assert result.returncode == 0 and result.stdout == f"{page}: OK\n".encode()
    assert result.stderr == b"etagcore: WARNING: 3 lines are improperly formatted\n"


def test_an_unwritable_stderr_does_not_stop_the_command(page, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "etagcore", "tag", str(tmp_path / "nope"), str(page)],
                                capture_output=False, stdout=subprocess.PIPE, stderr=full, timeout=120)
    assert result.returncode == 1 and result.stdout.endswith(f"  {page}\n".encode())


def test_closed_stderr_never_lands_in_stdout(page, tmp_path):
    out = tmp_path / "out"
    with open(out, "wb") as stdout:
        result = subprocess.run(f"{sys.executable} -m etagcore tag {page} {tmp_path / 'nope'} 2>&-", shell=True,
                                stdout=stdout, timeout=120)
    assert result.returncode == 1 and out.read_bytes().count(b"\n") == 1 and b"nope" not in out.read_bytes()


@pytest.mark.parametrize("args", [["--version"], ["tag", "--help"], ["strategies"]])
def test_help_and_version_report_write_errors(args, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    err = tmp_path / "err"
    with open(err, "wb") as stderr, open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "etagcore", *args], stdout=full, stderr=stderr, timeout=120)
    assert result.returncode == 1 and err.read_bytes() == b"etagcore: write error: No space left on device\n"


def test_an_empty_check_list_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    result = etagcore_cmd("tag", "-c", str(empty))
    assert result.returncode == 1 and result.stderr == f"etagcore: {empty}: no properly formatted tag lines found\n".encode()


def test_manifest_output_writes_through_links_and_fifos(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.txt").write_bytes(b"a")
    target = tmp_path / "target.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert etagcore_cmd("manifest", str(site), "-o", str(link)).returncode == 0
    assert link.is_symlink() and '"a.txt"' in target.read_text()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert etagcore_cmd("manifest", str(site), "-o", str(fifo)).returncode == 0
    reader.join(timeout=30)
    assert stat_is_fifo(fifo) and b'"a.txt"' in got[0]


def stat_is_fifo(path):
    import stat

    return stat.S_ISFIFO(os.stat(path).st_mode)
