"""The benchmark comparison (etagcore bench): a tiny plan end to end, agreement checks, output."""

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from etagcore.benchmark import cases, report, run

TINY = replace(cases.QUICK, name="tiny", contiguous=(1024,), chunked_total=8192, chunk_sizes=(16, 4096),
               small=(0, 100), min_time=0.001, file_bytes=64 << 10)


def test_tiny_plan_measures_every_subject_on_every_layout():
    results = list(run.run(TINY, ("sha1", "xxh3-128")))
    assert len(results) == run.count(TINY, ("sha1", "xxh3-128"))
    subjects = {(r.algorithm, r.subject, r.kind) for r in results}
    assert ("sha1", "tornado compute_etag", "chunked") in subjects
    assert ("xxh3-128", "join + hash", "chunked") in subjects
    assert ("xxh3-128", "library call", "contiguous") in subjects
    assert {("sha1", "etagcore", "file"), ("xxh3-128", "library on mmap", "file")} <= subjects
    for algorithm in ("sha1", "xxh3-128"):  # the command-line tools where installed, else a note
        tool = cases.TOOLS[algorithm][0][0]
        assert ((algorithm, tool, "file") in subjects) == (tool not in cases.missing_tools((algorithm,)))
    assert all(r.seconds > 0 for r in results)
    joined = [r for r in results if r.subject == "join + hash"]
    assert all(r.peak_extra_bytes >= TINY.chunked_total for r in joined)  # the join is seen


def test_a_subject_that_disagrees_stops_the_run(monkeypatch):
    wrong = cases.Subject("sha1", "wrong", lambda body: lambda: "0" * 40, frozenset({"contiguous"}))
    monkeypatch.setattr(run, "subjects", lambda algorithms: [*cases.subjects(algorithms), wrong])
    with pytest.raises(run.MismatchError, match="wrong"):
        list(run.run(TINY, ("sha1",)))


def test_tables_json_and_plot(tmp_path):
    results = list(run.run(TINY, ("xxh3-64",)))
    text = report.to_text(results)
    assert "xxh3-64: etagcore" in text and "16 B chunks" in text and "peak extra" in text
    assert report.to_markdown(results).count("|---|") == 4 and "64 KiB file" in text
    path = tmp_path / "bench.json"
    report.write_json(str(path), TINY, results)
    assert report.read_json(str(path)) == results
    assert json.loads(path.read_text())["environment"]["gather_backend"] in ("c", "python")
    report.plot(str(tmp_path / "bench.png"), results)
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_algorithm_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "etagcore", "bench", "--algorithms", "md5", "-o", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, env={**os.environ})
    assert result.returncode == 2
    assert "--algorithms: unknown md5" in result.stderr
