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


# Run in a child process: before the fix, each of these hung the interpreter or kept raising in it.
_AFTER_A_LIMIT_IN_A_THREAD = """
import sys, threading
from distlab.timelimit import TrialTimeout, time_limit

def limited(body):
    try:
        with time_limit(0.05):
            body()
    except TrialTimeout:
        pass

def spin():
    while True:
        pass

for body in (lambda: None, spin):  # a block that ends in time, and one stopped at the limit
    worker = threading.Thread(target=limited, args=(body,))
    worker.start()
    worker.join()

def traced():
    return 1

sys.settrace(lambda *args: None)  # what hypothesis's explain phase, coverage and debuggers do
traced()
sys.settrace(None)
print("ok")
"""


def test_a_limit_in_a_thread_leaves_the_interpreter_sound() -> None:
    """The watchdog's cleanup once cleared a not-yet-raised exception with PyThreadState_SetAsyncExc(id, NULL).

    On CPython 3.11 that call sets the interpreter's "asynchronous exception pending" flag even when it
    clears, and only the thread that takes an exception resets the flag; so it stayed set for good, every
    thread entered the pending-work check at every function call, and the first traced call (under
    sys.settrace, as in hypothesis's explain phase) looped on it forever: the next test hung.
    """
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _AFTER_A_LIMIT_IN_A_THREAD], capture_output=True, text=True,
                          timeout=WITHIN_S)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


_BLOCKS_AT_THE_LIMIT = """
import threading, time
from distlab.timelimit import REPEAT_S, TrialTimeout, time_limit

def blocks(report):
    for _ in range(300):  # limits that pass while the limit is being armed, or as the block ends
        try:
            with time_limit(1e-6):
                for _ in range(50):
                    pass
        except TrialTimeout:
            pass
    until = time.monotonic() + 1.5 * REPEAT_S  # past a repeat: nothing may raise outside the blocks
    try:
        while time.monotonic() < until:
            pass
    except BaseException as err:
        report.append(type(err).__name__)
        return
    report.append("ok")

report = []
worker = threading.Thread(target=blocks, args=(report,))
worker.start()
worker.join()
blocks(report)  # the main thread: SIGALRM
print(" ".join(report))
"""


def test_a_limit_that_passes_at_once_raises_in_its_block_only() -> None:
    """The timer and the watchdog were armed before the block's try: a limit passing that early raised
    outside it, the cleanup never ran, and the thread got TrialTimeout every REPEAT_S from then on."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _BLOCKS_AT_THE_LIMIT], capture_output=True, text=True,
                          timeout=WITHIN_S)
    assert done.returncode == 0 and done.stdout.split() == ["ok", "ok"], (done.stdout, done.stderr[-2000:])
