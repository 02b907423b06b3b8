"""``distlab bench``'s table: a ratio only where there is something to compare with (issue 15, D7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from distlab import bench

ROWS = [
    {"suite": "s", "name": "against a baseline", "seconds": 0.002, "baseline": "slow", "baseline_seconds": 0.004,
     "ratio": 2.0, "goal": None},
    {"suite": "s", "name": "against a goal only", "seconds": 0.5, "baseline": "goal 1 s", "baseline_seconds": None,
     "ratio": 3.0, "goal": 1.0},
    {"suite": "s", "name": "alone", "seconds": 0.25, "baseline": "no goal of its own", "baseline_seconds": None,
     "ratio": 1.0, "goal": None},
]


def _table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, list[str]]:
    monkeypatch.setattr(bench, "run_all", lambda quick=False, only=(): [dict(r) for r in ROWS])
    assert bench.main(list(args)) == 0
    lines = capsys.readouterr().out.splitlines()
    return {r["name"]: next(line for line in lines if line.startswith(f"s: {r['name']} ")).split()
            for r in ROWS}


def test_a_row_with_no_baseline_nor_goal_shows_no_ratio(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    table = _table(monkeypatch, capsys)
    assert table["against a baseline"][-2:] == ["2.00", "–"]
    assert table["against a goal only"][-3:] == ["3.00", "1", "yes"]
    assert table["alone"][-2:] == ["–", "–"]  # ratio and met; was "1.00"
    assert "1.00" not in table["alone"]


def test_the_json_keeps_the_suites_rows(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    _table(monkeypatch, capsys, "--json", str(tmp_path / "rows.json"))
    written: list[dict[str, Any]] = json.loads((tmp_path / "rows.json").read_text())
    assert written == ROWS
