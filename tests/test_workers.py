"""Launcher workers that die (issue 9, item 7): a lost worker fails its case and the sweep goes on; workers
die with their parent.

The toy component's ``die`` parameter makes the process drawing SIGKILL itself, as the kernel's
out-of-memory killer would; ``sleep_s`` keeps a worker busy while the test kills the main process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from testkit import run_cli

from distlab.hydra.workers import LOST_ERROR

JOBLIB = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]


def _rows(sweep: Path) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(p) for p in sorted(sweep.glob("case-*/results.parquet"))], how="diagonal_relaxed")


def test_a_killed_worker_fails_its_case_and_the_sweep_goes_on(tmp_path: Path, toy_env: dict[str, str]) -> None:
    sweep = tmp_path / "sweep"
    # Lost cases first and in between, so that most of the sweep is still to run when a worker dies.
    args = ["-m", "study=toy", "seed=0,1,2", "shape.die=true,false", "repeats=2", *JOBLIB, f"hydra.sweep.dir={sweep}"]
    done = run_cli(args, env=toy_env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "TerminatedWorkerError" not in done.stderr, done.stderr[-3000:]
    rows = _rows(sweep)
    assert rows["case_id"].n_unique() == 6 and rows.height == 12  # every case stored, each once
    lost = rows.filter(pl.col("shape.die"))
    assert lost["status"].unique().to_list() == ["failed"]
    assert lost["error_type"].unique().to_list() == [LOST_ERROR]
    assert all("SIGKILL" in m and "out-of-memory" in m for m in lost["error_message"].to_list())
    assert rows.filter(~pl.col("shape.die"))["status"].unique().to_list() == ["ok"]

    # A re-run retries the lost cases like any failed case (they die again) and skips the finished ones.
    again = run_cli(args, env=toy_env)
    assert again.returncode == 0, again.stderr[-3000:]
    log = again.stdout + again.stderr
    assert log.count("already has results") == 3
    assert log.count("the worker process running this case died") == 3
    assert _rows(sweep).height == 12


def _descendants(pid: int) -> dict[int, str]:
    """Every descendant of ``pid`` with its start time (from /proc)."""
    found: dict[int, str] = {}
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                if child not in found and (start := _start(child)) is not None:
                    found[child] = start
                    stack.append(child)
    return found


def _start(pid: int) -> str | None:
    """The start time of a live (not zombie) process, or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in "ZX" else fields[19]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_their_parent(tmp_path: Path, toy_env: dict[str, str]) -> None:
    sweep = tmp_path / "sweep"
    # Two jobs of 5 x 3 s each on three workers: two busy ones and an idle one, all to end with the parent.
    exe = Path(sys.executable).with_name("distlab")
    command = [str(exe), "-m", "study=toy", "shape.sleep_s=3", "seed=0,1", "repeats=1", "hydra/launcher=joblib",
               "hydra.launcher.n_jobs=3", f"hydra.sweep.dir={sweep}"]
    main = subprocess.Popen(command, env=toy_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(list(sweep.glob(".distlab/jobs/*/*.started"))) < 2:
            assert time.monotonic() < deadline and main.poll() is None, "the jobs never started"
            time.sleep(0.05)
        workers = _descendants(main.pid)
        assert len(workers) >= 3  # the three workers (and loky's resource trackers, and the guardian)
    finally:
        os.kill(main.pid, signal.SIGKILL)
        main.wait()
    deadline = time.monotonic() + 5
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = {pid: start for pid, start in alive.items() if _start(pid) == start}
    for pid in alive:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"still running 5 s after the main process was killed: {sorted(alive)}"
    assert not list(sweep.glob("case-*"))  # 15 s per case: none finished, and the next run runs them
