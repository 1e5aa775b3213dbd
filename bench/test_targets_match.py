"""The matcher's speed targets (issue 3), as interleaved side-by-side ratios:
the C backend at least 5x faster than Tornado's check_etag_header on a one-tag header and
at least 20x on 100 tags. Run: pytest bench/test_targets_match.py -s"""

import pytest

import etagcore
from paired import paired_ratio
from test_bench_match import HEADERS, etagcore_check, tornado_check

TARGETS = {"1 tag": 5.0, "100 tags": 20.0}


@pytest.mark.parametrize("case, target", TARGETS.items())
def test_c_matcher_against_tornado(case, target, record_property):
    if etagcore.matcher_backend() != "c":
        pytest.skip("C matcher not built")
    subject, baseline = etagcore_check(HEADERS[case]), tornado_check(HEADERS[case])
    assert subject() == baseline()
    result = paired_ratio(subject, baseline)
    record_property("ratio", result["ratio"])
    print(f"\n{case}: etagcore-c {result['subject'] * 1e9:,.0f} ns, tornado {result['baseline'] * 1e9:,.0f} ns, "
          f"ratio {result['ratio']:.1f}x (target {target}x)")
    assert result["ratio"] >= target
