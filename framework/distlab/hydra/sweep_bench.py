"""Benchmark of a sweep's framework overhead: distlab against a bare ``@hydra.main`` app, side by side.

Both run the same multirun (``seed=range(0,N) repeats=1``) of a trivial job, as commands in fresh
processes, the way a user runs them:

- distlab runs a study this module writes into a temporary folder (:data:`NOOP_PLUGIN`: one kind, one
  component, a trial that returns a constant), so the time is distlab's and Hydra's, not a study's;
- the bare app (:data:`BARE_APP`) is a task function that does nothing, under Hydra's basic sweeper and
  launcher, with a structured config of the same run-level keys.

The cost per job is the slope of wall time against the number of jobs, ``(T(N2) - T(N1)) / (N2 - N1)``,
so start-up (imports, preflight of a few cases) cancels out; each T is the best of a few runs. Wall time
is what a user waits; CPU time (user and system, of the command's processes) is shown beside it because a
shared machine's load inflates wall time by more than the work done. The ratio is bare Hydra's cost per job over distlab's (the issue's goal: distlab at
most 1.0× bare Hydra's, a ratio of at least 1). distlab with ``hydra/sweeper=basic`` (Hydra's sweeper,
which composes every case again before the first job) is measured beside it: what distlab's sweeper saves.

The time to the first job of a 10,000-case sweep is from the command's start to the first job's progress
line (so it includes that job), after which the sweep is interrupted (Ctrl-C, SIGINT).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["BARE_APP", "NOOP_PLUGIN", "run"]

GOAL_FIRST_JOB_S = 60.0
"""The issue's goal: the first job of a 10,000-case sweep starts within a minute."""

NOOP_PLUGIN = '''
"""A study whose trial does nothing: distlab's own cost per case, for distlab bench."""
import dataclasses
from typing import Any, Protocol

from distlab import Kind, Metric, Study, TrialResult, hookimpl, param


class Part(Protocol):
    """Nothing to do."""


@dataclasses.dataclass(frozen=True)
class NoopWorld:
    """No world."""

    size: int = param(1, "unused", ge=1)


@dataclasses.dataclass(frozen=True)
class NothingParams:
    """No parameters."""

    unused: int = param(0, "unused")


class Nothing:
    def __init__(self, params: NothingParams) -> None:
        self.params = params


def run_trial(world: NoopWorld, components: dict[str, Any], seed: int) -> TrialResult:
    return TrialResult({"value": float(world.size)})


STUDY = Study(name="noop", doc="a trial that does nothing", world=NoopWorld,
              kinds=(Kind("part", Part, "nothing"),), defaults={"part": "nothing"},
              metrics=(Metric("value", "a constant"),), runner=run_trial, treatment="part")


@hookimpl
def register_components(registrar: Any) -> None:
    registrar.add_study(STUDY)
    registrar.register("part", "nothing", NothingParams, Nothing, doc="does nothing")
'''
"""The trivial study distlab runs (written to a temporary folder and loaded with ``DISTLAB_PLUGINS``)."""

BARE_APP = '''
import dataclasses

import hydra
from hydra.core.config_store import ConfigStore


@dataclasses.dataclass
class Config:
    seed: int = 0
    repeats: int = 1


ConfigStore.instance().store(name="config", node=Config)


@hydra.main(version_base=None, config_name="config")
def main(cfg):
    return None


if __name__ == "__main__":
    main()
'''
"""The bare Hydra app: the same keys, a task that does nothing."""


_APPS = ("bare", "distlab", "basic")  # the bare Hydra app; distlab; distlab with hydra/sweeper=basic


def _env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["DISTLAB_PLUGINS"] = "noop_plugin"
    env["DISTLAB_PROGRESS"] = "0"
    return env


def _distlab() -> list[str]:
    exe = Path(sys.executable).with_name("distlab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "distlab"]


def _command(who: str, folder: Path, jobs: int, run: int) -> list[str]:
    sweep = f"hydra.sweep.dir={folder / f'{who}-{jobs}-{run}'}"
    axes = [f"seed=range(0,{jobs})", "repeats=1"]
    if who == "bare":
        return [sys.executable, str(folder / "bare_app.py"), "-m", *axes, sweep]
    extra = ["hydra/sweeper=basic"] if who == "basic" else []
    return [*_distlab(), "-m", "study=noop", *axes, *extra, sweep]


def _seconds(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The command's wall time and CPU time (user and system, of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _per_job(folder: Path, env: dict[str, str], few: int, many: int, runs: int) -> dict[tuple[str, str], float]:
    """Seconds per job of each app, wall and CPU: the slope between ``few`` and ``many`` jobs, the best of ``runs``."""
    best: dict[tuple[str, str, int], float] = {}
    for run in range(runs):
        for who in _APPS:  # interleaved, so that a noisy second hits all alike
            for jobs in (few, many):
                for clock, seconds in zip(("wall", "cpu"), _seconds(_command(who, folder, jobs, run), env)):
                    best[who, clock, jobs] = min(best.get((who, clock, jobs), seconds), seconds)
    return {(who, clock): (best[who, clock, many] - best[who, clock, few]) / (many - few)
            for who in _APPS for clock in ("wall", "cpu")}


def _first_job(folder: Path, env: dict[str, str], cases: int) -> float:
    """Seconds from the command's start to the first job's progress line, in a sweep of ``cases`` cases."""
    command = [*_distlab(), "-m", "study=noop", f"seed=range(0,{cases})", "repeats=1",
               f"hydra.sweep.dir={folder / f'first-{cases}'}"]
    start = time.perf_counter()
    proc = subprocess.Popen(command, env={**env, "DISTLAB_PROGRESS": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stderr is not None
    seconds = None
    for line in proc.stderr:
        if line.startswith("distlab: [1/"):
            seconds = time.perf_counter() - start
            break
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the rest of the sweep is not the benchmark's
    proc.communicate(timeout=300)
    if seconds is None:
        raise RuntimeError(f"{' '.join(command)} ran no job (exit status {proc.returncode})")
    return seconds


def _per_job_row(name: str, seconds: float, bare: float, goal: float | None) -> dict[str, Any]:
    """A per-job row; a slope that is not positive (the noise of a short, loaded run exceeded the cost per
    job, as ``--quick`` can see) is said to be unmeasured rather than printed as a negative time."""
    if seconds <= 0 or bare <= 0:
        return {"name": f"{name}: not measured (this run's noise exceeded the cost per job; run without --quick)",
                "seconds": None, "baseline": "bare @hydra.main", "baseline_seconds": None, "ratio": None,
                "goal": None}
    return {"name": name, "seconds": seconds, "baseline": "bare @hydra.main", "baseline_seconds": bare,
            "ratio": bare / seconds, "goal": goal}


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Cost per job of distlab and bare Hydra (slope from 4 to 24 jobs; 2 to 8 with ``quick``), and the time to
    the first job of 10,000 cases (1,000 with ``quick``)."""
    few, many, runs = (2, 8, 2) if quick else (4, 24, 3)
    cases = 1_000 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="distlab-sweep-bench-") as tmp:
        folder = Path(tmp)
        (folder / "noop_plugin.py").write_text(NOOP_PLUGIN)
        (folder / "bare_app.py").write_text(BARE_APP)
        env = _env(folder)
        per_job = _per_job(folder, env, few, many, runs)
        first = _first_job(folder, env, cases)
    rows = []
    for clock, what in (("wall", "wall time"), ("cpu", "CPU time")):
        bare, ours, basic = (per_job[who, clock] for who in _APPS)
        rows += [_per_job_row(f"{what} per trivial job ({few} to {many} jobs)", ours, bare, 1.0),
                 _per_job_row(f"{what} per trivial job, hydra/sweeper=basic ({few} to {many} jobs)", basic, bare, None)]
    rows.append({"name": f"time to the first job, {cases:,} cases", "seconds": first,
                 "baseline": f"goal {GOAL_FIRST_JOB_S:g} s", "baseline_seconds": GOAL_FIRST_JOB_S,
                 "ratio": GOAL_FIRST_JOB_S / first, "goal": 1.0 if not quick else None})
    return rows
