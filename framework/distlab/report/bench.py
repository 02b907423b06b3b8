"""Benchmark of ``distlab report`` on synthetic sweeps of 1,000, 10,000 and 100,000 cases.

The sweeps are written the way the runner writes them, by the store's own writer
(:func:`distlab.store.write_case_files`: results.parquet, provenance.json with the file's hash and
columns, in ``case-<id>/``; then :func:`distlab.store.index_committed`: the sweep's row index), but
without running trials and without flushing every file to the disk: that makes 100,000 cases in a
few minutes instead of hours. Each case also gets a Hydra job directory
with its ``case`` link, as a real sweep has, so the report's walk sees what it sees in practice.

Goals (issue 15): the report grows linearly in the number of cases, and 100,000 cases take under
20 seconds. Imports and the first figure cost a few seconds once per process; a report of ten cases
is made first, so the figures show what a report of N cases costs on top.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from distlab.status import OK

__all__ = ["GOAL_100K_SECONDS", "SIZES", "run", "synthetic_sweep", "time_report"]

SIZES = (1_000, 10_000, 100_000)
"""The sweep sizes of the full run (``--quick``: 100 and 1,000)."""
GOAL_100K_SECONDS = 20.0
"""Issue 15: a report of 100,000 cases in under 20 seconds."""
GOAL_1K_SECONDS = 10.0
"""The earlier goal: "runs in seconds for a sweep of a thousand cases"."""
LINEAR_WITHIN = 1.25
"""Linear growth: ten times the cases may cost at most this much more than ten times the time."""


def synthetic_sweep(root: Path, cases: int, repeats: int = 3, *, seed: int = 0) -> Path:
    """Write a sweep directory of ``cases`` toy cases, as the runner lays them out, fast.

    Two shapes with parameters of their own (so the sweep has two schemas, as sweeps over components
    do), a seed column, and three metrics; every value from a generator seeded by ``seed``.

    Args:
        root: the sweep directory (created).
        cases: how many cases.
        repeats: trials per case.
        seed: the generator's seed.

    Returns:
        ``root``.
    """
    import io
    import random

    import polars as pl

    from distlab import store

    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    store.plan_sweep(root, [f"{i:016x}" for i in range(cases)])
    for i in range(cases):
        case_id = f"{i:016x}"
        shape = ("alpha", "beta")[i % 2]
        columns: dict[str, list[Any]] = {
            "study": ["toy"] * repeats, "seed": [i % 10] * repeats, "repeats": [repeats] * repeats,
            "world.scale": [1.0] * repeats, "shape": [shape] * repeats,
        }
        # Each shape has a parameter of its own: the union of two schemas, as a real sweep has.
        if shape == "alpha":
            columns["shape.low"] = [float(i % 7)] * repeats
        else:
            columns["shape.count"] = [i % 5 + 1] * repeats
        columns.update({
            "case_id": [case_id] * repeats, "repeat": list(range(repeats)),
            "trial_seed": [rng.getrandbits(63) for _ in range(repeats)], "status": [OK] * repeats,
            "error_type": [None] * repeats, "error_message": [None] * repeats, "error_traceback": [None] * repeats,
            "value_mean": [rng.random() for _ in range(repeats)],
            "value_max": [rng.random() + 1 for _ in range(repeats)], "positive": [True] * repeats,
        })
        buffer = io.BytesIO()
        pl.DataFrame(columns, schema_overrides={c: pl.String for c in ("error_type", "error_message",
                                                                        "error_traceback")}).write_parquet(buffer)
        folder = store.case_dir(root, case_id)
        folder.mkdir()
        written = store.write_case_files(folder, {store.RESULTS: buffer.getvalue()}, {
            "case_id": case_id, "study": "toy", "config": {"seed": i % 10}, "treatment": "shape",
            "metrics": [{"name": "value_mean", "doc": "mean"}, {"name": "value_max", "doc": "max"},
                        {"name": "positive", "doc": "all positive", "figure": False}],
            "code": {"version": "0", "git_commit": None}, "components": {}, "python": "3.11", "platform": "x",
            "started_at": "", "finished_at": "", "status": OK,
        }, sync=False)
        # As commit_case does once a case is in place: its rows into the sweep's row index.
        store.index_committed(root, folder, written[store.RESULTS])
        job = root / str(i)  # Hydra's job directory, with its link to the case
        job.mkdir()
        os.symlink(os.path.relpath(folder, job), job / store.JOB_LINK)
    return root


def time_report(root: Path, out: Path) -> float:
    """Seconds to make the whole report (tables, figures, REPORT.md, report.html) of ``root`` into ``out``."""
    from distlab.report import make_report

    start = time.perf_counter()
    make_report(root, out)
    return time.perf_counter() - start


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Time ``make_report`` on synthetic sweeps of 1,000, 10,000 and 100,000 cases (100 and 1,000 with ``quick``)."""
    sizes = (100, 1_000) if quick else SIZES
    rows: list[dict[str, Any]] = []
    seconds: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="distlab-report-bench-") as tmp:
        time_report(synthetic_sweep(Path(tmp) / "warm", 10), Path(tmp) / "warm-report")  # imports, first figure
        for cases in sizes:
            root = synthetic_sweep(Path(tmp) / f"sweep{cases}", cases)
            seconds[cases] = time_report(root, Path(tmp) / f"report{cases}")
            goal = {1_000: GOAL_1K_SECONDS, 100_000: GOAL_100K_SECONDS}.get(cases)
            rows.append({
                "name": f"report on a sweep of {cases:,} cases",
                "seconds": seconds[cases],
                "baseline": f"goal {goal:g} s" if goal else "no goal of its own",
                "baseline_seconds": goal,
                "ratio": goal / seconds[cases] if goal else 1.0,
                "goal": 1.0 if goal else None,
            })
            import shutil

            shutil.rmtree(root)  # 100,000 cases take about a gigabyte of small files
        for small, big in zip(sizes, sizes[1:]):
            linear = seconds[small] * big / small
            rows.append({
                "name": f"growth from {small:,} to {big:,} cases (1.0 = linear)",
                "seconds": seconds[big],
                "baseline": f"{big // small}x the {small:,}-case time",
                "baseline_seconds": linear,
                "ratio": linear / seconds[big],
                "goal": 1 / LINEAR_WITHIN,
            })
    return rows
