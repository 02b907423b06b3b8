"""Nothing lost: a sweep killed at chosen writes, then run again, reports every case once with the same numbers.

The kills are SIGKILLs the runner sends itself at a named point of a case's write (the test-only hook
``DISTLAB_KILL_AT=<point>[@<n>]``, see :func:`distlab.store.lock.kill_point`), in a real ``distlab -m``
subprocess; no handler, ``finally`` or atexit runs, as under the kernel's OOM killer.
"""

from __future__ import annotations

import shutil
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest
from testkit import run_cli

from distlab import store
from distlab.report import load_tables

SWEEP = ["-m", "study=toy", "shape=uniform,constant", "seed=0,1", "repeats=2"]
COLUMNS = ["case_id", "repeat", "trial_seed", "status", "value_mean", "value_max", "positive"]


def _numbers(sweep: Path) -> pl.DataFrame:
    return load_tables(sweep).results.select(COLUMNS).sort("case_id", "repeat")


def _notes(sweep: Path) -> list[str]:
    """The report's notes but the count of planned cases (said once the sweep records its plan)."""
    return [n for n in load_tables(sweep).notes if "planned cases have results" not in n]


def _run(args: list[str], env: dict[str, str], kill_at: str | None = None) -> int:
    env = {**env, store.KILL_ENV: kill_at} if kill_at else {k: v for k, v in env.items() if k != store.KILL_ENV}
    done = run_cli(args, env=env)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr[-2000:]
    return done.returncode


def _assert_whole(sweep: Path, baseline: pl.DataFrame) -> None:
    """Every case under ``sweep`` is complete and right, and reported once."""
    numbers = _numbers(sweep)
    assert numbers.select("case_id", "repeat").is_duplicated().sum() == 0
    assert numbers.equals(baseline.filter(pl.col("case_id").is_in(numbers["case_id"].unique().implode())))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, toy_env_module: dict[str, str]) -> pl.DataFrame:
    sweep = tmp_path_factory.mktemp("baseline")
    assert _run([*SWEEP, f"hydra.sweep.dir={sweep}"], toy_env_module) == 0
    numbers = _numbers(sweep)
    assert numbers.height == 8 and numbers["case_id"].n_unique() == 4
    return numbers


@pytest.fixture(scope="module")
def toy_env_module() -> dict[str, str]:
    """The toy plugin's environment for subprocesses (the shared toy_env fixture is per test)."""
    import os

    from testkit import FIXTURES

    path = os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path, "DISTLAB_PLUGINS": "toy_plugin"}


# Trials done and nothing written; between the results and provenance writes of the second case; every
# file staged, before the rename; renamed, before the temporaries are removed and the job linked.
KILLS = ["trial@3", "staged:results.parquet@2", "staged:provenance.json@3", "commit@1", "committed@2"]


def test_a_sweep_killed_anywhere_then_run_again_reports_every_case_once(
    tmp_path: Path, toy_env_module: dict[str, str], baseline: pl.DataFrame
) -> None:
    def scenario(kill_at: str) -> tuple[str, Path]:
        sweep = tmp_path / kill_at.replace(":", "_").replace("@", "_")
        args = [*SWEEP, f"hydra.sweep.dir={sweep}"]
        assert _run(args, toy_env_module, kill_at) == -signal.SIGKILL, kill_at
        return kill_at, sweep

    with ThreadPoolExecutor(2) as pool:
        killed = list(pool.map(scenario, KILLS))
    for kill_at, sweep in killed:
        # Before any re-run: whatever case is there is complete and right (or absent), never half.
        if any(sweep.glob("case-*")):
            _assert_whole(sweep, baseline)
    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(lambda ks: _run([*SWEEP, f"hydra.sweep.dir={ks[1]}"], toy_env_module), killed)) == [0] * len(
            killed)
    for kill_at, sweep in killed:
        assert _numbers(sweep).equals(baseline), kill_at
        assert _notes(sweep) == [], kill_at
        assert not list((sweep / store.STATE_DIR / "staging").iterdir()), kill_at  # temporaries cleaned
        assert sorted(p.name for p in sweep.iterdir() if p.name.startswith("case")) == sorted(
            f"case-{c}" for c in baseline["case_id"].unique())


@pytest.mark.parametrize("kill_at", ["commit@2", "committed@3"])
def test_a_forced_rerun_killed_midway_leaves_each_case_old_or_new_and_whole(
    tmp_path: Path, toy_env_module: dict[str, str], baseline: pl.DataFrame, kill_at: str
) -> None:
    sweep = tmp_path / "sweep"
    args = [*SWEEP, f"hydra.sweep.dir={sweep}"]
    assert _run(args, toy_env_module) == 0
    assert _run([*args, "force=true"], toy_env_module, kill_at) == -signal.SIGKILL
    assert _numbers(sweep).equals(baseline)  # no re-run needed: every case is the old one or the new one
    done = run_cli(args, env=toy_env_module)
    assert done.returncode == 0 and (done.stdout + done.stderr).count("already has results") == 4


def test_two_different_sweeps_into_one_directory_at_once_lose_nothing(
    tmp_path: Path, toy_env_module: dict[str, str], baseline: pl.DataFrame
) -> None:
    """Item 2: both sweeps number their jobs 0 and 1; neither case is overwritten or split."""
    sweep = tmp_path / "sweep"
    common = ["-m", "study=toy", "seed=0,1", "repeats=2", f"hydra.sweep.dir={sweep}"]
    for attempt in range(2):
        if attempt:
            shutil.rmtree(sweep)
        with ThreadPoolExecutor(2) as pool:
            codes = list(pool.map(lambda shape: _run([*common, f"shape={shape}"], toy_env_module),
                                  ["uniform", "constant"]))
        assert codes == [0, 0]
        assert _numbers(sweep).equals(baseline)
        assert _notes(sweep) == []
