"""Ctrl-C under the launchers that run jobs in other processes (issue 15, "in view"): one line, exit 130.

Ctrl-C reaches a command two ways. A terminal sends SIGINT to its whole process group at once. ``timeout -s INT``
(and anything that signals the command, then its group) sends it to the command first and to the group a moment
later: the main process gets it twice, and the second comes while the first one stops the launcher. Under joblib,
loky ends its workers by a ``pgrep -P`` child when psutil is missing, which that second SIGINT killed: loky's
manager thread died in a traceback and the sweep hung in ``waitpid``. Under submitit's local executor, each job's
controller process printed the traceback of its own ``KeyboardInterrupt``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

INTERRUPTED = "distlab: interrupted after "


def _interrupt(args: list[str], env: dict[str, str], *, command_first: float | None,
               sweep: Path | None = None) -> tuple[int, str, str]:
    """Run ``distlab ARGS`` in a session of its own; once its first job finished, send SIGINT to it and, after
    ``command_first`` seconds, to its process group (as ``timeout -s INT`` does), or to the group only (None, as a
    terminal's Ctrl-C does). Once it exited, no process may still name ``sweep`` in its command line. Returns the
    exit status, stdout and stderr."""
    exe = Path(sys.executable).with_name("distlab")
    proc = subprocess.Popen([str(exe), *args], env={**env, "DISTLAB_PROGRESS": "lines"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("distlab: [1/"):
            if command_first is not None:
                os.kill(proc.pid, signal.SIGINT)
                time.sleep(command_first)
            os.killpg(proc.pid, signal.SIGINT)
            break
    try:
        proc.wait(timeout=90)
        # The main process is gone: so must be any process of the sweep's (which would also hold its pipes open).
        left = _running_with(str(sweep)) if sweep is not None else []
        out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the interrupted sweep still ran after 90 s:\n{''.join(seen)}{err[-3000:]}")
    assert left == [], left
    return proc.returncode, out, "".join(seen) + err


def _assert_one_line(code: int, out: str, err: str) -> None:
    assert code == 130, err[-3000:]
    assert "Traceback" not in out + err and "Warning" not in out + err, err[-3000:]
    # stderr: distlab's lines and log lines (Hydra's "[2026-...][HYDRA] ..."), the interrupted line last.
    lines = err.strip().splitlines()
    assert lines[-1].startswith(INTERRUPTED), err[-3000:]
    assert [line for line in lines if not re.match(r"distlab: |\[\d{4}-\d\d-\d\d ", line)] == [], err[-3000:]


def test_loky_kills_workers_with_psutil() -> None:
    # Without psutil, loky's kill_process_tree runs `pgrep -P` children, which a group's Ctrl-C kills.
    from joblib.externals.loky.backend import utils

    assert utils.psutil is not None


# 3-20 ms is when loky's pgrep children ran without psutil (every try hung there); 0 and 0.2 s bracket it.
@pytest.mark.parametrize("delay", [0.0, 0.005, 0.02, 0.2])
def test_ctrl_c_to_the_command_then_its_group_under_joblib(tmp_path: Path, toy_env: dict[str, str],
                                                           delay: float) -> None:
    args = ["-m", "study=toy", "seed=range(0,6)", "repeats=1", "shape.sleep_s=0.1", "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    _assert_one_line(*_interrupt(args, toy_env, command_first=delay))


@pytest.mark.parametrize("command_first", [None, 0.01], ids=["group", "command-then-group"])
def test_ctrl_c_under_submitit_local_prints_no_controller_traceback(tmp_path: Path, toy_env: dict[str, str],
                                                                    command_first: float | None) -> None:
    pytest.importorskip("submitit", reason="the slurm extra is not installed (pip install -e '.[slurm]')")
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="the slurm extra is not installed")
    sweep = tmp_path / "sweep"
    # Every job starts at once (one controller each): those sleeping 3 s per draw still run at the first line.
    args = ["-m", "study=toy", "seed=range(0,3)", "repeats=1", "shape.sleep_s=0.1,3", "hydra/launcher=submitit_local",
            f"hydra.sweep.dir={sweep}"]
    # The controllers no Ctrl-C reaches (sessions of their own) end with the command, and their jobs with them.
    _assert_one_line(*_interrupt(args, toy_env, command_first=command_first, sweep=sweep / ".submitit"))


def _running_with(text: str) -> list[str]:
    """The command lines of this machine's processes that contain ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and text in cmdline:
            found.append(cmdline)
    return found


def test_a_sigint_again_within_the_window_is_the_same_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    from distlab.hydra import app

    def sigints(count: int, gap: float) -> int:
        """Send this process SIGINT ``count`` times, ``gap`` seconds apart; how many raised KeyboardInterrupt."""
        raised = 0
        for _ in range(count):
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # the handler runs here
            except KeyboardInterrupt:
                raised += 1
            time.sleep(gap)
        return raised

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with app._one_ctrl_c():
            assert sigints(3, 0.0) == 1  # timeout's, then its group's, then a person's second press
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # the command is ending: a late one is ignored
        assert sigints(1, 0.0) == 0

        signal.signal(signal.SIGINT, signal.default_int_handler)
        monkeypatch.setattr(app, "REPEAT_S", 0.1)
        with app._one_ctrl_c():
            assert sigints(2, 0.3) == 2  # past the window: a stop that hangs can be interrupted again

        signal.signal(signal.SIGINT, signal.default_int_handler)
        with app._one_ctrl_c():
            pass
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # no Ctrl-C: as it was
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
