"""Ctrl-C (issue 15, "in view"): a sweep stops with one line, what finished and how to resume, exit status 130."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

INTERRUPTED = re.compile(r"^distlab: interrupted after \d+\.\d s: (\d+) of 6 cases done "
                         r"\((\d+) ok, 0 failed, (\d+) skipped\); resume with: (distlab .*)$")


def _interrupt(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Start ``distlab ARGS``, send SIGINT to its process group (as a terminal's Ctrl-C does) once the first
    job finished, and return its exit status, stdout and stderr."""
    exe = Path(sys.executable).with_name("distlab")
    proc = subprocess.Popen([str(exe), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("distlab: [1/"):
            os.killpg(proc.pid, signal.SIGINT)
            break
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, "".join(seen) + err


@pytest.mark.parametrize("launcher", [[], ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]],
                         ids=["basic", "joblib"])
def test_ctrl_c_says_what_finished_and_how_to_resume(tmp_path: Path, toy_env: dict[str, str],
                                                     launcher: list[str]) -> None:
    sweep = tmp_path / "sweep"
    # Six cases of five draws × 0.1 s: the sweep is still running when the first case's line comes.
    args = ["-m", "study=toy", "seed=range(0,6)", "repeats=1", "shape.sleep_s=0.1", *launcher,
            f"hydra.sweep.dir={sweep}"]
    code, out, err = _interrupt(args, toy_env)
    assert code == 130, err[-3000:]
    assert "Traceback" not in err + out, err[-3000:]
    last = err.strip().splitlines()[-1]
    match = INTERRUPTED.match(last)
    assert match, err[-3000:]
    done, ok, skipped = (int(g) for g in match.groups()[:3])
    assert 1 <= done < 6 and ok + skipped == done
    resume = shlex.split(match.group(4))
    assert resume[1:] == [a for a in args if not a.startswith("hydra.sweep.dir=")] + [f"hydra.sweep.dir={sweep}"]
    finished = {p.name for p in sweep.glob("case-*") if (p / "results.parquet").is_file()}
    assert len(finished) >= ok

    # The command it names finishes the sweep, without running again the cases that finished.
    exe = Path(sys.executable).with_name("distlab")
    again = subprocess.run([str(exe), *resume[1:]], env=toy_env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    statuses = re.findall(r"^distlab: \[\d+/6\] case (\S+) (ok|skipped)", again.stderr, re.M)
    assert {case for case, status in statuses if status == "skipped"} == {n.removeprefix("case-") for n in finished}
    assert len(statuses) == 6 and "0 failed" in again.stderr.strip().splitlines()[-1]


def test_an_experiment_resumes_with_its_own_verb(tmp_path: Path) -> None:
    from distlab.hydra.app import _resume_command
    from distlab.hydra.preflight import Checked

    folder = str(tmp_path / "my experiment")
    checked = Checked(4, None, str(Path(folder) / "runs"))
    args = ["--multirun", "--config-dir", folder, "--config-name", "sweep", f"hydra.sweep.dir={folder}/runs",
            "hydra/launcher=joblib", f"hydra.sweep.dir='{folder}/runs'"]
    assert shlex.split(_resume_command(args, checked, "sweep", folder)) == ["distlab", "experiment", folder, "--resume",
                                                                             "hydra/launcher=joblib"]
    # A plain sweep: the same command, its directory pinned (quoted for Hydra where it has a space).
    plain = _resume_command(["-m", "seed=0,1"], checked, "config", None)
    assert shlex.split(plain) == ["distlab", "-m", "seed=0,1", f"hydra.sweep.dir='{folder}/runs'"]
