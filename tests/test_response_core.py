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

DRIVER = sanitized.response_driver("response_cases", "trace", "_response.ResponseCore", "_response_py.ResponseCore")


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


def test_c_core_is_memory_safe_and_agrees_with_python(sanitized_response):
    result = sanitized.run(DRIVER, sanitized_response, "7", "6000")
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-2000:]
    assert result.stdout.startswith("ok 6000")


def _response(core):
    return type("Response", (response._Branches, core), {"__slots__": ()})


@pytest.mark.parametrize("core", [C.ResponseCore, _response_py.ResponseCore], ids=["C", "Python"])
def test_misuse_and_python_callbacks_never_crash_the_core(core):
    """Each case ends in a Reply or a Python exception; in C, a memory error would end the process."""
    from etagcore import get_strategy

    cls = _response(core)
    policy = response.Policy(get_strategy("sha1"), 1 << 20)
    misuse = pytest.raises((RuntimeError, AttributeError, TypeError))
    with misuse:
        cls.__new__(cls).finish()  # never initialised
    started = cls(policy, "GET", [])
    started.start(200, [])
    started.feed(b"x")
    del started.status
    try:
        assert started.finish().status is None  # C reads the missing status as None
    except AttributeError:
        assert core is _response_py.ResponseCore  # the twin's slot is simply unset
    early = cls(policy, "GET", [])
    early.headers = []  # finish() without start()
    assert early.finish().headers == [("ETag", str(get_strategy("sha1").tag(b""))), ("Content-Length", "0")]

    class Reinit:  # a strategy whose tag() re-initialises the response it tags
        target = None

        def tag(self, body):
            self.target.__init__(policy, "GET", [])
            return get_strategy("sha1").tag(body)

    strategy = Reinit()
    victim = cls(response.Policy(strategy, 1 << 20), "GET", [])
    strategy.target = victim
    assert victim.whole(200, [], b"body") == str(get_strategy("sha1").tag(b"body"))  # the body it started with
    victim = cls(response.Policy(strategy, 1 << 20), "GET", [])
    strategy.target = victim
    victim.start(200, [])
    victim.feed(b"body")
    assert victim.finish().status == 200  # the status it started with


@pytest.mark.parametrize("core", [C.ResponseCore, _response_py.ResponseCore], ids=["C", "Python"])
def test_a_subclass_answers_failed_preconditions(core):
    from etagcore import get_strategy

    class Mine(_response(core)):
        __slots__ = ()

        def _failed(self, outcome):
            return ("mine", outcome)

    policy = response.Policy(get_strategy("sha1"), 1 << 20)
    tag = get_strategy("sha1").tag(b"body")
    assert Mine(policy, "GET", [(b"if-none-match", b"*")]).whole(200, [], b"body") == ("mine", 304)
    assert Mine(policy, "GET", [(b"if-match", b'"x"')]).whole(200, [], b"body") == ("mine", 412)
    assert Mine(policy, "GET", [(b"if-none-match", tag.header_bytes())]).whole(200, [], b"body") == ("mine", 304)


@pytest.mark.parametrize("max_body", [-1, 1.5, float("inf"), True, "8"])
def test_a_policy_needs_a_byte_count(max_body):
    from etagcore import ConfigError, get_strategy

    with pytest.raises(ConfigError, match="max_body"):
        response.Policy(get_strategy("sha1"), max_body)


class _LowerByAttributeHook(str):
    def __getattribute__(self, name):
        return (lambda: "vary") if name == "lower" else str.__getattribute__(self, name)


class _PlainSubclass(str):
    pass


def _lowered_by_instance(text):
    name = _PlainSubclass(text)
    name.lower = lambda: "vary"
    return name


@pytest.mark.parametrize("make_name", [_LowerByAttributeHook, _lowered_by_instance, _PlainSubclass, str],
                         ids=["hook", "instance", "plain", "str"])
@pytest.mark.parametrize("request_headers", [{"If-None-Match": '"a"'}, {"If-Match": '"b"'}])
def test_304_and_412_fields_as_the_names_themselves_lower(make_name, request_headers):
    """A str subclass whose lower() comes from an attribute hook or from the instance is asked,
    as the Python twin asks it; istr-like subclasses take the C comparison: both alike."""
    from etagcore import get_strategy
    policy = response.Policy(get_strategy("sha1"), 1 << 20)
    headers = [(make_name("X-Thing"), "1"), ("Cache-Control", "max-age=1"), ("ETag", '"a"')]
    replies = [_response(core)(policy, "GET", request_headers).whole(200, headers, b"body")
               for core in (C.ResponseCore, _response_py.ResponseCore)]
    assert [(r.status, [(str(n), v) for n, v in r.headers]) for r in replies][0] == \
        [(r.status, [(str(n), v) for n, v in r.headers]) for r in replies][1]


@pytest.mark.parametrize("core", [C.ResponseCore, _response_py.ResponseCore], ids=["C", "Python"])
def test_a_chunk_must_be_bytes_like(core):
    from etagcore import get_strategy
    conditional = _response(core)(response.Policy(get_strategy("sha1"), 1 << 20), "GET", [])
    with pytest.raises(TypeError):
        conditional.whole(200, [], [104, 105])
