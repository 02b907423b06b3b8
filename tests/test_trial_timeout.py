"""The per-trial wall-clock limit (issue 15): a component that never finishes becomes a failed trial.

The looping component (tests/fixtures/looping_plugin.py) spins in Python, blocks in one long sleep, or
swallows the first exception it meets; each must end as a failed trial with the limit named, in the
main thread (SIGALRM), in another thread (the watchdog), and under the basic and joblib launchers.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from testkit import run_cli

from distlab import store
from distlab.case import resolve_case
from distlab.errors import ParameterError
from distlab.host import load_registry
from distlab.runner import FAILED, OK, RunOptions, run_case, run_options
from distlab.timelimit import TrialTimeout, time_limit

# Generous: the tests show that a hung trial ends, not how fast (the machine is shared and slow).
WITHIN_S = 30.0


@pytest.fixture
def registry():
    import looping_plugin
    import toy_plugin

    return load_registry(autoload=False, plugins=[], modules=[toy_plugin, looping_plugin])


def _spin(registry, mode: str = "busy", repeats: int = 2, **params: Any):
    config = {"study": "toy", "seed": 1, "repeats": repeats, "world": {}, "shape": {"mode": mode, **params}}
    return resolve_case(config, {"shape": "spin"}, registry)


def _rows(outcome) -> pl.DataFrame:
    return pl.read_parquet(outcome.job_dir / store.RESULTS)


@pytest.mark.parametrize("mode", ["busy", "sleep", "stubborn"])
def test_a_trial_that_never_finishes_fails_at_the_limit(tmp_path: Path, registry, mode: str) -> None:
    began = time.monotonic()
    outcome = run_case(_spin(registry, mode), tmp_path / "job", trial_timeout_s=0.2)
    assert time.monotonic() - began < WITHIN_S
    assert outcome.status == FAILED
    rows = _rows(outcome)
    assert rows["status"].to_list() == [FAILED, FAILED]
    assert rows["error_type"].to_list() == ["TrialTimeout", "TrialTimeout"]
    message = rows["error_message"][0]
    assert "trial_timeout_s=0.2 s" in message and "trial_timeout_s=SECONDS" in message and "null" in message
    prov = json.loads((outcome.job_dir / store.PROVENANCE).read_text())
    assert prov["status"] == FAILED and prov["trials"] == {OK: 0, FAILED: 2}


def test_trials_before_the_hang_keep_their_rows(tmp_path: Path, registry) -> None:
    """The limit is per trial: trials that finish are ok, only the hung one fails."""
    # after_draws=5: each trial's component is new, so every trial draws 5 times and finishes.
    outcome = run_case(_spin(registry, after_draws=5), tmp_path / "job", trial_timeout_s=5.0)
    assert outcome.status == OK and set(_rows(outcome)["status"]) == {OK}


def test_the_limit_works_outside_the_main_thread(tmp_path: Path, registry) -> None:
    """A launcher that runs jobs in threads: no SIGALRM there, the watchdog raises in the trial's thread."""
    outcomes: list[Any] = []
    worker = threading.Thread(target=lambda: outcomes.append(run_case(_spin(registry), tmp_path / "job",
                                                                      trial_timeout_s=0.2)))
    worker.start()
    worker.join(WITHIN_S)
    assert not worker.is_alive(), "the trial in a thread was not stopped"
    assert outcomes[0].status == FAILED and _rows(outcomes[0])["error_type"].to_list() == ["TrialTimeout"] * 2


def test_no_limit_leaves_no_timer_behind() -> None:
    import signal

    with time_limit(None):
        pass
    with time_limit(5.0):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)
    time.sleep(0.01)  # a late alarm would raise here


def test_the_limit_raises_in_the_block_only() -> None:
    with pytest.raises(TrialTimeout):
        with time_limit(0.05):
            while True:
                pass
    time.sleep(1.2)  # the repeat interval passed: nothing raised after the block


def test_off_by_default_in_single_runs() -> None:
    assert run_options({}) == RunOptions(force=False, retry_failed=False, trial_timeout_s=None, hostname=True)
    assert run_options({"trial_timeout_s": 90}).trial_timeout_s == 90.0


@pytest.mark.parametrize("key, value", [("trial_timeout_s", 0), ("trial_timeout_s", -1.0), ("trial_timeout_s", "1m"),
                                        ("trial_timeout_s", True), ("trial_timeout_s", float("inf")),
                                        ("retry_failed", "yes"), ("force", 1), ("provenance", 3),
                                        ("provenance", {"hostname": "no"}), ("provenance", {"host": False})])
def test_bad_run_options_are_refused_with_what_is_allowed(key: str, value: Any) -> None:
    with pytest.raises(ParameterError) as err:
        run_options({key: value})
    assert key in str(err.value) and "Allowed" in str(err.value)


def test_experiments_set_a_limit() -> None:
    """On in experiments: every committed experiment's sweep config sets trial_timeout_s."""
    import yaml

    root = Path(__file__).resolve().parents[1] / "experiments"
    sweeps = sorted(root.glob("*/sweep.yaml"))
    assert sweeps
    for sweep in sweeps:
        limit = yaml.safe_load(sweep.read_text()).get("trial_timeout_s")
        assert isinstance(limit, (int, float)) and limit > 0, sweep


@pytest.mark.parametrize("launcher", [[], ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]],
                         ids=["basic", "joblib"])
def test_a_sweep_with_a_hung_case_finishes(tmp_path: Path, toy_env: dict[str, str], launcher: list[str]) -> None:
    env = {**toy_env, "DISTLAB_PLUGINS": "toy_plugin,looping_plugin"}
    sweep = tmp_path / "sweep"
    began = time.monotonic()
    done = run_cli(["-m", "study=toy", "shape=spin,uniform", "repeats=1", "trial_timeout_s=1", *launcher,
                    f"hydra.sweep.dir={sweep}"], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert time.monotonic() - began < 120
    rows = pl.concat([pl.read_parquet(p) for p in sorted(sweep.glob("case-*/results.parquet"))],
                     how="diagonal_relaxed")
    assert sorted(zip(rows["shape.mode"].fill_null("-"), rows["status"], rows["error_type"].fill_null("-"))) == \
        [("-", OK, "-"), ("busy", FAILED, "TrialTimeout")]
    records = [json.loads(p.read_text()) for p in sweep.glob("case-*/provenance.json")]
    assert {r["launcher"] for r in records} == {"joblib" if launcher else "basic"}
