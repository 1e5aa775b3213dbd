"""Run a plan: every subject on every body, checked for agreement, then timed."""

from __future__ import annotations

import atexit
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from ..files import STABLE_AFTER_NS, clock_ns
from .cases import ALGORITHMS, Plan, Subject, make_body, split, subjects
from .measure import peak_extra_bytes, seconds_per_call


class MismatchError(AssertionError):
    """Two subjects gave different digests for the same body: the benchmark would be meaningless."""


@dataclass(frozen=True)
class Result:
    algorithm: str
    subject: str
    kind: str  # "small", "contiguous", "chunked" or "file"
    body_bytes: int
    chunk_bytes: int | None  # chunked only
    seconds: float  # median per call
    peak_extra_bytes: int
    seconds_low: float | None = None  # the fastest and slowest sample per call: the spread
    seconds_high: float | None = None

    @property
    def mb_per_s(self) -> float:
        return self.body_bytes / self.seconds / 1e6 if self.seconds else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "mb_per_s": round(self.mb_per_s, 1)}


@dataclass(frozen=True)
class Case:
    kind: str
    body_bytes: int
    chunk_bytes: int | None

    def build(self) -> Any:
        body = make_body(self.body_bytes)
        if self.kind == "file":
            return _settled_file(body)
        return split(body, self.chunk_bytes) if self.chunk_bytes else body

    @property
    def layout(self) -> str:
        return self.kind if self.kind == "file" else "chunked" if self.chunk_bytes else "contiguous"


def cases(plan: Plan) -> list[Case]:
    return [
        *(Case("small", size, None) for size in plan.small),
        *(Case("contiguous", size, None) for size in plan.contiguous),
        *(Case("chunked", plan.chunked_total, chunk) for chunk in plan.chunk_sizes),
        *([Case("file", plan.file_bytes, None)] if plan.file_bytes else []),
    ]


def _settled_file(body: bytes) -> str:
    """*body* in a new temporary file, once its change is more than a second old (tag_file
    would otherwise wait for it to settle); removed when the run ends."""
    handle, path = tempfile.mkstemp(prefix="etagcore-bench-")
    with os.fdopen(handle, "wb") as f:
        f.write(body)
    atexit.register(os.unlink, path)
    time.sleep(max(0.0, (os.stat(path).st_ctime_ns + STABLE_AFTER_NS - clock_ns()) / 1e9) + 0.05)
    return path


def count(plan: Plan, algorithms: tuple[str, ...] = ALGORITHMS) -> int:
    """How many measurements :func:`run` makes (for a progress bar)."""
    every = subjects(algorithms)
    return sum(1 for case in cases(plan) for s in every if case.layout in s.layouts)


def run(plan: Plan, algorithms: tuple[str, ...] = ALGORITHMS,
        on_step: Callable[[str], None] = lambda label: None) -> Iterator[Result]:
    """Measure every (case, subject); *on_step* is called before each measurement."""
    every = subjects(algorithms)
    for case in cases(plan):
        body = case.build()
        for algorithm in algorithms:
            chosen: list[Subject] = [s for s in every if s.algorithm == algorithm and case.layout in s.layouts]
            calls = [(s, s.bind(body)) for s in chosen]
            expected = calls[0][1]()  # etagcore's digest
            for subject, call in calls:
                if (got := call()) != expected:
                    raise MismatchError(f"{subject.label} gave {got!r}, etagcore {expected!r} "
                                        f"({case.kind}, {case.body_bytes} bytes, chunks {case.chunk_bytes})")
            for subject, call in calls:
                on_step(f"{subject.label}, {describe(case)}")
                median, low, high = seconds_per_call(call, plan.min_time)
                yield Result(algorithm, subject.name, case.kind, case.body_bytes, case.chunk_bytes, median,
                             peak_extra_bytes(call), low, high)
        if case.kind == "file":
            os.unlink(body)
            atexit.unregister(os.unlink)
        del body


def describe(case: Case) -> str:
    size = human_bytes(case.body_bytes)
    if case.kind == "file":
        return f"a {size} file"
    return f"{size} in {human_bytes(case.chunk_bytes)} chunks" if case.chunk_bytes else size


def human_bytes(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"
