"""The C build and the backend switch."""

import os
import shutil
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


SOURCE_TREE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pip_install_without_compiler(tmp_path, require_c):
    source = tmp_path / "source"  # a copy without any extension built in place by a developer
    shutil.copytree(SOURCE_TREE, source, ignore=shutil.ignore_patterns("*.so", ".venv", "build", "*.egg-info", ".git"))
    env = {**os.environ, "CC": "false", "ETAGCORE_REQUIRE_C": "1" if require_c else "0"}
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(tmp_path / "site"), str(source)],
        capture_output=True, text=True, env=env, timeout=600,
    )


@pytest.mark.skipif(not os.path.exists(os.path.join(SOURCE_TREE, "setup.py")), reason="needs the source tree")
def test_install_without_a_compiler_falls_back_to_python(tmp_path):
    result = pip_install_without_compiler(tmp_path, require_c=False)
    assert result.returncode == 0, result.stderr
    probe = subprocess.run([sys.executable, "-c", "import etagcore; print(etagcore.__file__, etagcore.matcher_backend())"],
                           capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": str(tmp_path / "site"), "ETAGCORE_BACKEND": "auto"})
    path, backend = probe.stdout.split()
    assert path.startswith(str(tmp_path)) and backend == "python"


@pytest.mark.skipif(not os.path.exists(os.path.join(SOURCE_TREE, "setup.py")), reason="needs the source tree")
def test_install_without_a_compiler_fails_when_c_is_required(tmp_path):
    result = pip_install_without_compiler(tmp_path, require_c=True)
    assert result.returncode != 0
    assert not (tmp_path / "site" / "etagcore").exists()


def test_pure_python_fallbacks_pass_the_core_tests():
    # CI builds C, so the fallbacks (ETag storage, tag(), chunk gathering) are run here in a child
    tests = os.path.dirname(os.path.abspath(__file__))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "test_etag.py", "test_strategies.py", "test_feed.py"],
        cwd=tests, capture_output=True, text=True, env={**os.environ, "ETAGCORE_BACKEND": "python", "ETAGCORE_REQUIRE_C": "0"}, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
