"""Results as tables (terminal or Markdown), JSON, and a PNG plot of throughput by chunk size."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .. import __version__, matcher_backend
from ..feed import gather_backend
from .cases import Plan
from .run import Result, human_bytes

Table = tuple[str, list[str], list[list[str]]]


def _rows(results: Sequence[Result], kind: str) -> dict[str, dict[Any, Result]]:
    rows: dict[str, dict[Any, Result]] = {}
    for r in results:
        if r.kind == kind:
            key = r.chunk_bytes if kind == "chunked" else r.body_bytes
            rows.setdefault(f"{r.algorithm}: {r.subject}", {})[key] = r
    return rows


def _by_size(title: str, rows: dict[str, dict[Any, Result]], cell: Callable[[Result], str]) -> Table:
    sizes = sorted({k for row in rows.values() for k in row})
    return (title, ["", *map(human_bytes, sizes)],
            [[name, *(cell(row[s]) if s in row else "" for s in sizes)] for name, row in rows.items()])


def tables(results: Sequence[Result]) -> list[Table]:
    """Small-body latency, contiguous throughput, chunked throughput with peak extra memory."""
    out: list[Table] = []
    if small := _rows(results, "small"):
        out.append(_by_size("Small bodies: microseconds per tag (median)", small, lambda r: f"{r.seconds * 1e6:,.2f}"))
    if contiguous := _rows(results, "contiguous"):
        out.append(_by_size("One contiguous buffer: MB/s (median)", contiguous, lambda r: f"{r.mb_per_s:,.0f}"))
    chunked = _rows(results, "chunked")
    if chunked:
        sizes = sorted({k for row in chunked.values() for k in row})
        total = next(r.body_bytes for r in results if r.kind == "chunked")
        out.append((f"{human_bytes(total)} in chunks: MB/s (median), and the peak extra memory of a call",
                    ["", *(f"{human_bytes(s)} chunks" for s in sizes), "peak extra"],
                    [[name, *(f"{row[s].mb_per_s:,.0f}" if s in row else "" for s in sizes),
                      human_size(max(r.peak_extra_bytes for r in row.values()))]
                     for name, row in chunked.items()]))
    return out


def human_size(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} B"


def to_text(results: Sequence[Result]) -> str:
    blocks = []
    for title, header, rows in tables(results):
        widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
        lines = [title, "  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(header, widths)))]
        lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
                  for row in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def to_markdown(results: Sequence[Result]) -> str:
    blocks = []
    for title, header, rows in tables(results):
        lines = [f"**{title}**", "", "| " + " | ".join(header) + " |",
                 "|" + "|".join(["---", *["---:"] * (len(header) - 1)]) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def environment() -> dict[str, Any]:
    return {"etagcore": __version__, "python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "matcher_backend": matcher_backend(), "gather_backend": gather_backend()}


def write_json(path: str, plan: Plan, results: Sequence[Result]) -> None:
    with open(path, "w") as f:
        json.dump({"plan": plan.name, "environment": environment(),
                   "results": [r.as_dict() for r in results]}, f, indent=1)


def read_json(path: str) -> list[Result]:
    with open(path) as f:
        data = json.load(f)
    return [Result(**{k: v for k, v in r.items() if k != "mb_per_s"}) for r in data["results"]]


def plot(path: str, results: Sequence[Result]) -> None:
    """Throughput against chunk size, one panel per algorithm, one line per subject; the dashed
    line is etagcore on the same body as one contiguous buffer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chunked = [r for r in results if r.kind == "chunked"]
    algorithms = list(dict.fromkeys(r.algorithm for r in chunked))
    if not algorithms:
        raise ValueError("no chunked results to plot")
    total = chunked[0].body_bytes
    cols = min(3, len(algorithms))
    rows = -(-len(algorithms) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.9 * rows), squeeze=False, sharey=True)
    for ax, algorithm in zip(axes.flat, algorithms):
        mine = [r for r in chunked if r.algorithm == algorithm]
        for subject in dict.fromkeys(r.subject for r in mine):
            points = sorted((r.chunk_bytes or 0, r.mb_per_s) for r in mine if r.subject == subject)
            ax.plot(*zip(*points), marker="o", label=subject, linewidth=2.4 if subject == "etagcore" else 1.2)
        whole = [r for r in results if r.kind == "contiguous" and r.algorithm == algorithm
                 and r.subject == "etagcore" and r.body_bytes == total]
        if whole:
            ax.axhline(whole[0].mb_per_s, linestyle="--", color="grey", label="etagcore, contiguous")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        sizes = sorted({r.chunk_bytes or 0 for r in mine})
        ax.set_xticks(sizes, [human_bytes(s).replace(" ", "") for s in sizes])
        ax.set_title(f"{algorithm}, {human_bytes(total)} body")
        ax.set_xlabel("chunk size")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.flat[len(algorithms):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("MB/s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
