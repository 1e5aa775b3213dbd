"""The C hot path of the conditional-response core (src_c/response.c) answers exactly as its
pure-Python twin (etagcore/_response_py.py) on random, often hostile, responses; and under
AddressSanitizer/UBSan it does so without a memory error."""

from __future__ import annotations

import random

import pytest

import sanitized
from etagcore import _response_py, response
from response_cases import case, trace

C = pytest.importorskip("etagcore._response", reason="the C extension is not built")

DRIVER = r"""
import random, sys
import _response
from etagcore import _response_py, response
from response_cases import case, trace

response._bind(_response)
rng = random.Random(int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    given = case(rng)
    got, want = trace(_response.ResponseCore, given), trace(_response_py.ResponseCore, given)
    if got != want:
        sys.exit(f"differ on {given!r}: C {got!r}, Python {want!r}")
print("ok", i + 1)
"""


def test_the_c_core_is_the_one_in_use():
    assert response.ConditionalResponse.__mro__[2] is C.ResponseCore


@pytest.mark.parametrize("seed", range(4))
def test_c_and_python_cores_agree(seed):
    rng = random.Random(seed)
    kinds = set()
    for _ in range(5000):
        given = case(rng)
        got, want = trace(C.ResponseCore, given), trace(_response_py.ResponseCore, given)
        assert got == want, given
        kinds.add(got[0] if isinstance(got[0], str) else got[0][0] if isinstance(got[0], tuple) else "?")
        if isinstance(got[0], tuple) and len(got) > 2:
            kinds.add(("finish", got[-2][0] if isinstance(got[-2], tuple) else got[-2]))
    # the cases reach every answer: pass, buffer, an own tag's Reply, errors, a finished reply
    assert {"pass", "buffer", "Reply"} <= kinds


@pytest.fixture(scope="module")
def sanitized_module(tmp_path_factory):
    return sanitized.build("response.c", "_response", tmp_path_factory.mktemp("asan"))


def test_c_core_is_memory_safe_and_agrees_with_python(sanitized_module):
    result = sanitized.run(DRIVER, sanitized_module, "7", "6000")
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-2000:]
    assert result.stdout.startswith("ok 6000")
