"""Build one of src_c's CPython extensions with gcc under AddressSanitizer and UBSan, and run a
Python driver against it in a child process: any memory error or undefined behaviour aborts it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

SRC_C = Path(__file__).resolve().parent.parent / "src_c"
TESTS = Path(__file__).resolve().parent
RESPONSE_SOURCES = ("response.c", "preconditions.c", "asgi_send.c")  # etagcore._response, as setup.py builds it


def _runtime(name: str) -> str | None:
    path = subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


def build(sources: str | tuple[str, ...], module: str, out: Path) -> Path:
    """``src_c/<source>`` (or several) compiled as the top-level module *module* in *out*; skips
    without gcc's sanitizers."""
    if shutil.which("gcc") is None or _runtime("libasan.so") is None or _runtime("libubsan.so") is None:
        pytest.skip("needs gcc with its AddressSanitizer and UBSan runtimes")
    subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-fno-omit-frame-pointer", f"-I{sysconfig.get_paths()['include']}",
                    *(str(SRC_C / source) for source in ((sources,) if isinstance(sources, str) else sources)),
                    "-o", str(out / f"{module}.so")], check=True)
    return out


def run(driver: str, built: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """*driver* (Python source) run with the sanitizer runtimes preloaded, *built* and tests/ on its path."""
    env = {**os.environ, "LD_PRELOAD": f"{_runtime('libasan.so')} {_runtime('libubsan.so')}",
           "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1", "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
           "PYTHONMALLOC": "malloc", "PYTHONPATH": os.pathsep.join([str(built), str(TESTS)])}
    return subprocess.run([sys.executable, "-c", driver, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def response_driver(cases: str, run: str, c_subject: str, python_subject: str) -> str:
    """A child's program (argv: seed, count) for a sanitized build of etagcore._response: bind
    it, then run ``<cases>.case`` cases through ``run(subject, case)`` for the C and the Python
    subject, exiting with the first difference. Subjects are expressions over ``_response``,
    ``_response_py``, ``conditional`` and ``evaluate`` (the build's evaluate_preconditions)."""
    return f"""
import random, sys
import _response
from etagcore import _response_py, conditional, response
from {cases} import case, {run} as run

response._bind(_response)
evaluate = conditional._bind(_response)
rng = random.Random(int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    given = case(rng)
    got, want = run({c_subject}, given), run({python_subject}, given)
    if got != want:
        sys.exit(f"differ on {{given!r}}: C {{got!r}}, Python {{want!r}}")
print("ok", i + 1)
"""
