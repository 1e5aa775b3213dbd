"""The ASGI send of the conditional-response core in C (src_c/asgi_send.c) does exactly what its
pure-Python twin (AsgiResponse in etagcore/_response_py.py) does on random, often hostile, message
sequences; and under AddressSanitizer/UBSan it does so without a memory error."""

from __future__ import annotations

import asyncio
import random

import pytest

import sanitized
from asgi_cases import case, trace
from etagcore import _response_py, response

C = pytest.importorskip("etagcore._response", reason="the C extension is not built")

DRIVER = r"""
import random, sys
import _response
from etagcore import _response_py, conditional, response
from asgi_cases import case, trace

response._bind(_response)
conditional._bind(_response)
rng = random.Random(int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    given = case(rng)
    got, want = trace(_response.AsgiResponse, given), trace(_response_py.AsgiResponse, given)
    if got != want:
        sys.exit(f"differ on {given!r}: C {got!r}, Python {want!r}")
print("ok", i + 1)
"""


@pytest.mark.skipif(response._core is _response_py, reason="the Python backend is in use")
def test_the_c_send_is_the_one_in_use():
    assert response.AsgiResponse.__mro__[2] is C.AsgiResponse


@pytest.mark.parametrize("seed", range(4))
def test_c_and_python_sends_agree(seed):
    rng = random.Random(seed)
    kinds = set()
    for _ in range(4000):
        given = case(rng)
        got, want = trace(C.AsgiResponse, given), trace(_response_py.AsgiResponse, given)
        assert got == want, given
        kinds.update(step if isinstance(step, str) else step[0] for step in got[::2])  # answers, not states
    assert {"ready", "awaitable", "KeyError", "TypeError"} <= kinds  # every kind of answer was reached


def test_ready_is_awaited_as_done():
    async def twice() -> list:
        return [await C.READY, await C.READY, await _response_py.READY]

    assert asyncio.run(twice()) == [None, None, None]


@pytest.fixture(scope="module")
def sanitized_module(tmp_path_factory):
    return sanitized.build(sanitized.RESPONSE_SOURCES, "_response", tmp_path_factory.mktemp("asan"))


def test_c_send_is_memory_safe_and_agrees_with_python(sanitized_module):
    result = sanitized.run(DRIVER, sanitized_module, "5", "4000")
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-2000:]
    assert result.stdout.strip() == "ok 4000"
