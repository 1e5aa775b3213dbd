"""The matcher's speed targets as interleaved side-by-side ratios against Tornado's
check_etag_header logic (the same header and current tag): issue 3's (one tag >= 5x, 100 tags
>= 20x, str header + ETag) and issue 13's (one tag >= 8x and 100 tags >= 25x, for a str header
with an ETag or a str current, and a bytes header with an ETag).
Run: pytest bench/test_targets_match.py -s"""

import pytest

import etagcore
from paired import paired_ratio
from test_bench_match import CURRENT, HEADERS, tornado_check

TARGETS = {"1 tag": 8.0, "100 tags": 25.0}
FORMS = {  # (header as given, current as given)
    "str header, ETag": (lambda h: h, CURRENT),
    "str header, str current": (lambda h: h, str(CURRENT)),
    "bytes header, ETag": (lambda h: h.encode("latin-1"), CURRENT),
}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("case, target", TARGETS.items())
def test_c_matcher_against_tornado(case, target, form, record_property):
    if etagcore.matcher_backend() != "c":
        pytest.skip("C matcher not built")
    as_given, current = FORMS[form]
    header = as_given(HEADERS[case])
    subject, baseline = (lambda: etagcore.if_none_match(header, current)), tornado_check(HEADERS[case])
    assert subject() == baseline()
    result = paired_ratio(subject, baseline)
    record_property("ratio", result["ratio"])
    print(f"\n{case}, {form}: etagcore-c {result['subject'] * 1e9:,.0f} ns, tornado {result['baseline'] * 1e9:,.0f} ns, "
          f"ratio {result['ratio']:.1f}x (target {target}x)")
    assert result["ratio"] >= target
