import gc
import pickle

import pytest

from etagcore import ETag, InvalidETagError
from etagcore import etag as etag_module


def test_strong_and_weak_header_text():
    assert str(ETag("abc")) == '"abc"'
    assert str(ETag("abc", weak=True)) == 'W/"abc"'
    assert str(ETag("")) == '""'


def test_fields():
    tag = ETag("x", weak=True)
    assert (tag.opaque, tag.weak) == ("x", True)


@pytest.mark.parametrize("text, opaque, weak", [
    ('"abc"', "abc", False),
    ('W/"abc"', "abc", True),
    ('""', "", False),
    ('  "a!#~"\t', "a!#~", False),
    ('"\x80\xff"', "\x80\xff", False),
    (b'W/"\xe9t\xe9"', "\xe9t\xe9", True),
    ('"a\\"', "a\\", False),  # no escapes in entity-tags: the backslash is an etagc
])
def test_parse_valid(text, opaque, weak):
    tag = ETag.parse(text)
    assert (tag.opaque, tag.weak) == (opaque, weak)


@pytest.mark.parametrize("text", [
    "abc", '"abc', 'abc"', 'w/"abc"', 'W /"abc"', '"a b"', '"a"b"', '"a\x7f"', '"a\x00"',
    '"a", "b"', "*", "", 'W/', '"\u0100"',
])
def test_parse_invalid(text):
    with pytest.raises(InvalidETagError):
        ETag.parse(text)


def test_parse_rejects_other_types():
    with pytest.raises(TypeError):
        ETag.parse(123)  # type: ignore[arg-type]


@pytest.mark.parametrize("opaque", ["a b", 'a"b', "\x7f", "\x1f", "\u0100", "tab\t"])
def test_constructor_validates_opaque(opaque):
    with pytest.raises(InvalidETagError, match="invalid character"):
        ETag(opaque)


def test_constructor_rejects_non_str():
    with pytest.raises(TypeError):
        ETag(b"abc")  # type: ignore[arg-type]


def test_every_etagc_byte_is_accepted_and_no_other():
    for code in range(256):
        ch = chr(code)
        valid = code == 0x21 or 0x23 <= code <= 0x7E or code >= 0x80
        if valid:
            assert ETag(ch).opaque == ch
        else:
            with pytest.raises(InvalidETagError):
                ETag(ch)


def test_equality_hash_and_comparisons():
    assert ETag("a") == ETag("a")
    assert ETag("a") != ETag("a", weak=True)
    assert len({ETag("a"), ETag("a"), ETag("a", True)}) == 2
    assert ETag("a").strong_equals(ETag("a"))
    assert not ETag("a", True).strong_equals(ETag("a", True))
    assert ETag("a", True).weak_equals(ETag("a"))
    assert not ETag("a").weak_equals(ETag("b"))
    assert ETag("a") != '"a"'


def test_immutable_and_picklable():
    tag = ETag("a", weak=True)
    with pytest.raises(AttributeError):
        tag.opaque = "b"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(tag)) == tag
    assert repr(tag) == "ETag('a', weak=True)"
    tag.header_bytes()
    with pytest.raises(AttributeError, match="immutable"):
        tag.__init__("b")  # type: ignore[misc]
    assert (repr(tag), str(tag), tag.header_bytes()) == ("ETag('a', weak=True)", 'W/"a"', b'W/"a"')


def test_a_tag_whose_init_never_ran_raises_instead_of_crashing():
    import etagcore

    class Forgetful(ETag):
        __slots__ = ()

        def __init__(self, *args: object) -> None:  # no super().__init__()
            pass

    for use in (lambda: Forgetful("a").header_bytes(), lambda: str(ETag.__new__(ETag)),
                lambda: etagcore.if_none_match('"a"', Forgetful("a")), lambda: etagcore.if_match('"a"', Forgetful("a"))):
        with pytest.raises(AttributeError):
            use()


@pytest.mark.parametrize("opaque", ["", "abc", "\x80\xff", "a" * 1000])
@pytest.mark.parametrize("weak", [False, True])
def test_trusted_builds_the_same_tag_as_the_constructor(opaque, weak):
    tag = ETag._trusted(opaque, weak)
    assert type(tag) is ETag
    assert tag == ETag(opaque, weak)
    assert (tag.opaque, tag.weak, str(tag)) == (opaque, weak, f'W/"{opaque}"' if weak else f'"{opaque}"')
    assert tag.header_bytes() == str(tag).encode("latin-1")
    with pytest.raises(AttributeError):
        tag.weak = not weak  # type: ignore[misc]


def test_tags_hold_no_cycles_and_are_left_to_reference_counting():
    # the C build untracks plain tags from the GC; subclasses that can hold anything stay tracked
    class Annotated(ETag):
        pass

    plain, annotated = ETag._trusted("a", False), Annotated._trusted("a", False)
    if etag_module._etag is not None:
        assert not gc.is_tracked(plain)
    object.__setattr__(annotated, "note", annotated)  # a cycle the collector must be able to see
    assert gc.is_tracked(annotated)


@pytest.mark.skipif(etag_module._etag is None, reason="C ETag not built")
def test_c_trusted_refuses_a_non_str_opaque_instead_of_crashing():
    with pytest.raises(TypeError):
        ETag._trusted(b"abc", False)  # type: ignore[arg-type]
