import hashlib
import os
import subprocess
import sys

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
    assert b"tags files only" in result.stderr


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
