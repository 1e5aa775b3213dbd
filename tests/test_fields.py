"""pick(): the C field reader and its Python reference give the same answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etagcore import _fields_py

try:
    from etagcore import _fields as _fields_c
except ImportError:
    _fields_c = None

from conftest import REQUIRE_C

NAMES = (b"if-match", b"if-none-match", b"etag")


@pytest.fixture(params=["c", "python"])
def pick(request):
    if request.param == "python":
        return _fields_py.pick
    if _fields_c is None:
        if REQUIRE_C:
            pytest.fail("ETAGCORE_REQUIRE_C=1 but etagcore._fields is not built")
        pytest.skip("C field reader not built")
    return _fields_c.pick


def test_absent_fields_give_none(pick):
    assert pick([(b"host", b"x"), (b"accept", b"*/*")], NAMES) is None
    assert pick({}, NAMES) is None
    assert pick((), NAMES) is None


def test_names_compare_case_insensitively_in_every_container(pick):
    assert pick([(b"If-None-Match", b'"a"')], NAMES) == [None, b'"a"', None]
    assert pick([("ETAG", '"b"')], NAMES) == [None, None, '"b"']
    assert pick({"if-match": "*", "Host": "x"}, NAMES) == ["*", None, None]
    assert pick(((b"etag", 1),), NAMES) == [None, None, 1]


def test_repeated_fields_become_lists_in_order(pick):
    pairs = [(b"if-none-match", b'"a"'), (b"x", b"y"), (b"If-None-Match", b'"b"'), (b"IF-NONE-MATCH", b'"c"')]
    assert pick(pairs, NAMES) == [None, [b'"a"', b'"b"', b'"c"'], None]
    assert pick({"If-Match": ["1", "2"], "if-match": "3"}, NAMES) == [["1", "2", "3"], None, None]


def test_a_repeated_field_can_be_marked_instead(pick):
    marker = object()
    pairs = [(b"etag", b'"a"'), (b"content-type", b"x"), (b"ETag", b'"b"'), (b"etag", b'"c"')]
    assert pick(pairs, NAMES, marker) == [None, None, marker]
    assert pick(pairs, (b"content-type",), marker) == [b"x"]
    assert pick(pairs, NAMES, None) == [None, None, [b'"a"', b'"b"', b'"c"']]


def test_many_repeated_lines_take_linear_time(pick):
    lines = [(b"if-none-match", b'"%d"' % i) for i in range(60_000)]
    found = pick(lines, NAMES)  # quadratic copying took seconds here
    assert len(found[1]) == 60_000 and found[1][-1] == b'"59999"'
    mixed = {"If-Match": ["1", "2"], "if-match": "3", "IF-MATCH": "4"}
    assert pick(mixed, NAMES) == [["1", "2", "3", "4"], None, None] and mixed["If-Match"] == ["1", "2"]


def test_near_names_and_non_ascii_do_not_match(pick):
    assert pick([(b"if-none-matcH ", b"x"), (b"if_none_match", b"x"), ("if-nöne-match", "x"),
                 (b"if-none-matc\xc8", b"x")], NAMES) is None


class Headers(dict):
    pass


@pytest.mark.parametrize("bad", [[(1, b"x")], [(b"a",)], [b"ab"], [(b"a", b"b", b"c")], "x", None, [(bytearray(b"etag"), b"")],
                                 Headers(etag="x")])
def test_malformed_headers_raise_type_error(pick, bad):
    with pytest.raises(TypeError):
        pick(bad, NAMES)


_name = st.one_of(st.sampled_from([b"etag", b"ETag", b"if-match", b"If-Match", b"IF-NONE-MATCH", b"host", b"etagx"]),
                  st.binary(max_size=14), st.text(max_size=14),
                  st.sampled_from(["etag", "If-None-Match", "if-match", "ETAG", "étag"]))
_value = st.one_of(st.binary(max_size=5), st.text(max_size=5), st.lists(st.text(max_size=3), max_size=2))


@given(st.lists(st.tuples(_name, _value), max_size=12), st.booleans(), st.sampled_from([None, "repeated"]))
def test_c_and_python_agree(pairs, as_dict, repeated):
    if _fields_c is None:
        pytest.skip("C field reader not built")
    headers = dict(pairs) if as_dict else pairs
    assert _fields_c.pick(headers, NAMES, repeated) == _fields_py.pick(headers, NAMES, repeated)


@pytest.mark.parametrize("length", [62, 63, 64, 65, 200])
def test_names_of_any_length(pick, length):
    name = b"x-" + b"a" * (length - 2)
    headers = [(name.upper(), b"1"), (b"x-" + b"b" * (length - 2), b"2"), (b"etag", b"3")]
    assert pick(headers, (name, b"etag")) == [b"1", b"3"]
    assert pick(headers, (b"x-" + b"c" * (length - 2),)) is None
