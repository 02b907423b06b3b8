"""Benchmark of ``distlab report`` on synthetic sweeps of 1,000, 10,000 and 100,000 cases.

The sweeps are written the way the runner writes them, by the store's own writer
(:func:`distlab.store.write_case_files`: results.parquet, provenance.json with the file's hash and
columns, in ``case-<id>/``; then :func:`distlab.store.index_committed`: the sweep's row index), but
without running trials and without flushing every file to the disk: that makes 100,000 cases in a
few minutes instead of hours. Each case also gets a Hydra job directory
with its ``case`` link, as a real sweep has, so the report's walk sees what it sees in practice.

Goals (issue 15): "100,000 cases in under 20 s in bounded memory": the report grows linearly in
the number of cases, in time and in memory, 100,000 cases take under 20 seconds, and their report
holds at most :data:`GOAL_100K_MEMORY_MIB` above what the process held before it.

Each size's report is made in a fresh process (:func:`report_in_fresh_process`), so that its peak
resident set is its own and not that of the process that wrote the sweeps or made the smaller
reports. Imports and the first figure cost a few seconds and some memory once per process; that
process makes a report of ten cases first, so the figures show what a report of N cases costs on
top, in seconds and in memory above that process's resident set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from distlab.status import OK

__all__ = ["GOAL_100K_MEMORY_MIB", "GOAL_100K_SECONDS", "SIZES", "measure_report", "report_in_fresh_process",
           "run", "synthetic_sweep", "time_report"]

SIZES = (1_000, 10_000, 100_000)
"""The sweep sizes of the full run (``--quick``: 100 and 1,000)."""
GOAL_100K_SECONDS = 20.0
"""Issue 15: a report of 100,000 cases in under 20 seconds."""
GOAL_1K_SECONDS = 10.0
"""The earlier goal: "runs in seconds for a sweep of a thousand cases"."""
GOAL_100K_MEMORY_MIB = 600.0
"""Issue 15, "in bounded memory": the report of 100,000 cases may hold at most this many MiB above
the resident set of its process after imports and a first small report (a figure to revisit with
measurements)."""
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


_KIB = 1024
_MIB = 1024 * 1024


def _status_kib(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (Linux) in KiB, or None where there is no such file."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def _maxrss_kib() -> int:
    """The process's peak resident set from ``getrusage``: KiB on Linux, bytes on macOS."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // _KIB if sys.platform == "darwin" else peak


def _reset_peak() -> bool:
    """Start the peak resident set (VmHWM) afresh at the current one (Linux 4.0+); False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure_report(root: Path, out: Path, warm_root: Path, warm_out: Path) -> dict[str, Any]:
    """In this process: a warm-up report, then the timed report of ``root``, with its memory.

    Meant to run in a fresh process (see :func:`report_in_fresh_process`): the warm-up report of
    ``warm_root`` (a few cases) pays the imports and the first figure; the resident set after it is the
    baseline; then the report of ``root`` into ``out`` is timed, and the peak resident set read.

    Args:
        root: the sweep to report on.
        out: the report's directory.
        warm_root: a small sweep for the warm-up report.
        warm_out: the warm-up report's directory.

    Returns:
        ``seconds`` (``make_report`` alone), ``baseline_mib`` (resident set after the warm-up),
        ``peak_mib`` (peak resident set) and ``peak_of`` (``"report"`` when the peak was reset after
        the warm-up, so it is the timed report's alone; ``"process"`` when it could not be and may be
        the warm-up's; Linux ``/proc`` gives both, elsewhere ``getrusage`` gives the process's peak).
    """
    import gc

    time_report(warm_root, warm_out)
    gc.collect()  # what the warm-up left for the collector is not the baseline
    rss = _status_kib("VmRSS")
    baseline = rss if rss is not None else _maxrss_kib()
    reset = rss is not None and _reset_peak()
    seconds = time_report(root, out)
    hwm = _status_kib("VmHWM")
    peak = hwm if hwm is not None else _maxrss_kib()
    return {"seconds": seconds, "baseline_mib": baseline / _KIB, "peak_mib": max(peak, baseline) / _KIB,
            "peak_of": "report" if reset else "process"}


_CHILD = ("import json, sys\n"
          "from pathlib import Path\n"
          "from distlab.report.bench import measure_report\n"
          "result = measure_report(*(Path(a) for a in sys.argv[1:]))\n"
          "print(json.dumps(result))\n")


def report_in_fresh_process(root: Path, out: Path, warm_root: Path, warm_out: Path) -> dict[str, Any]:
    """:func:`measure_report` in a fresh Python process, so that its memory is the report's own.

    Args:
        root: the sweep to report on.
        out: the report's directory.
        warm_root: a small sweep for the warm-up report.
        warm_out: the warm-up report's directory.

    Returns:
        What :func:`measure_report` returns, read from the process's last line of output.

    Raises:
        RuntimeError: the process failed (its exit status and its standard error in the message) or
            printed no result.
    """
    command = [sys.executable, "-c", _CHILD, str(root), str(out), str(warm_root), str(warm_out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"the report bench's process for {root} exited with status {done.returncode}:\n"
                           f"{done.stderr.strip()}")
    lines = done.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as err:
        raise RuntimeError(f"the report bench's process for {root} printed no result ({err}); its output:\n"
                           f"{done.stdout}{done.stderr}") from err
    return result


def _mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Time ``make_report`` on synthetic sweeps of 1,000, 10,000 and 100,000 cases (100 and 1,000 with ``quick``).

    Each report is made in a fresh process (:func:`report_in_fresh_process`), which also gives its
    peak memory: a row per size, with the memory in the row's name (the table prints seconds), and
    a row for the growth of memory from size to size.
    """
    import shutil

    sizes = (100, 1_000) if quick else SIZES
    rows: list[dict[str, Any]] = []
    memory_rows: list[dict[str, Any]] = []
    seconds: dict[int, float] = {}
    growth: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="distlab-report-bench-") as tmp:
        warm = synthetic_sweep(Path(tmp) / "warm", 10)  # imports, first figure: in each process
        for cases in sizes:
            root = synthetic_sweep(Path(tmp) / f"sweep{cases}", cases)
            measured = report_in_fresh_process(root, Path(tmp) / f"report{cases}", warm,
                                               Path(tmp) / f"warm-report{cases}")
            seconds[cases] = float(measured["seconds"])
            goal = {1_000: GOAL_1K_SECONDS, 100_000: GOAL_100K_SECONDS}.get(cases)
            rows.append({
                "name": f"report on a sweep of {cases:,} cases",
                "seconds": seconds[cases],
                "baseline": f"goal {goal:g} s" if goal else "no goal of its own",
                "baseline_seconds": goal,
                "ratio": goal / seconds[cases] if goal else 1.0,
                "goal": 1.0 if goal else None,
            })
            peak, baseline = float(measured["peak_mib"]), float(measured["baseline_mib"])
            growth[cases] = peak - baseline
            # A report too small to move the resident set by a MiB would make a ratio of infinity.
            above = max(growth[cases], 1.0)
            memory_goal = GOAL_100K_MEMORY_MIB if cases == 100_000 else None
            memory_rows.append({
                "name": f"report peak memory at {cases:,} cases: {_mib(peak)} "
                        f"({_mib(growth[cases])} above the process after imports)",
                "seconds": seconds[cases],
                "baseline": f"goal {_mib(memory_goal)} above imports" if memory_goal else "no goal of its own",
                "baseline_seconds": None,
                "ratio": memory_goal / above if memory_goal else 1.0,
                "goal": 1.0 if memory_goal else None,
                "peak_mib": peak, "baseline_mib": baseline, "peak_of": measured["peak_of"],
            })
            shutil.rmtree(root)  # 100,000 cases take about a gigabyte of small files
            shutil.rmtree(Path(tmp) / f"report{cases}")
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
        for small, big in zip(sizes, sizes[1:]):
            linear_mib = max(growth[small], 1.0) * big / small
            memory_rows.append({
                "name": f"memory growth from {small:,} to {big:,} cases (1.0 = linear)",
                "seconds": seconds[big],
                "baseline": f"{big // small}x the {small:,}-case {_mib(growth[small])}: {_mib(linear_mib)}",
                "baseline_seconds": None,
                "ratio": linear_mib / max(growth[big], 1.0),
                "goal": 1 / LINEAR_WITHIN,
            })
    return rows + memory_rows
