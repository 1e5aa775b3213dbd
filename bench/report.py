"""Turn a pytest-benchmark JSON file into a Markdown table of medians and ratios.

    python bench/report.py results/match.json [--baseline tornado] [--subject etagcore-c]

Rows are the cases, columns the peers (median time of one call); the last column is the
baseline's median divided by the subject's, from the same run.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict


def _fmt(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:,.2f} us" if us < 10 else f"{us:,.0f} us" if us < 100_000 else f"{us / 1000:,.0f} ms"


def table(path: str, baseline: str, subject: str) -> str:
    with open(path) as f:
        data = json.load(f)
    medians: dict[str, dict[str, float]] = defaultdict(dict)
    peers: list[str] = []
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        medians[info["case"]][info["peer"]] = bench["stats"]["median"]
        if info["peer"] not in peers:
            peers.append(info["peer"])
    head = ["case", *peers, f"{baseline} / {subject}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case, row in medians.items():
        ratio = f"{row[baseline] / row[subject]:.1f}x" if baseline in row and subject in row else "n/a"
        cells = [_fmt(row[p]) if p in row else "-" for p in peers]
        lines.append("| " + " | ".join([case, *cells, ratio]) + " |")
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {}).get("brand_raw", "")
    lines.append("")
    lines.append(f"Medians from one pytest-benchmark run, {data.get('datetime', '')[:10]}, "
                 f"Python {machine.get('python_version', '')}, {cpu}".rstrip(", "))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json")
    parser.add_argument("--baseline", default="tornado")
    parser.add_argument("--subject", default="etagcore-c")
    args = parser.parse_args()
    print(table(args.json, args.baseline, args.subject))


if __name__ == "__main__":
    main()
