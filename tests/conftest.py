"""Shared fixtures: run matcher checks on both backends (markupsafe-style)."""

from __future__ import annotations

import os

import pytest

from etagcore import _match_py, match
from etagcore.files import digest_cache

REQUIRE_C = os.environ.get("ETAGCORE_REQUIRE_C", "") not in ("", "0")

# Child Pythons started by tests must import the installed etagcore, not the source tree that
# `python -c` would find in the current directory.
os.environ["PYTHONSAFEPATH"] = "1"


try:
    from etagcore._matcher import ffi, lib
except ImportError:
    ffi = lib = None

# The matcher behind etagcore.if_*, as match.py installs it: (function, what stands for NULL).
BACKENDS = {"python": (_match_py.match, None), "c": (lib.etagcore_match, ffi.NULL) if lib else None}


def _raw(impl, null):
    """(header bytes, current bytes or None, mode) -> result code."""
    return lambda h, c, mode: impl(h, len(h), null if c is None else c, mode)


@pytest.fixture(params=["c", "python"])
def backend(request, monkeypatch):
    """Swap the matcher behind etagcore.if_* for the duration of one test."""
    chosen = BACKENDS[request.param]
    if chosen is None:
        if REQUIRE_C:
            pytest.fail("ETAGCORE_REQUIRE_C=1 but the C matcher is not built")
        pytest.skip("C matcher not built")
    monkeypatch.setattr(match, "_match", chosen[0])
    monkeypatch.setattr(match, "_NULL", chosen[1])
    return request.param


@pytest.fixture(scope="session")
def raw_matchers():
    """Both raw matchers (bytes in, result codes out), for differential tests."""
    if BACKENDS["c"] is None:
        if REQUIRE_C:
            pytest.fail("ETAGCORE_REQUIRE_C=1 but the C matcher is not built")
        pytest.skip("C matcher not built")
    return _raw(*BACKENDS["c"]), _raw(*BACKENDS["python"])


@pytest.fixture(autouse=True)
def _fresh_digest_cache():
    digest_cache.clear()
    yield


@pytest.fixture(scope="session")
def sanitized_response(tmp_path_factory):
    """etagcore._response built once under ASan/UBSan (tests/sanitized.py), for the child runs."""
    import sanitized

    return sanitized.build(sanitized.RESPONSE_SOURCES, "_response", tmp_path_factory.mktemp("asan"))
