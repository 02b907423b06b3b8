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

On by default, also where stderr is not a terminal (a CI log gets one line per job); ``DISTLAB_PROGRESS=0``
turns it off.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from distlab.status import SKIPPED

__all__ = ["ENV", "POLL_S", "Progress", "current", "enabled", "report", "tracking"]

ENV = "DISTLAB_PROGRESS"
"""``DISTLAB_PROGRESS=0`` (or ``false``, ``no``, ``off``) turns the progress lines off."""

POLL_S = 0.5
"""How often the main process reads the done markers of its launcher's workers."""

_current: Progress | None = None


def enabled() -> bool:
    """Whether progress lines are wanted (:data:`ENV`)."""
    return os.environ.get(ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def report(num: int, case_id: str, status: str, seconds: float | None) -> None:
    """Job ``num`` finished in this process (the basic launcher's jobs, a lost worker's case): count it."""
    progress = _current
    if progress is not None and progress.pid == os.getpid():
        progress.finished(num, {"case_id": case_id, "status": status, "seconds": seconds})


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 10 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


class Progress:
    """Counts a sweep's finished jobs and prints one line per job.

    Args:
        total: the number of jobs Hydra launches.
        out: where the lines go (stderr).
    """

    def __init__(self, total: int, out: TextIO | None = None) -> None:
        self.total = total
        self.out = out
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
            case_id = record.get("case_id", "?")
            seconds = record.get("seconds")
            if status == SKIPPED:
                what = f"case {case_id} skipped (already finished)"
            else:
                what = f"case {case_id} {status}"
                if isinstance(seconds, (int, float)):
                    self._times.append(float(seconds))
                    what += f" in {seconds:.1f} s"
            left = self.total - k
            if left <= 0:
                tail = "; all jobs finished"
            elif self._times:
                parallel = min(self.parallel or self._running_max, left)
                tail = f"; about {_duration(sum(self._times) / len(self._times) * left / parallel)} left"
            else:
                tail = ""
            out = self.out or sys.stderr
            with contextlib.suppress(OSError, ValueError):
                out.write(f"distlab: [{k}/{self.total}] {what}{tail}\n")
                out.flush()

    # -- the thread -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start polling (a daemon thread)."""

        def loop() -> None:
            while not self._stop.wait(POLL_S):
                with contextlib.suppress(Exception):  # progress must never end a sweep
                    self.poll()

        self._thread = threading.Thread(target=loop, name="distlab-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (after a last look)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 * POLL_S)
        with contextlib.suppress(Exception):
            self.poll()


@contextlib.contextmanager
def tracking(total: int | None) -> Iterator[Progress | None]:
    """Within the block, the sweep's finished jobs are counted and printed (unless turned off, :data:`ENV`)."""
    global _current
    if not total or not enabled() or _current is not None:
        yield None
        return
    progress = Progress(total)
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
