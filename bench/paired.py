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


def _best_times(subjects: list[Callable[[], object]], rounds: int, batches: int) -> list[list[float]]:
    """Per round, each subject's fastest of *batches* runs in this thread's CPU time (time spent
    descheduled on a shared machine is not the code's), the subjects taking turns in rotating order."""
    per_round = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            best = [float("inf")] * len(subjects)
            order = list(range(len(subjects)))
            for _ in range(batches):
                for i in order:
                    start = time.thread_time()
                    subjects[i]()
                    best[i] = min(best[i], time.thread_time() - start)
                order.append(order.pop(0))
            per_round.append(best)
    finally:
        if gc_was_enabled:
            gc.enable()
    return per_round


def cpu_ratio(subject: Callable[[], object], baseline: Callable[[], object], rounds: int = 21,
              batches: int = 3) -> dict[str, float]:
    """Median CPU seconds per call of each (see _best_times) and the median per-round ratio subject/baseline."""
    per_round = _best_times([subject, baseline], rounds, batches)
    return {"subject": statistics.median(s for s, _ in per_round),
            "baseline": statistics.median(b for _, b in per_round),
            "ratio": statistics.median(s / b for s, b in per_round)}


def added_ratio(bare: Callable[[], object], ours: Callable[[], object], peer_bare: Callable[[], object],
                peer: Callable[[], object], requests: int, rounds: int = 21, batches: int = 3) -> dict[str, float]:
    """What a middleware adds to a request against what a peer adds to its own: each callable runs
    *requests* requests, timed as in _best_times; "added" is ours minus bare, peer minus
    peer_bare. Medians over the rounds of both added times (seconds per request) and of the
    per-round ratio ours/peer."""
    ours_added, peer_added, ratios = [], [], []
    for best in _best_times([bare, ours, peer_bare, peer], rounds, batches):
        a, b = (best[1] - best[0]) / requests, (best[3] - best[2]) / requests
        ours_added.append(a)
        peer_added.append(b)
        ratios.append(a / b)
    return {"ours": statistics.median(ours_added), "peer": statistics.median(peer_added),
            "ratio": statistics.median(ratios)}
