"""evaluate_preconditions in C (src_c/preconditions.c) answers exactly as the Python reference
(etagcore.conditional.python_evaluate_preconditions) on random, often hostile, requests: every
kind of headers object, odd methods, current tags of every type, malformed fields; and under
AddressSanitizer/UBSan it does so without a memory error."""

from __future__ import annotations

import inspect
import random

import pytest

import sanitized
from etagcore import ETag, conditional, evaluate_preconditions
from precondition_cases import case, outcome

C = pytest.importorskip("etagcore._response", reason="the C extension is not built")

DRIVER = sanitized.response_driver("precondition_cases", "outcome", "evaluate", "conditional.python_evaluate_preconditions")


@pytest.mark.skipif(conditional._c is None, reason="the Python backend is in use")
def test_the_c_function_is_the_one_in_use():
    assert evaluate_preconditions is conditional.evaluate_preconditions
    assert type(evaluate_preconditions).__name__ == "builtin_function_or_method"
    assert evaluate_preconditions.__module__ == "etagcore.conditional"
    assert str(inspect.signature(evaluate_preconditions)) == \
        "(method, headers, *, etag=None, last_modified=None, exists=True)"
    assert evaluate_preconditions.__doc__.startswith("304, 412, or None to go ahead")


@pytest.mark.parametrize("seed", range(4))
def test_c_and_python_agree(seed):
    rng = random.Random(seed)
    answers = set()
    for _ in range(4000):
        given = case(rng)
        got, want = outcome(evaluate_preconditions, given), outcome(conditional.python_evaluate_preconditions, given)
        assert got == want, given
        answers.add(got if not isinstance(got, tuple) else got[0])
    assert {None, 304, 412, "InvalidETagError", "TypeError"} <= answers  # every kind of answer was reached


def test_the_usual_revalidation_on_every_container():
    tag = ETag("a" * 40)
    for headers in ([(b"if-none-match", tag.header_bytes())], {"If-None-Match": str(tag)},
                    {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": str(tag)}):
        assert evaluate_preconditions("GET", headers, etag=tag) == 304
        assert evaluate_preconditions("HEAD", headers, etag=str(tag)) == 304
        assert evaluate_preconditions("POST", headers, etag=tag) == 412
        assert evaluate_preconditions("OPTIONS", headers, etag=tag) is None
        assert evaluate_preconditions("GET", headers, etag=tag, exists=False) is None
        assert evaluate_preconditions("GET", headers, etag=ETag("b")) is None


@pytest.mark.parametrize("evaluate", [evaluate_preconditions, conditional.python_evaluate_preconditions])
def test_arguments_are_checked(evaluate):
    with pytest.raises(TypeError, match="positional argument"):
        evaluate("GET")
    with pytest.raises(TypeError, match="positional arguments but 3 were given"):
        evaluate("GET", [], None)
    with pytest.raises(TypeError, match="unexpected keyword argument 'etg'"):
        evaluate("GET", [], etg=None)


def test_c_is_memory_safe_and_agrees_with_python(sanitized_response):
    result = sanitized.run(DRIVER, sanitized_response, "11", "6000")
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-2000:]
    assert result.stdout.strip() == "ok 6000"


@pytest.mark.parametrize("evaluate", [evaluate_preconditions, conditional.python_evaluate_preconditions])
def test_method_and_headers_may_be_given_by_name(evaluate):
    tag = ETag("a")
    assert evaluate("GET", headers=[(b"if-none-match", b'"a"')], etag=tag) == 304
    assert evaluate(method="GET", headers=[]) is None
    built = {"".join(["e", "tag"]): tag, "".join(["exi", "sts"]): False}  # names not interned, as **kwargs may be
    assert evaluate("GET", [(b"if-none-match", b'"a"')], **built) is None
    assert evaluate("GET", [(b"if-none-match", b'"a"')], **{"".join(["e", "tag"]): tag}) == 304
    with pytest.raises(TypeError, match="multiple values"):
        evaluate("GET", [], method="GET")


@pytest.mark.parametrize("field", ["HTTP_IF_MATCH", "If-Match"])
def test_a_lookup_that_changes_the_headers_reads_no_freed_value(field):
    """A key whose __eq__ runs during a later lookup and drops an earlier field's value: the
    value found first is still read, never freed memory (was an abort)."""

    def headers_with_a_hostile_key() -> dict:
        class Hostile:
            def __hash__(self) -> int:
                return hash(field.replace("MATCH", "NONE_MATCH").replace("If-Match", "If-None-Match"))

            def __eq__(self, other: object) -> bool:
                found.pop(field, None)
                return False

        found: dict = {"REQUEST_METHOD": "GET"} if field.startswith("HTTP_") else {}
        found[field] = bytearray(b'"' + b"q" * 100_000 + b'"')
        found[Hostile()] = "x"
        return found

    for evaluate in (evaluate_preconditions, conditional.python_evaluate_preconditions):
        headers = headers_with_a_hostile_key()
        if not field.startswith("HTTP_"):
            class Tornado:
                _as_list = headers
            headers = Tornado()
        assert evaluate("GET", headers, etag=ETag("a")) == 412
