"""Progress of a sweep, printed by its main process: one line on stderr per finished job.

    distlab: [3/8] case 1a2b3c4d5e6f ok in 2.1 s; about 6 s left
    distlab: [4/8] case 9f8e7d6c5b4a skipped (already finished); about 6 s left

``N`` is the number of jobs Hydra launches (``Checked.total``: one per combination of the sweep), not
the number of distinct cases: two combinations that resolve to one case are two jobs (the second one
usually finds the case's results and is counted as skipped). ``k`` counts finished jobs, each once.
The time left is the mean time of the cases that ran (ok or failed; skipped ones cost nothing) times
the jobs left, divided by the number of jobs that run in parallel (``hydra.launcher.n_jobs`` for
joblib, 1 for Hydra's basic launcher, else the most jobs seen running at once).

How the main process learns that a job finished:

- under Hydra's basic launcher the job runs in the main process: :func:`distlab.hydra.workers.job_finished`
  calls :func:`report` there;
- under a launcher with worker processes (joblib), each job writes a ``<num>.done`` marker (with its case
  id, status and seconds) in ``<sweep dir>/.distlab/jobs/<main pid>/``: a daemon thread of the main
  process (:class:`Progress`) reads that folder every :data:`POLL_S`, and the launcher wrapper reads it a
  last time before it removes the folder. The thread only lists a folder and reads small files, so it
  never slows a job; it stops when the sweep ends.

Where stderr is a terminal, the sweep is shown instead as one live line at the bottom, drawn by rich
(:class:`Live`): jobs done out of the total, ok / failed / skipped counts, elapsed time and the time left,
with each failed job's line printed above it as it happens. While it is shown, the main process's
output and its log handlers on the terminal are written through rich (above the live line), and
``DISTLAB_PROGRESS_LIVE=1`` tells launcher workers in other processes to keep their console log
lines out of the terminal (their job logs keep them).

``DISTLAB_PROGRESS=0`` (or ``false``, ``no``, ``off``) turns both off; ``DISTLAB_PROGRESS=lines`` prints
the per-job lines on a terminal too. The jobs are counted either way, for the sweep's last line
(:meth:`Progress.summary`, or :meth:`Progress.interrupted` after Ctrl-C):

    distlab: sweep done in 42.0 s: 6 ok, 1 failed, 1 skipped (8 cases); report: distlab report multirun/2026-11-30/12-00-00
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from distlab.status import FAILED, OK, SKIPPED

__all__ = ["ENV", "LIVE_ENV", "POLL_S", "Live", "Progress", "current", "enabled", "report", "stream_handlers",
           "tracking"]

ENV = "DISTLAB_PROGRESS"
"""``DISTLAB_PROGRESS=0`` (or ``false``, ``no``, ``off``) turns progress off; ``lines`` prints one line per
job on a terminal too (instead of the live display)."""

LIVE_ENV = "DISTLAB_PROGRESS_LIVE"
"""Set to ``1`` while the live display is shown, for the launcher's workers (see the module's docstring)."""

POLL_S = 0.5
"""How often the main process reads the done markers of its launcher's workers."""

_current: Progress | None = None


def enabled() -> bool:
    """Whether progress is wanted (:data:`ENV`)."""
    return os.environ.get(ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def _live_wanted(out: TextIO) -> bool:
    """Whether to draw the live display on ``out``: a terminal, unless :data:`ENV` asks for lines."""
    if os.environ.get(ENV, "1").strip().lower() == "lines":
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: lines are always safe
        return False


def report(num: int, case_id: str, status: str, seconds: float | None, *, kept: bool = False) -> None:
    """Job ``num`` finished in this process (the basic launcher's jobs, a lost worker's case): count it.

    ``kept``: a failed case kept from an earlier run (it failed deterministically), not run again.
    """
    progress = _current
    if progress is not None and progress.pid == os.getpid():
        progress.finished(num, {"case_id": case_id, "status": status, "seconds": seconds, "kept": kept})


def _cases(n: int) -> str:
    """``1 case``, ``10,000 cases``."""
    from distlab.report.units import counted  # at the sweep's end only: the report's package stays out of start-up

    return counted(n, "case")


def _wall(seconds: float) -> str:
    """A command's wall time: ``4.2 s`` under a minute, else as :func:`_duration`."""
    return f"{seconds:.1f} s" if seconds < 59.95 else _duration(seconds)


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 10 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


def stream_handlers() -> list[tuple[logging.Logger, logging.StreamHandler[Any]]]:
    """Every logger's handlers that write to a stream, not a file (Hydra configures its own and each job's)."""
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    return [(lg, h) for lg in loggers for h in lg.handlers
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)]


class Live:
    """A sweep's live display on a terminal: one line at the bottom, redrawn by rich as jobs finish.

    While it is shown, whatever this process writes to its standard output or error, through ``print``
    or through a log handler, is written by rich above the line (otherwise the two would overwrite each
    other); and :data:`LIVE_ENV` is set, which launcher workers in other processes inherit.

    Args:
        total: the number of jobs.
        out: the terminal (stderr).
        force_terminal: draw as on a terminal whatever ``out`` is (for tests).
    """

    def __init__(self, total: int, out: TextIO, *, force_terminal: bool = False) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        # soft_wrap: lines printed above the display (log lines) are left for the terminal to wrap, whole.
        console = Console(file=out, force_terminal=True if force_terminal else None, highlight=False, soft_wrap=True)
        # About 76 columns at most with a short time left: it fits an 80-column terminal.
        self.bar = Bar(BarColumn(bar_width=20), MofNCompleteColumn(),
                       TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("{task.fields[left]}"),
                       console=console, redirect_stdout=True, redirect_stderr=True, refresh_per_second=4)
        self.task = self.bar.add_task("sweep", total=total, counts="", left="")
        self._swapped: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._env: str | None = None

    def start(self) -> None:
        """Show the line, and send this process's terminal output through rich."""
        before = {id(sys.stdout): "stdout", id(sys.stderr): "stderr"}
        self.bar.start()
        for _, handler in stream_handlers():  # handlers made before hold the streams themselves, not sys.*
            which = before.get(id(handler.stream))
            if which is not None:
                self._swapped.append((handler, handler.stream))
                handler.setStream(getattr(sys, which))
        self._env = os.environ.get(LIVE_ENV)
        os.environ[LIVE_ENV] = "1"

    def update(self, done: int, counts: str, left: str) -> None:
        """Redraw with ``done`` jobs finished, the counts by status and the time left."""
        self.bar.update(self.task, completed=done, counts=counts, left=left)

    def note(self, line: str) -> None:
        """Print ``line`` above the live line (a failed job, say)."""
        self.bar.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def stop(self) -> None:
        """Leave the line as it last was, and give the terminal back."""
        with contextlib.suppress(Exception):  # a display must never end a sweep
            self.bar.stop()
        for handler, stream in self._swapped:
            with contextlib.suppress(Exception):
                handler.setStream(stream)
        self._swapped.clear()
        if self._env is None:
            os.environ.pop(LIVE_ENV, None)
        else:
            os.environ[LIVE_ENV] = self._env


class Progress:
    """Counts a sweep's finished jobs, and shows them: a live line on a terminal, else one line per job.

    Args:
        total: the number of jobs Hydra launches.
        out: where it is shown (stderr).
        lines: show the jobs (else only count them, for the summary).
        began: when the command started (``time.monotonic()``), for the wall time; now by default.
        live: draw the live display (None: where ``out`` is a terminal, see :data:`ENV`; True on any
            ``out`` is for tests).
    """

    def __init__(self, total: int, out: TextIO | None = None, *, lines: bool = True,
                 began: float | None = None, live: bool | None = None) -> None:
        self.total = total
        self.out = out
        self.lines = lines  # show the jobs (else only counted)
        stream = out or sys.stderr
        self._live: Live | None = None
        if lines and (live or (live is None and _live_wanted(stream))):
            with contextlib.suppress(Exception):  # no display rather than no sweep
                self._live = Live(total, stream, force_terminal=bool(live))
        self.began = time.monotonic() if began is None else began
        self.statuses: dict[str, int] = {}  # finished jobs by status
        self.pid = os.getpid()
        self.parallel: int | None = None  # jobs run at once, when the launcher says
        self.folder: Path | None = None
        self._seen: set[int] = set()
        self._times: list[float] = []
        self._running_max = 1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- told by the launcher wrapper -------------------------------------------------------------

    def launching(self, folder: Path, parallel: int | None) -> None:
        """A launch begins: its workers mark their jobs in ``folder``; ``parallel`` jobs run at once."""
        with self._lock:
            self.folder = folder
            if parallel is not None:
                self.parallel = max(1, parallel)

    def poll(self, folder: Path | None = None) -> None:
        """Count the jobs whose done markers are in ``folder`` (the current launch's by default)."""
        from distlab.hydra.markers import read_markers

        folder = folder or self.folder
        if folder is None:
            return
        markers = read_markers(folder, skip=self._seen)
        running = len(markers.started - markers.done)
        for num, record in markers.records.items():
            self.finished(num, record)
        self._running_max = max(self._running_max, running)

    # -- counting and printing --------------------------------------------------------------------

    def finished(self, num: int, record: dict[str, Any]) -> None:
        """Job ``num`` finished (``record``: its ``case_id``, ``status`` and ``seconds``); print its line once."""
        with self._lock:
            if num in self._seen:
                return
            self._seen.add(num)
            k = len(self._seen)
            status = str(record.get("status", "?"))
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if not self.lines:
                return
            case_id = record.get("case_id", "?")
            seconds = record.get("seconds")
            if status == SKIPPED:
                what = f"case {case_id} skipped (already finished)"
            elif record.get("kept"):
                what = f"case {case_id} {status} before; kept, not run again (retry_failed=true runs it)"
            else:
                what = f"case {case_id} {status}"
                if isinstance(seconds, (int, float)):
                    self._times.append(float(seconds))
                    what += f" in {seconds:.1f} s"
            left = self.total - k
            estimate = ""
            if left <= 0:
                tail = "; all jobs finished"
            elif self._times:
                parallel = min(self.parallel or self._running_max, left)
                remaining = sum(self._times) / len(self._times) * left / parallel
                estimate = f"about {_duration(remaining)} left" if remaining >= 0.5 else "under a second left"
                tail = f"; {estimate}"
            else:
                tail = ""
            if self._live is not None:
                if status == FAILED:  # a failure is worth a line of its own, above the display
                    self._live.note(f"distlab: [{k}/{self.total}] {what}")
                self._live.update(k, self._counts_locked(), estimate or ("all jobs finished" if left <= 0 else ""))
                return
            out = self.out or sys.stderr
            with contextlib.suppress(OSError, ValueError):
                out.write(f"distlab: [{k}/{self.total}] {what}{tail}\n")
                out.flush()

    # -- the last line ----------------------------------------------------------------------------

    @property
    def done(self) -> int:
        """How many jobs finished (ok, failed or skipped)."""
        return len(self._seen)

    def counts(self) -> str:
        """``6 ok, 1 failed, 1 skipped`` (and any other status a job returned)."""
        with self._lock:
            return self._counts_locked()

    def _counts_locked(self) -> str:
        counts = dict(self.statuses)
        parts = [f"{counts.pop(status, 0):,} {status}" for status in (OK, FAILED, SKIPPED)]
        parts += [f"{n:,} {status}" for status, n in sorted(counts.items())]
        return ", ".join(parts)

    def summary(self, sweep_dir: str | None, *, report: str | None = None) -> str:
        """The sweep's last line: counts by status, wall time and the command that makes the report.

        Args:
            sweep_dir: the sweep directory (Hydra's ``hydra.sweep.dir``), if known.
            report: what to say after "report:" instead of ``distlab report SWEEP_DIR``, for a caller that
                makes the report itself or deletes the sweep directory; "" says nothing.
        """
        wall = _wall(time.monotonic() - self.began)
        line = f"distlab: sweep done in {wall}: {self.counts()} ({_cases(self.total)})"
        if self.done < self.total:
            line += f"; {self.total - self.done:,} did not report"
        if report is None and sweep_dir:
            report = f"distlab report {shlex.quote(sweep_dir)}"
        if report:
            line += f"; report: {report}"
        return line

    def interrupted(self, resume: str | None) -> str:
        """The line after Ctrl-C: what finished, and the command that goes on where the sweep stopped.

        Args:
            resume: the command that resumes the sweep (finished cases are skipped), if known.
        """
        wall = _wall(time.monotonic() - self.began)
        line = f"distlab: interrupted after {wall}: {self.done:,} of {_cases(self.total)} done ({self.counts()})"
        if resume:
            line += f"; resume with: {resume}"
        return line

    # -- the thread -------------------------------------------------------------------------------

    def start(self) -> None:
        """Show the live display, if any, and start polling (a daemon thread)."""
        if self._live is not None:
            try:
                self._live.start()
                self._live.update(0, self._counts_locked(), "")
            except Exception:  # no display rather than no sweep: one line per job instead
                self._live.stop()
                self._live = None

        def loop() -> None:
            while not self._stop.wait(POLL_S):
                with contextlib.suppress(Exception):  # progress must never end a sweep
                    self.poll()

        self._thread = threading.Thread(target=loop, name="distlab-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (after a last look), and leave the live display as it last was."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 * POLL_S)
        with contextlib.suppress(Exception):
            self.poll()
        if self._live is not None:
            self._live.stop()


@contextlib.contextmanager
def tracking(total: int | None, began: float | None = None) -> Iterator[Progress | None]:
    """Within the block, the sweep's finished jobs are counted and printed (the lines unless turned off, :data:`ENV`).

    Args:
        total: the number of jobs, for a sweep (None or 0: nothing is counted).
        began: when the command started (``time.monotonic()``), for the wall time.

    Yields:
        The progress (None outside a sweep, or inside one already counted).
    """
    global _current
    if not total or _current is not None:
        yield None
        return
    progress = Progress(total, lines=enabled(), began=began)
    _current = progress
    progress.start()
    try:
        yield progress
    finally:
        progress.stop()
        _current = None


def current() -> Progress | None:
    """The sweep's progress in this process, if one is counted."""
    progress = _current
    return progress if progress is not None and progress.pid == os.getpid() else None
