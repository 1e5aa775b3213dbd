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
    if files := _rows(results, "file"):
        total = next(r.body_bytes for r in results if r.kind == "file")
        out.append(_by_size(f"A {human_bytes(total)} file in the page cache, tagged from disk: MB/s (median)", files,
                            lambda r: f"{r.mb_per_s:,.0f}"))
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


def machine() -> str:
    """The CPU model and count, as a plot's title names the machine."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs"


def plot(path: str, results: Sequence[Result], plan: str = "", when: str = "") -> None:
    """One figure that stands alone: a title naming the plan, the machine and the date; per
    algorithm, throughput against chunk size (one line per subject, the band from the fastest to
    the slowest sample, dashed: etagcore on the same body as one buffer); small-body latency;
    file tagging against the library on an mmap and the command-line tools; and the peak extra
    memory of one call on the chunked body."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chunked = [r for r in results if r.kind == "chunked"]
    algorithms = list(dict.fromkeys(r.algorithm for r in chunked))
    if not algorithms:
        raise ValueError("no chunked results to plot")
    total = chunked[0].body_bytes
    small = [r for r in results if r.kind == "small"]
    cols = 3
    rows = -(-(len(algorithms) + 3) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.4 * cols, 4.0 * rows + 0.8), squeeze=False)
    panels = iter(axes.flat)
    for algorithm, ax in zip(algorithms, panels):
        mine = [r for r in chunked if r.algorithm == algorithm]
        for subject in dict.fromkeys(r.subject for r in mine):
            points = sorted((r for r in mine if r.subject == subject), key=lambda r: r.chunk_bytes or 0)
            x = [r.chunk_bytes or 0 for r in points]
            line, = ax.plot(x, [r.mb_per_s for r in points], marker="o", label=subject,
                            linewidth=2.4 if subject == "etagcore" else 1.2)
            if all(r.seconds_low and r.seconds_high for r in points):
                ax.fill_between(x, [r.body_bytes / r.seconds_high / 1e6 for r in points],  # type: ignore[operator]
                                [r.body_bytes / r.seconds_low / 1e6 for r in points],  # type: ignore[operator]
                                color=line.get_color(), alpha=0.15, linewidth=0)
        whole = [r for r in results if r.kind == "contiguous" and r.algorithm == algorithm
                 and r.subject == "etagcore" and r.body_bytes == total]
        if whole:
            ax.axhline(whole[0].mb_per_s, linestyle="--", color="grey", label="etagcore, one buffer")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        sizes = sorted({r.chunk_bytes or 0 for r in mine})
        ax.set_xticks(sizes, [human_bytes(s).replace(" ", "") for s in sizes], fontsize=8)
        ax.set_title(f"{algorithm}: {human_bytes(total)} in chunks")
        ax.set_xlabel("chunk size")
        ax.set_ylabel("MB/s (higher is better)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    ax = next(panels)
    if small:
        sizes = sorted({r.body_bytes for r in small})  # 0 B included: evenly spaced, not a log axis
        for algorithm in dict.fromkeys(r.algorithm for r in small):
            for subject in dict.fromkeys(r.subject for r in small if r.algorithm == algorithm):
                latency = sorted((sizes.index(r.body_bytes), r.seconds * 1e6) for r in small
                                 if r.algorithm == algorithm and r.subject == subject)
                ax.plot(*zip(*latency), marker=".", label=f"{algorithm}: {subject}",
                        linewidth=2.0 if subject == "etagcore" else 0.8, linestyle="-" if subject == "etagcore" else ":")
        ax.set_yscale("log")
        ax.set_xticks(range(len(sizes)), [human_bytes(s) for s in sizes], fontsize=8)
        ax.set_xlim(-0.2, len(sizes) - 0.2 + 1.6)  # room on the right for the legend
        ax.set_title("small bodies: time per tag")
        ax.set_xlabel("body size")
        ax.set_ylabel("microseconds (lower is better)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, loc="center right")
    else:
        ax.set_visible(False)
    ax = next(panels)
    tagged = [r for r in results if r.kind == "file"]
    if tagged:
        labels = [f"{r.algorithm}: {r.subject}" for r in tagged]
        ax.barh(range(len(tagged)), [r.mb_per_s for r in tagged],
                xerr=[[r.mb_per_s - r.body_bytes / r.seconds_high / 1e6 if r.seconds_high else 0 for r in tagged],
                      [r.body_bytes / r.seconds_low / 1e6 - r.mb_per_s if r.seconds_low else 0 for r in tagged]],
                color=["tab:blue" if r.subject == "etagcore" else "tab:grey" for r in tagged])
        ax.set_yticks(range(len(tagged)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("MB/s (higher is better)")
        ax.set_title(f"a {human_bytes(tagged[0].body_bytes)} file from the page cache")
        ax.grid(True, axis="x", alpha=0.3)
    else:
        ax.set_visible(False)
    ax = next(panels)
    peaks: dict[str, int] = {}
    for r in chunked:
        label = f"{r.algorithm}: {r.subject}"
        peaks[label] = max(peaks.get(label, 0), r.peak_extra_bytes)
    labels = list(peaks)
    ax.barh(range(len(labels)), [max(1, peaks[k]) / (1 << 20) for k in labels],
            color=["tab:blue" if k.endswith(": etagcore") else "tab:grey" for k in labels])
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("MiB (lower is better)")
    ax.set_title(f"peak extra memory of one call, {human_bytes(total)} in chunks")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    for ax in panels:
        ax.set_visible(False)
    fig.suptitle(f"etagcore {__version__} bench{f', {plan} plan' if plan else ''}: {machine()}, "
                 f"Python {sys.version.split()[0]}{f', {when}' if when else ''}", fontsize=12)
    fig.text(0.5, 0.005, "Medians per call of timed samples; shaded: fastest to slowest sample. Memory: the "
             "peak of the Python heap above the start of one call (tracemalloc).", ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
