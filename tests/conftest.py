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


def _c_match():
    try:
        from etagcore._matcher import ffi, lib
    except ImportError:
        return None
    return lambda header, current, mode: lib.etagcore_match(
        header, len(header), ffi.NULL if current is None else current, 0 if current is None else len(current), mode
    )


BACKENDS = {"python": _match_py.match, "c": _c_match()}


@pytest.fixture(params=["c", "python"])
def backend(request, monkeypatch):
    """Swap the matcher behind etagcore.if_* for the duration of one test."""
    impl = BACKENDS[request.param]
    if impl is None:
        if REQUIRE_C:
            pytest.fail("ETAGCORE_REQUIRE_C=1 but the C matcher is not built")
        pytest.skip("C matcher not built")
    monkeypatch.setattr(match, "_match", impl)
    return request.param


@pytest.fixture(scope="session")
def raw_matchers():
    """Both raw matchers (bytes in, result codes out), for differential tests."""
    c = BACKENDS["c"]
    if c is None:
        if REQUIRE_C:
            pytest.fail("ETAGCORE_REQUIRE_C=1 but the C matcher is not built")
        pytest.skip("C matcher not built")
    return c, BACKENDS["python"]


@pytest.fixture(autouse=True)
def _fresh_digest_cache():
    digest_cache.clear()
    yield
