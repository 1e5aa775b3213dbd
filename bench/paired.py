"""Side-by-side ratios on a noisy machine: alternate the two callables round by round and take
the median of the per-round ratios, so that load from elsewhere hits both alike."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def per_call(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calibrate(fn: Callable[[], object], target: float = 0.005) -> int:
    """How many calls take about *target* seconds."""
    number = 1
    while per_call(fn, number) * number < target and number < 1 << 24:
        number *= 2
    return number


def paired_ratio(subject: Callable[[], object], baseline: Callable[[], object], rounds: int = 41) -> dict[str, float]:
    """Median seconds per call of each, and the median of baseline/subject over interleaved rounds."""
    n_subject, n_baseline = calibrate(subject), calibrate(baseline)
    times_s, times_b, ratios = [], [], []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(rounds):
            if i % 2:  # alternate which goes first
                s, b = per_call(subject, n_subject), per_call(baseline, n_baseline)
            else:
                b, s = per_call(baseline, n_baseline), per_call(subject, n_subject)
            times_s.append(s)
            times_b.append(b)
            ratios.append(b / s)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {"subject": statistics.median(times_s), "baseline": statistics.median(times_b),
            "ratio": statistics.median(ratios)}
