"""``distlab bench``: every speed benchmark, run side by side with its baseline in one process.

The suites are found, not listed: each study's ``bench`` (see :class:`distlab.study.Study`), each
suite a plugin added with ``registry.add_benchmark(suite, "module:run")``, and the report's own.
A suite is ``run(quick: bool) -> list[dict]``; every dict is one comparison with the keys ``name``, ``seconds``, ``baseline``, ``baseline_seconds``, ``ratio``
(how many times faster than the baseline; for an absolute goal, ``goal_seconds / seconds``) and
``goal`` (the ratio the issue asks for, or ``None``). Timings on a shared machine are noisy, which is
why only ratios measured in the same run are compared with goals.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["best_time", "compared", "main", "row", "run_all", "suites"]

_CORE_SUITES = {"report": "distlab.report.bench:run", "preflight": "distlab.hydra.bench:run",
                "sweep": "distlab.hydra.sweep_bench:run"}


def best_time(fn: Callable[[], Any], repeats: int, *, cpu: bool = False) -> float:
    """The least time one call of ``fn`` took over ``repeats`` calls: wall-clock time, or with ``cpu`` the
    process's CPU time (user and system, page faults included).

    CPU time where a row runs in this process alone: on a shared machine the longer of two runs is the
    likelier to be taken off its core, so wall-clock time would favour the faster side.
    """
    clock = time.process_time if cpu else time.perf_counter
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def row(name: str, seconds: float | None, baseline: str | None, baseline_seconds: float | None,
        ratio: float | None, goal: float | None) -> dict[str, Any]:
    """One comparison, as every suite returns it (see the module's docstring)."""
    return {"name": name, "seconds": seconds, "baseline": baseline, "baseline_seconds": baseline_seconds,
            "ratio": ratio, "goal": goal}


def compared(name: str, fn: Callable[[], Any], baseline: str, base_fn: Callable[[], Any], goal: float | None,
             repeats: int, per: int = 1) -> dict[str, Any]:
    """``fn`` timed against ``base_fn`` (each called once first: imports, compiled kernels), wall-clock,
    the best of ``repeats``, per item of ``per``."""
    fn()
    base_fn()
    seconds = best_time(fn, repeats) / per
    base = best_time(base_fn, repeats) / per
    return row(name, seconds, baseline, base, base / seconds, goal)


def suites() -> dict[str, Any]:
    """Every benchmark suite: the studies', the plugins' and the core's, by name."""
    from distlab.host import get_registry

    return {**get_registry().benchmarks, **_CORE_SUITES}


def run_all(quick: bool = False, only: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Run every benchmark suite (or those whose name contains one of ``only``)."""
    from distlab.component import load_object

    rows: list[dict[str, Any]] = []
    for suite, ref in suites().items():
        if only and not any(o in suite for o in only):
            continue
        run = load_object(ref, f"benchmark suite {suite!r}")
        for row in run(quick):
            rows.append({"suite": suite, **row})
    return rows


def _fmt_s(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value * 1e6:10.2f} µs" if value < 1e-3 else f"{value * 1e3:10.2f} ms"


def _fmt_ratio(row: dict[str, Any]) -> str:
    # A row with neither a baseline time nor a goal compares with nothing: the 1.0 its suite puts in
    # ``ratio`` (kept in --json, whose rows are the suites' own) would read as "as fast as a baseline".
    ratio = row.get("ratio")
    if ratio is None or (row.get("baseline_seconds") is None and row.get("goal") is None):
        return "–"
    return f"{ratio:.2f}"


def main(args: Sequence[str] = ()) -> int:
    """Run the benchmarks and print every ratio; exit 0 (goals are reported, not enforced)."""
    parser = argparse.ArgumentParser(prog="distlab bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs (a smoke test, not the goals)")
    parser.add_argument("--only", action="append", default=[], help="run only suites matching this (repeatable)")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    opts = parser.parse_args(list(args))
    rows = run_all(quick=opts.quick, only=opts.only)
    print(f"distlab bench on {platform.processor() or platform.machine()}, python {platform.python_version()}"
          + (" (quick: smaller inputs; goals apply to the full run)" if opts.quick else ""))
    names = [f"{r['suite']}: {r['name']}" for r in rows]
    width = max([len(n) for n in names] + [9])
    print(f"{'benchmark':{width}}  {'time':>13}  {'baseline':>30}  {'ratio':>8}  {'goal':>5}  met")
    for name, r in zip(names, rows):
        goal = r.get("goal")
        met = "–" if goal is None else ("yes" if r["ratio"] >= goal else "NO")
        baseline = f"{r.get('baseline') or ''} {_fmt_s(r.get('baseline_seconds'))}"
        print(f"{name:{width}}  {_fmt_s(r['seconds']):>13}  {baseline:>30}  "
              f"{_fmt_ratio(r):>8}  {('' if goal is None else f'{goal:g}'):>5}  {met}")
    if opts.json:
        from pathlib import Path

        from distlab.store import write_json

        write_json(Path(opts.json), rows)
    return 0
