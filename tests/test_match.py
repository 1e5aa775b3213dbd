"""The matcher: RFC 9110 tables (both backends), Tornado mode against real Tornado, and
differential runs proving the C and Python backends agree with each other and with the
strict `etag` package."""

import ctypes
import random
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import etag as etag_oracle
import pytest
import tornado.web
from hypothesis import given, settings
from hypothesis import strategies as st
from tornado.httputil import HTTPHeaders

from etagcore import ETag, InvalidETagError, if_match, if_none_match, if_range
from etagcore import _match_py

A = '"a"'
SRC_C = Path(__file__).resolve().parent.parent / "src_c"

# (If-None-Match header, current tag, condition). False means 304.
IF_NONE_MATCH = [
    ('"a"', A, False),
    ('W/"a"', A, False),                       # weak comparison ignores W/
    ('"a"', 'W/"a"', False),
    ('W/"a"', 'W/"a"', False),
    ('"b"', A, True),
    ('"b", "a"', A, False),
    ('"b",W/"a"', A, False),
    ('\t"b" ,\t "a" ', A, False),
    ('"a",,, ,"b"', A, False),                 # empty elements are ignored
    (', ,"a",', A, False),
    ('*', A, False),
    (' * ', A, False),
    (', *,', A, False),
    ('*', None, True),                         # no current representation
    ('"a"', None, True),
    ('*, "a"', A, True),                       # "*" must stand alone: malformed -> full response
    ('"a", *', A, True),
    ('**', A, True),
    ('"a" "b"', A, True),                      # missing comma: malformed even though "a" matches
    ('"a""a"', A, True),
    ('w/"a"', A, True),                        # W/ is case-sensitive
    ('W/ "a"', A, True),
    ('W/W/"a"', A, True),
    ('"a', A, True),                           # unterminated
    ('a', A, True),
    ('"a"x', A, True),
    ('"a b"', '"a"', True),                    # SP is not etagc
    ('""', '""', False),                       # the empty tag is valid
    ('""', A, True),
    ('"\xe9\xff"', '"\xe9\xff"', False),       # obs-text
    (b'"\xe9"', '"\xe9"', False),
    ('"a\x00"', A, True),                      # control bytes
    ('"a\x7f"', A, True),
    ('"a"\r\n', A, True),
    ('"\u0100"', A, True),                     # not Latin-1: cannot be a header, malformed
    ('', A, True),
    ('   ', A, True),
    (['"x"', '"a"'], A, False),                # repeated lines
    (['"x"', b'"a"'], A, False),
    (['"a', 'b"'], '"a,b"', True),             # lines are combined with ", ": no tag spans them
    ([], A, True),
    ('"a"', ETag("a"), False),
    ('"a"', ETag("a", weak=True), False),
]

# (If-Match header, current, condition). False means 412.
IF_MATCH = [
    ('"a"', A, True),
    ('"b", "a"', A, True),
    ('W/"a"', A, False),                       # strong comparison
    ('"a"', 'W/"a"', False),
    ('W/"a"', 'W/"a"', False),
    ('*', A, True),
    ('*', 'W/"a"', True),
    ('*', None, False),
    ('"a"', None, False),
    ('"a", junk', A, False),                   # malformed -> 412, even with a match
    ('*, "a"', A, False),
    ('', A, False),
    ('"b"', A, False),
    (['"b"', '"a"'], A, True),
]

IF_RANGE = [
    ('"a"', A, True),
    (' "a"\t', A, True),
    ('W/"a"', A, False),
    ('"a"', 'W/"a"', False),
    ('"b"', A, False),
    ('"a", "a"', A, False),                    # one tag only
    ('"a",', A, False),
    ('*', A, False),
    ('Sun, 06 Nov 1994 08:49:37 GMT', A, False),
    ('', A, False),
    ('"a"', None, False),
]


@pytest.mark.parametrize("header, current, expected", IF_NONE_MATCH)
def test_if_none_match(backend, header, current, expected):
    assert if_none_match(header, current) is expected


@pytest.mark.parametrize("header, current, expected", IF_MATCH)
def test_if_match(backend, header, current, expected):
    assert if_match(header, current) is expected


@pytest.mark.parametrize("header, current, expected", IF_RANGE)
def test_if_range(backend, header, current, expected):
    assert if_range(header, current) is expected


def test_absent_headers_hold(backend):
    for absent in (None, [], ()):  # no field lines is no field
        assert if_none_match(absent, A) and if_match(absent, A) and if_range(absent, A)
        assert if_none_match(absent, A, mode="tornado")
    assert if_match("", A) is False  # a field present with no tag in it is not absent


@pytest.mark.parametrize("current", ["a", '"a', 'w/"a"', '"a" ', '"\u0100"', '"a"\0', '"a\0"'])
def test_invalid_current_tag_is_a_programming_error(backend, current):
    with pytest.raises(InvalidETagError):
        if_none_match('"a"', current)


def test_bad_argument_types(backend):
    with pytest.raises(TypeError):
        if_none_match(42, A)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        if_match('"a"', 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode must be 'rfc' or 'tornado'"):
        if_none_match('"a"', A, mode="apache")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode must be 'rfc' or 'tornado'"):
        if_none_match(None, A, mode="apache")  # type: ignore[arg-type]


def test_every_single_byte_header_is_answered(backend):
    for code in range(256):
        for header in (bytes([code]), b'"a' + bytes([code]) + b'"', b'"a",' + bytes([code])):
            assert isinstance(if_none_match(header, A), bool)
            assert isinstance(if_match(header, A), bool)
            assert isinstance(if_range(header, A), bool)


def test_huge_hostile_headers_are_answered(backend):
    hostile = [b'"' * (1 << 20), b"W/" * (1 << 19), b",\t" * (1 << 19), b'"a",' * (1 << 18),
               b'W/"' + b"a" * (1 << 20), b"*" * (1 << 20)]
    for header in hostile:
        assert if_none_match(header, A) in (True, False)
        assert if_none_match(header, A, mode="tornado") in (True, False)
    assert if_none_match(b'"x", ' * (1 << 18) + b'"a"', A) is False


# --- Tornado mode: the real tornado.web.RequestHandler.check_etag_header is the oracle.

def tornado_check(lines, current):
    request_headers = HTTPHeaders()
    for line in lines:
        request_headers.add("If-None-Match", line)
    response_headers = HTTPHeaders()
    if current is not None:
        response_headers["Etag"] = current
    handler = SimpleNamespace(_headers=response_headers, request=SimpleNamespace(headers=request_headers))
    return tornado.web.RequestHandler.check_etag_header(handler)


TORNADO_CASES = [
    (['"a"'], A), (['W/"a"'], A), (['"a"'], 'W/"a"'), (["*"], A), (['"b", *'], A), (['*, "b"'], A),
    (['xx"a"yy'], A), (['"a" "b"'], A), (['"a'], A), (['"a', 'b"'], '"a,b"'), (['"b"'], A), ([""], A),
    (['"a"'], None), (['"a"'], ""), (["w/\"a\""], A), (['W/"a'], A), (['W/"a" *'], A), (['"\xe9"'], '"\xe9"'),
    (['"a"'], "a"), (['a'], "a"), (["*"], "*"), (['"x" *'], "*"), (['W/W/"a"'], '"a"'), (['W/"*"'], '"*"'),
]


@pytest.mark.parametrize("lines, current", TORNADO_CASES)
def test_tornado_mode_is_tornado(backend, lines, current):
    expected = not tornado_check(lines, current)
    header = lines[0] if len(lines) == 1 else lines
    assert if_none_match(header, current, mode="tornado") is expected


TORNADO_ALPHABET = st.sampled_from(['"', '"', "W", "/", "*", ",", " ", "a", "b", "w", "\xe9", "\t"])


@given(lines=st.lists(st.text(TORNADO_ALPHABET, max_size=12), min_size=1, max_size=3),
       current=st.one_of(st.none(), st.sampled_from(['"a"', 'W/"a"', '"b"', '""', '"a,b"', "*", "a", '"\xe9"'])))
@settings(max_examples=3000, deadline=None)
def test_tornado_mode_agrees_with_tornado_on_generated_headers(lines, current):
    lines = [line.strip(" \t") for line in lines]  # as Tornado's header parser hands them over
    assert if_none_match(lines, current, mode="tornado") is (not tornado_check(lines, current))


# --- Differential: C against Python on raw bytes, every mode, and both against `etag`.

INTERESTING = [b'"', b'"', b'"', b"W", b"/", b"W/", b"*", b",", b" ", b"\t", b"a", b"b", b"w", b"\x00", b"\x7f",
               b"\x80", b"\xff", b"\r", b"\n", b"!", b"#", b"\\"]
CURRENTS = [None, b'"a"', b'W/"a"', b'"b"', b'""', b'"\xff"', b"a", b'"a', b"", b"*", b'W/"a" ', b'"a"\0junk']
MODES = [_match_py.WEAK_LIST, _match_py.STRONG_LIST, _match_py.STRONG_ONE, _match_py.TORNADO]


def generated_headers(count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        yield b"".join(rng.choice(INTERESTING) for _ in range(rng.randrange(0, 14)))


def test_c_and_python_agree_on_generated_headers(raw_matchers):
    c_match, py_match = raw_matchers
    checked = 0
    for header in generated_headers(40_000, seed=9110):
        for mode in MODES:
            for flag in (0, _match_py.ABSENT):
                current = CURRENTS[checked % len(CURRENTS)]
                assert c_match(header, current, mode | flag) == py_match(header, current, mode | flag), (header, current, mode)
                checked += 1
    assert checked == 40_000 * 8


@given(header=st.binary(max_size=40), current=st.sampled_from(CURRENTS), mode=st.sampled_from(MODES),
       absent=st.booleans())
@settings(max_examples=5000, deadline=None)
def test_c_and_python_agree_on_arbitrary_bytes(raw_matchers, header, current, mode, absent):
    c_match, py_match = raw_matchers
    flags = mode | (_match_py.ABSENT if absent else 0)
    assert c_match(header, current, flags) == py_match(header, current, flags)


def long_tag_lists(count, seed):
    """Lists of long tags (the C scanner reads 16 bytes a step) with, now and then, one byte at
    a random place that ends or breaks a tag: every offset within and across a step."""
    rng = random.Random(seed)
    boundary = b"\x00\x09\x20\x21\x22\x23\x2c\x7e\x7f\x80\xff"
    for _ in range(count):
        tags = []
        for _ in range(rng.randrange(1, 5)):
            opaque = bytearray(rng.choice(b"0123456789abcdef") for _ in range(rng.randrange(0, 70)))
            if opaque and rng.random() < 0.5:
                opaque[rng.randrange(len(opaque))] = rng.choice(boundary)
            tags.append(rng.choice((b"", b"W/")) + b'"' + bytes(opaque) + b'"')
        header = b", ".join(tags)
        yield header, tags[rng.randrange(len(tags))]


@pytest.fixture(scope="module")
def portable_matcher(tmp_path_factory):
    """src_c/matcher.c built without its SSE2 scanner (the branch other CPUs compile), as a raw
    matcher called through ctypes."""
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc")
    library = tmp_path_factory.mktemp("portable") / "matcher.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-DETAGCORE_PORTABLE", str(SRC_C / "matcher.c"), "-o",
                    str(library)], check=True)
    match = ctypes.CDLL(str(library)).etagcore_match
    match.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_int]
    return lambda h, c, mode: match(h, len(h), c, mode)


@pytest.mark.parametrize("scanner", ["c", "c without SSE2"])
def test_c_and_python_agree_on_long_tags(raw_matchers, scanner, request):
    c_match, py_match = raw_matchers
    if scanner == "c without SSE2":
        c_match = request.getfixturevalue("portable_matcher")
    results = set()
    for header, listed in long_tag_lists(20_000, seed=16):
        for current in (listed.split(b"\0")[0], b'"' + b"0" * 40 + b'"'):  # a current ends at NUL
            for mode in MODES:
                result = c_match(header, current, mode)
                assert result == py_match(header, current, mode), (header, current, mode)
                results.add(result)
    assert results == {_match_py.MATCH, _match_py.NO_MATCH, _match_py.MALFORMED_HEADER, _match_py.MALFORMED_CURRENT}


def test_bad_mode_is_reported_by_both(raw_matchers):
    c_match, py_match = raw_matchers
    assert c_match(b"", b'"a"', 7) == py_match(b"", b'"a"', 7) == _match_py.BAD_MODE


def test_tornado_mode_refuses_a_current_tag_with_nul(backend):
    with pytest.raises(InvalidETagError):
        if_none_match('"a"', '"a\0"', mode="tornado")


def test_constants_match_the_c_header():
    from etagcore import _matcher

    lib = _matcher.lib
    assert (lib.ETAGCORE_WEAK_LIST, lib.ETAGCORE_STRONG_LIST, lib.ETAGCORE_STRONG_ONE, lib.ETAGCORE_TORNADO,
            lib.ETAGCORE_ABSENT) == (_match_py.WEAK_LIST, _match_py.STRONG_LIST, _match_py.STRONG_ONE,
                                     _match_py.TORNADO, _match_py.ABSENT)
    assert (lib.ETAGCORE_NO_MATCH, lib.ETAGCORE_MATCH, lib.ETAGCORE_MALFORMED_HEADER, lib.ETAGCORE_MALFORMED_CURRENT,
            lib.ETAGCORE_BAD_MODE) == (_match_py.NO_MATCH, _match_py.MATCH, _match_py.MALFORMED_HEADER,
                                       _match_py.MALFORMED_CURRENT, _match_py.BAD_MODE)


def test_rfc_modes_agree_with_the_strict_etag_package(backend):
    checked = 0
    for raw in generated_headers(20_000, seed=7232):
        header = raw.decode("latin-1")
        for current in ('"a"', 'W/"a"', '""', None):
            assert if_none_match(header, current) is etag_oracle.if_none_match(header, current), (header, current)
            assert if_match(header, current) is etag_oracle.if_match(header, current), (header, current)
            assert if_range(header, current) is etag_oracle.if_range(header, current), (header, current)
            checked += 1
    assert checked == 80_000


def test_a_header_identical_to_a_weak_current_tag_fails_strong_comparison():
    # evaluate() answers a header identical to the current ETag without the C call: only where
    # that is the matcher's answer too (weak comparison, or a strong tag).
    from etagcore.match import evaluate

    weak, strong = ETag.parse('W/"v1"'), ETag.parse('"v1"')
    for header in ('W/"v1"', b'W/"v1"', ['W/"v1"']):
        assert evaluate(header, weak, _match_py.WEAK_LIST) == _match_py.MATCH
        assert evaluate(header, weak, _match_py.STRONG_LIST) != _match_py.MATCH
        assert evaluate(header, weak, _match_py.STRONG_ONE) != _match_py.MATCH
    for header in ('"v1"', b'"v1"'):
        for mode in (_match_py.WEAK_LIST, _match_py.STRONG_LIST, _match_py.STRONG_ONE):
            assert evaluate(header, strong, mode) == _match_py.MATCH
    assert if_none_match('W/"v1"', weak) is False and if_match('W/"v1"', weak) is False


def test_str_currents_take_the_short_path_only_when_well_formed():
    from etagcore.match import _checked_current

    assert if_none_match('"v1"', '"v1"') is False and if_none_match(b'"v1"', '"v1"') is False
    assert if_none_match('W/"v1"', 'W/"v1"') is False and if_match('W/"v1"', 'W/"v1"') is False  # strong: no
    assert if_match('"v1"', '"v1"') is True
    assert _checked_current('"v1"') == b'"v1"' and _checked_current("v1") is None
    assert _checked_current('"a", "b"') is None and _checked_current('"\u00e9"') is None
    for malformed in ("v1", '"a", "b"', ' "v1"'):
        with pytest.raises(InvalidETagError):  # identical header or not, a malformed current is an error
            if_none_match(malformed, malformed)
