"""Progress of a sweep (issue 15, "in view"): one line on stderr per finished job, from the main process."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from testkit import run_cli

from distlab.hydra.progress import Progress

LINE = re.compile(r"^distlab: \[(\d+)/(\d+)\] case (\S+) (ok|failed|skipped)(.*)$", re.M)


def _lines(stderr: str) -> list[tuple[int, int, str, str, str]]:
    return [(int(k), int(n), case, status, rest) for k, n, case, status, rest in LINE.findall(stderr)]


def test_basic_launcher_prints_one_line_per_job_and_counts_skipped(tmp_path: Path, toy_env: dict[str, str]) -> None:
    sweep = tmp_path / "sweep"
    # seed=0 twice: three jobs, two distinct cases; the second seed=0 job finds its results (skipped).
    done = run_cli(["-m", "study=toy", "seed=0,1,0", "repeats=1", f"hydra.sweep.dir={sweep}"], env=toy_env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = _lines(done.stderr)
    assert [(k, n) for k, n, *_ in lines] == [(1, 3), (2, 3), (3, 3)], done.stderr[-3000:]
    assert [status for *_, status, _ in lines] == ["ok", "ok", "skipped"]
    assert re.match(r" in \d+\.\d s; (about \d+ s|under a second) left$", lines[0][4]), lines[0]
    assert lines[-1][4].endswith("all jobs finished")
    assert lines[2][2] == lines[0][2]  # the same case

    again = run_cli(["-m", "study=toy", "seed=0,1,0", "repeats=1", f"hydra.sweep.dir={sweep}"], env=toy_env)
    assert [(k, status) for k, _, _, status, _ in _lines(again.stderr)] == [(1, "skipped"), (2, "skipped"),
                                                                             (3, "skipped")]


def test_joblib_lines_come_while_the_sweep_runs(tmp_path: Path, toy_env: dict[str, str]) -> None:
    exe = Path(sys.executable).with_name("distlab")
    # Each case sleeps 5 × 0.12 s: two rounds of two parallel jobs.
    command = [str(exe), "-m", "study=toy", "seed=0,1,2,3", "repeats=1", "shape.sleep_s=0.12", "hydra/launcher=joblib",
               "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    proc = subprocess.Popen(command, env=toy_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen: list[tuple[float, str]] = []
    for line in proc.stderr:
        seen.append((time.monotonic(), line))
    assert proc.wait(timeout=120) == 0, "".join(line for _, line in seen)[-3000:]
    end = time.monotonic()
    text = "".join(line for _, line in seen)
    lines = _lines(text)
    assert [(k, n) for k, n, *_ in lines] == [(1, 4), (2, 4), (3, 4), (4, 4)], text[-3000:]
    assert {status for *_, status, _ in lines} == {"ok"}
    assert len({case for _, _, case, _, _ in lines}) == 4
    first = next(t for t, line in seen if line.startswith("distlab: [1/4]"))
    assert end - first > 0.3, "the first job's line came only at the end of the sweep"  # read while it ran


def test_the_switch_turns_it_off(tmp_path: Path, toy_env: dict[str, str]) -> None:
    env = {**toy_env, "DISTLAB_PROGRESS": "0"}
    done = run_cli(["-m", "study=toy", "seed=0,1", "repeats=1", f"hydra.sweep.dir={tmp_path / 's'}"], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "distlab: [" not in done.stderr
    assert len(list((tmp_path / "s").glob("case-*"))) == 2


def test_time_left_uses_the_jobs_running_in_parallel() -> None:
    import io

    out = io.StringIO()
    progress = Progress(10, out=out)
    progress.parallel = 2
    progress.finished(0, {"case_id": "a", "status": "ok", "seconds": 4.0})
    progress.finished(0, {"case_id": "a", "status": "ok", "seconds": 4.0})  # counted once
    progress.finished(1, {"case_id": "b", "status": "skipped", "seconds": 0.01})  # costs nothing
    assert out.getvalue().splitlines() == [
        "distlab: [1/10] case a ok in 4.0 s; about 18 s left",  # 9 jobs × 4 s / 2
        "distlab: [2/10] case b skipped (already finished); about 16 s left",
    ]


def test_on_a_terminal_a_live_line_counts_the_jobs_and_failures_get_a_line_of_their_own(monkeypatch) -> None:
    import io
    import os

    from distlab.hydra.progress import LIVE_ENV

    monkeypatch.delenv(LIVE_ENV, raising=False)
    out = io.StringIO()
    progress = Progress(3, out=out, live=True)
    progress.start()
    assert os.environ.get(LIVE_ENV) == "1"  # launcher workers in other processes inherit it
    progress.finished(0, {"case_id": "a", "status": "ok", "seconds": 1.0})
    progress.finished(1, {"case_id": "b", "status": "failed", "seconds": 2.0})
    progress.finished(2, {"case_id": "c", "status": "skipped", "seconds": 0.0})
    progress.stop()
    assert LIVE_ENV not in os.environ
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())  # the terminal's control sequences
    assert "3/3" in text and "1 ok, 1 failed, 1 skipped" in text and "all jobs finished" in text
    assert "distlab: [2/3] case b failed in 2.0 s" in text  # a failure is printed above the display
    assert "case a ok" not in text and "case c skipped" not in text  # no line per job
    assert progress.summary(None).startswith("distlab: sweep done in ") and "(3 cases)" in progress.summary(None)


def _on_a_terminal(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` with a pseudo-terminal as its stdout and stderr (80 columns); its exit status and output."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end closed: the command has ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))


def test_a_sweep_on_a_terminal_shows_the_live_line_and_lines_on_request(tmp_path: Path, toy_env: dict[str, str]) -> None:
    exe = Path(sys.executable).with_name("distlab")
    sweep = ["-m", "study=toy", "seed=0,1,2", "repeats=1"]
    code, text = _on_a_terminal([str(exe), *sweep, f"hydra.sweep.dir={tmp_path / 'a'}"], toy_env)
    assert code == 0, text[-3000:]
    assert "3/3" in text and "3 ok, 0 failed, 0 skipped" in text, text[-3000:]
    assert not _lines(text.replace("\r", "\n")), text[-3000:]  # the display, not a line per job
    assert "distlab: sweep done in " in text and "(3 cases)" in text
    assert "][distlab][INFO] - case " in text  # the jobs' log lines still reach the terminal, above the display

    code, text = _on_a_terminal([str(exe), *sweep, f"hydra.sweep.dir={tmp_path / 'b'}"],
                                {**toy_env, "DISTLAB_PROGRESS": "lines"})
    assert code == 0, text[-3000:]
    assert [(k, n) for k, n, *_ in _lines(text.replace("\r", ""))] == [(1, 3), (2, 3), (3, 3)], text[-3000:]


def test_a_failed_case_kept_from_an_earlier_run_says_so_with_no_time() -> None:
    import io

    out = io.StringIO()
    progress = Progress(2, out=out, live=False)
    progress.finished(0, {"case_id": "a", "status": "failed", "seconds": None, "kept": True})
    assert out.getvalue().splitlines() == [
        "distlab: [1/2] case a failed before; kept, not run again (retry_failed=true runs it)"]
    assert progress.counts() == "0 ok, 1 failed, 0 skipped"  # the report counts it as failed either way
