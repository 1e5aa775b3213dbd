"""Timing and memory of one call.

Time: the median over samples, each sample at least a few milliseconds of calls, the garbage
collector paused (it would charge one subject for another's garbage). Memory: the peak of the
Python heap above where the call started, traced with tracemalloc; that covers etagcore's slabs
and any ``b"".join``, not the hash libraries' own small state.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

SAMPLE_SECONDS = 0.002  # a sample of tiny calls is batched up to this long
MIN_SAMPLES = 3


def seconds_per_call(fn: Callable[[], object], min_time: float) -> tuple[float, float, float]:
    """(median, fastest, slowest) seconds per call of *fn* over its samples, sampling for about
    *min_time* seconds (call it once first)."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    batch = max(1, int(SAMPLE_SECONDS / first)) if first > 0 else 1000
    samples: list[float] = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        spent = 0.0
        while len(samples) < MIN_SAMPLES or spent < min_time:
            start = time.perf_counter()
            for _ in range(batch):
                fn()
            elapsed = time.perf_counter() - start
            samples.append(elapsed / batch)
            spent += elapsed
    finally:
        if enabled:
            gc.enable()
    return statistics.median(samples), min(samples), max(samples)


def peak_extra_bytes(fn: Callable[[], object]) -> int:
    """Peak Python-heap bytes allocated above the starting point during one call of *fn*."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return max(0, tracemalloc.get_traced_memory()[1] - base)
    finally:
        if not was_tracing:
            tracemalloc.stop()
