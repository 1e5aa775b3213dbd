"""The C build and the backend switch."""

import os
import subprocess
import sys

import pytest

import etagcore
from conftest import REQUIRE_C


@pytest.mark.skipif(not REQUIRE_C, reason="only meaningful where the C build is required")
def test_c_backend_is_in_use_when_required():
    assert etagcore.matcher_backend() == "c"


def backend_in_subprocess(value):
    env = {**os.environ, "ETAGCORE_BACKEND": value}
    return subprocess.run([sys.executable, "-c", "import etagcore; print(etagcore.matcher_backend())"],
                          capture_output=True, text=True, env=env, timeout=60)


def test_python_backend_can_be_forced():
    result = backend_in_subprocess("python")
    assert result.returncode == 0 and result.stdout.strip() == "python"


def test_bad_backend_value_is_a_clear_error():
    result = backend_in_subprocess("fortran")
    assert result.returncode != 0
    assert "ETAGCORE_BACKEND='fortran' is invalid; allowed: auto, c, python" in result.stderr


def test_c_backend_forced(request):
    result = backend_in_subprocess("c")
    if etagcore.matcher_backend() == "c":
        assert result.stdout.strip() == "c"
    else:
        assert "ETAGCORE_BACKEND=c but the C extension" in result.stderr
