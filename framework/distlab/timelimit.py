"""The per-trial wall-clock limit (``trial_timeout_s``): a trial that runs too long is stopped and fails.

A plugin that loops without advancing its simulated clock would hang a whole sweep; with a limit, its
trial ends with :class:`TrialTimeout` after ``trial_timeout_s`` seconds of wall-clock time, the runner
records it as a failed trial, and the sweep goes on.

How the trial is interrupted depends on the thread it runs in, because Python delivers signals to the
main thread only:

- **In the main thread** (Hydra's basic launcher; a joblib/loky, Ray or submitit worker runs its job
  in its main thread too): a ``SIGALRM`` timer (``setitimer``). Its handler raises in the trial, and
  the signal also ends a blocking call such as ``time.sleep`` or a socket read.
- **In any other thread** (a threading backend): a watchdog thread raises the exception in the
  trial's thread (``PyThreadState_SetAsyncExc``). It takes effect at the trial's next Python
  instruction; a blocking call ends first.

:class:`TrialTimeout` derives from ``BaseException``, not ``Exception``, so that an ``except Exception``
in a plugin does not swallow it; and it is raised again every second until the trial is over, so a
plugin that swallows it once (a bare ``except:`` around one step) does not keep the trial alive. A
plugin that swallows every exception in every iteration of its loop cannot be stopped this way.

What no in-process limit can do: interrupt code that does not return to the Python interpreter, such
as a Numba ``nopython`` loop or a long call into C. Such a trial is stopped when that code returns; one
that never returns must be killed from outside (a worker killed by a signal is recorded as a lost
case by the launchers' guard).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import signal
import threading
from collections.abc import Iterator

__all__ = ["REPEAT_S", "TrialTimeout", "time_limit"]

REPEAT_S = 1.0
"""After the limit, the exception is raised again this often (seconds) until the trial is over."""


class TrialTimeout(BaseException):
    """A trial ran longer than its wall-clock limit (``trial_timeout_s``).

    A ``BaseException``, like ``KeyboardInterrupt``: a plugin's ``except Exception`` must not swallow it.
    """


def check_limit(seconds: object) -> float | None:
    """``seconds`` as a wall-clock limit: None (no limit) or a finite number of seconds above zero.

    Raises:
        ValueError: anything else (a bool, a string, zero, a negative or infinite number).
    """
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
            or seconds <= 0:
        raise ValueError(f"trial_timeout_s={seconds!r}: give a number of seconds > 0, or null for no limit")
    return float(seconds)


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TrialTimeout` in the calling thread if the block runs longer than ``seconds``.

    Args:
        seconds: the limit in seconds of wall-clock time; None for no limit (the block runs as is).

    Raises:
        TrialTimeout: inside the block, once the limit has passed (and every :data:`REPEAT_S` after).
    """
    if seconds is None:
        yield
    elif threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
    else:
        with _watchdog(seconds):
            yield


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """The main thread's limit: a SIGALRM timer whose handler raises while the block is running."""
    armed = [True]

    def expire(signum: int, frame: object) -> None:
        if armed[0]:  # a signal already on its way when the block ended raises nothing
            raise TrialTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_S)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    """Another thread's limit: a watchdog thread raises in it asynchronously while the block is running."""
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    armed = [True]
    over = threading.Event()

    def watch() -> None:
        if over.wait(seconds):
            return
        while True:
            with lock:  # never schedule the exception after the block has ended
                if not armed[0]:
                    return
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(TrialTimeout))
            if over.wait(REPEAT_S):
                return

    watcher = threading.Thread(target=watch, name="distlab-trial-limit", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            armed[0] = False
            ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)  # drop one scheduled but not yet raised
        over.set()
