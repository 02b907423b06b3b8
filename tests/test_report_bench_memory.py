"""The report bench's memory (issue 15, "in bounded memory"): each report made in a fresh process that
reports its time and its resident set, and the rows made from those figures (the figures themselves
come from ``distlab bench --only report``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from distlab.report import bench
from distlab.report.bench import report_in_fresh_process, synthetic_sweep


def test_a_fresh_process_makes_the_report_and_gives_its_time_and_memory(tmp_path: Path) -> None:
    root = synthetic_sweep(tmp_path / "sweep", 20)
    warm = synthetic_sweep(tmp_path / "warm", 2)
    got = report_in_fresh_process(root, tmp_path / "report", warm, tmp_path / "warm-report")
    assert got["seconds"] > 0
    assert got["peak_mib"] >= got["baseline_mib"] > 20  # Python with polars holds tens of MiB at least
    if sys.platform == "linux":
        assert got["peak_of"] == "report"  # the warm-up's peak was cleared
    for made in (tmp_path / "report", tmp_path / "warm-report"):
        assert (made / "REPORT.md").is_file() and (made / "report.html").is_file()


def test_a_failing_report_process_raises_with_its_error(tmp_path: Path) -> None:
    root = synthetic_sweep(tmp_path / "sweep", 2)
    with pytest.raises(RuntimeError, match=r"exited with status 1:\n(.|\n)*Error"):
        report_in_fresh_process(root, tmp_path / "report", tmp_path / "no-such-sweep", tmp_path / "warm-report")
    assert not (tmp_path / "report").exists()  # it failed in the warm-up, before the timed report


def test_memory_rows_are_made_from_each_process_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    # The full sizes without writing them: each "process" reports a baseline of 200 MiB and a growth
    # of 30 + 0.004 MiB per case (so 34, 70 and 430 MiB above the baseline).
    def sweep(root: Path, cases: int) -> Path:
        root.mkdir(parents=True)
        (root / "cases").write_text(str(cases))
        return root

    def measured(root: Path, out: Path, warm_root: Path, warm_out: Path) -> dict[str, Any]:
        cases = int((root / "cases").read_text())
        out.mkdir()
        return {"seconds": cases / 10_000, "baseline_mib": 200.0, "peak_mib": 200.0 + 30 + 0.004 * cases,
                "peak_of": "report"}

    monkeypatch.setattr(bench, "synthetic_sweep", sweep)
    monkeypatch.setattr(bench, "report_in_fresh_process", measured)
    rows = {r["name"].split(":")[0]: r for r in bench.run()}
    assert rows["report peak memory at 100,000 cases"]["name"] == (
        "report peak memory at 100,000 cases: 630 MiB (430 MiB above the process after imports)")
    assert rows["report peak memory at 100,000 cases"]["ratio"] == pytest.approx(600 / 430)
    assert rows["report peak memory at 100,000 cases"]["goal"] == 1.0
    assert rows["report peak memory at 10,000 cases"]["goal"] is None
    growth = rows["memory growth from 10,000 to 100,000 cases (1.0 = linear)"]
    assert growth["ratio"] == pytest.approx(10 * 70 / 430) and growth["goal"] == pytest.approx(1 / 1.25)
    assert rows["memory growth from 1,000 to 10,000 cases (1.0 = linear)"]["ratio"] == pytest.approx(10 * 34 / 70)
    assert rows["report on a sweep of 100,000 cases"]["seconds"] == pytest.approx(10.0)
    assert all(r["seconds"] > 0 for r in rows.values())
