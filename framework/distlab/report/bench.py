"""Benchmark of ``distlab report`` on a sweep of a thousand cases (synthetic job directories)."""

from __future__ import annotations

from distlab.status import OK

import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["run"]

GOAL_SECONDS = 10.0  # "runs in seconds for a sweep of a thousand cases"


def _fake_sweep(root: Path, cases: int, repeats: int) -> None:
    """Write case directories as the runner does (results.parquet, provenance.json with its hash), whole."""
    import random

    import polars as pl

    from distlab import store

    rng = random.Random(0)
    for i in range(cases):
        case_id = f"{i:016x}"
        rows = [
            {
                "study": "toy", "seed": i % 10, "repeats": repeats, "world.scale": 1.0,
                "shape": ("alpha", "beta")[i % 2], "shape.low": float(i % 7),
                "case_id": case_id, "repeat": r, "trial_seed": rng.getrandbits(63), "status": OK,
                "error_type": None, "error_message": None, "error_traceback": None,
                "value_mean": rng.random(), "value_max": rng.random() + 1, "positive": True,
            }
            for r in range(repeats)
        ]
        store.commit_case(root, case_id, {store.RESULTS: store.parquet_bytes(pl.DataFrame(rows))}, {
            "case_id": case_id, "config": {"seed": i % 10}, "code": {"version": "0", "git_commit": None},
            "components": {}, "python": "3.11", "platform": "x", "started_at": "", "finished_at": "",
            "status": OK,
        })


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Time ``make_report`` on a synthetic sweep of 1,000 cases (100 with ``quick``)."""
    from distlab.report import make_report

    cases = 100 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sweep"
        _fake_sweep(root, cases, 3)
        start = time.perf_counter()
        make_report(root, Path(tmp) / "report")
        seconds = time.perf_counter() - start
    return [{
        "name": f"report on a sweep of {cases} cases",
        "seconds": seconds,
        "baseline": f"goal {GOAL_SECONDS:g} s",
        "baseline_seconds": GOAL_SECONDS,
        "ratio": GOAL_SECONDS / seconds,
        "goal": 1.0,
    }]
