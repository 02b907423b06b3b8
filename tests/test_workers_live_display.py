"""Workers stay off the terminal while the main process shows the live progress display (issue 15, "in view").

The main process sets ``DISTLAB_PROGRESS_LIVE=1`` while its live line is drawn (:mod:`distlab.hydra.progress`);
a launcher's worker in another process then removes its console log handlers as a job starts
(:func:`distlab.hydra.workers.quiet_console`), and the job's log file keeps its lines.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import run_cli

from distlab.hydra.workers import SweepTask, quiet_console

WORKER_LINE = "[distlab][INFO] - case "  # Hydra's job logging of distlab's "case ID: ok (DIR)"


@pytest.fixture
def handlers(tmp_path: Path) -> Iterator[dict[str, logging.Handler]]:
    """Console and file handlers on the root logger and on a named one; all removed afterwards."""
    made: dict[str, logging.Handler] = {
            "stdout": logging.StreamHandler(sys.stdout), "stderr": logging.StreamHandler(sys.stderr),
            "file": logging.FileHandler(tmp_path / "job.log"), "named_stdout": logging.StreamHandler(sys.stdout),
            "elsewhere": logging.StreamHandler(open(tmp_path / "other.txt", "w"))}  # noqa: SIM115 (closed below)
    root, named = logging.getLogger(), logging.getLogger("distlab-test-live")
    for key, handler in made.items():
        (named if key == "named_stdout" else root).addHandler(handler)
    yield made
    for handler in made.values():
        root.removeHandler(handler)
        named.removeHandler(handler)
        handler.close()


def test_quiet_console_removes_console_handlers_only(handlers: dict[str, logging.Handler]) -> None:
    quiet_console()
    root, named = logging.getLogger(), logging.getLogger("distlab-test-live")
    assert handlers["stdout"] not in root.handlers and handlers["stderr"] not in root.handlers
    assert handlers["named_stdout"] not in named.handlers
    assert handlers["file"] in root.handlers and handlers["elsewhere"] in root.handlers


@pytest.mark.parametrize(("live", "same_process", "quiet"), [("1", False, True), (None, False, False),
                                                               ("1", True, False)])
def test_a_worker_quiets_its_console_while_the_display_is_live(handlers: dict[str, logging.Handler],
                                                               monkeypatch: pytest.MonkeyPatch, live: str | None,
                                                               same_process: bool, quiet: bool) -> None:
    env = {"DISTLAB_SWEEP_PID": str(os.getpid())}
    if live is not None:
        env["DISTLAB_PROGRESS_LIVE"] = live
    for key in {*env, "DISTLAB_PLUGINS"}:  # the task sets its env in this process: monkeypatch undoes it
        monkeypatch.setenv(key, "placeholder")
    for key in [k for k in os.environ if k.startswith("DISTLAB_")]:
        monkeypatch.delenv(key)
    import socket

    # A task whose main process is another (a worker's), or this one (Hydra's basic launcher: the display's own).
    task = SweepTask(lambda cfg: "ran", os.getpid() if same_process else os.getpid() + 1, socket.gethostname(), env)
    monkeypatch.setattr("distlab.host.reset", lambda: None)
    assert task(None) == "ran"  # type: ignore[arg-type]
    assert (handlers["stdout"] not in logging.getLogger().handlers) is quiet
    assert handlers["file"] in logging.getLogger().handlers


def test_joblib_workers_log_to_their_job_files_only_while_live(tmp_path: Path, toy_env: dict[str, str]) -> None:
    args = ["-m", "study=toy", "seed=0,1", "repeats=1", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    plain = run_cli([*args, f"hydra.sweep.dir={tmp_path / 'plain'}"], env=toy_env)
    assert plain.returncode == 0, plain.stderr[-3000:]
    # Without the display, workers log to the console.
    assert (plain.stdout + plain.stderr).count(WORKER_LINE) == 2, plain.stderr
    live = run_cli([*args, f"hydra.sweep.dir={tmp_path / 'live'}"], env={**toy_env, "DISTLAB_PROGRESS_LIVE": "1"})
    assert live.returncode == 0, live.stderr[-3000:]
    assert WORKER_LINE not in live.stdout + live.stderr, live.stdout
    logs = [p.read_text() for p in (tmp_path / "live").rglob("*.log")]
    assert sum(text.count(WORKER_LINE) for text in logs) == 2, logs
