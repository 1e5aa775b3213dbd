"""Tagging speed and memory: every content strategy against the peers a server would otherwise
use, on small bodies, contiguous bodies up to 256 MiB and a 64 MiB body in chunks of 16 B to
64 KiB (the plan ``etagcore bench --full`` runs; ETAGCORE_BENCH_PLAN=quick for the small one).

Each case checks first that its subject gives etagcore's digest; the peak extra memory of one
call (Python heap, tracemalloc) is stored in the benchmark's extra_info.
"""

import functools
import os

import pytest

from etagcore.benchmark import cases as bench_cases
from etagcore.benchmark.measure import peak_extra_bytes
from etagcore.benchmark.run import Case, cases, describe

PLAN = bench_cases.PLANS[os.environ.get("ETAGCORE_BENCH_PLAN", "full")]
SUBJECTS = bench_cases.subjects()
PARAMS = [
    pytest.param(case, subject, id=f"{describe(case)}-{subject.label}".replace(" ", "_"))
    for case in cases(PLAN)
    for subject in SUBJECTS
    if case.layout in subject.layouts
]


@functools.lru_cache(maxsize=1)  # cases are ordered by body: keep one body alive at a time
def body_of(case):
    return case.build()


@pytest.mark.parametrize("case, subject", PARAMS)
def test_tag(benchmark, case: Case, subject):
    body = body_of(case)
    call = subject.bind(body)
    reference = next(s for s in SUBJECTS if s.algorithm == subject.algorithm and s.name == "etagcore")
    assert call() == reference.bind(body)()
    benchmark.extra_info.update(kind=case.kind, body_bytes=case.body_bytes, chunk_bytes=case.chunk_bytes,
                                algorithm=subject.algorithm, subject=subject.name,
                                peak_extra_bytes=peak_extra_bytes(call))
    if case.body_bytes >= bench_cases.MiB:
        benchmark.pedantic(call, rounds=5, iterations=1, warmup_rounds=1)
    else:
        benchmark(call)
