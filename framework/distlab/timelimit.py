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
    try:
        # Armed inside the try: a limit that passes at once raises here, and the finally still disarms
        # (armed before it, the timer went on raising every REPEAT_S in whatever ran next).
        signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_S)
        yield
    finally:
        # First, before any instruction that runs a signal handler: from here on the handler raises nothing.
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


class _Drained(BaseException):
    """Raised in the trial's own thread, and caught there, to take an exception still pending after the block."""


def _checkpoint() -> None:
    """Nothing: calling it is a point where the interpreter raises a pending asynchronous exception."""


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    """Another thread's limit: a watchdog thread raises in it asynchronously while the block is running."""
    target = ctypes.c_ulong(threading.get_ident())
    set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    timeout = ctypes.py_object(TrialTimeout)
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
                set_async_exc(target, timeout)
            if over.wait(REPEAT_S):
                return

    try:
        # Started inside the try: a limit that passes while the thread starts raises here, and the
        # finally still disarms (started before it, the watchdog went on raising after the block).
        threading.Thread(target=watch, name="distlab-trial-limit", daemon=True).start()
        yield
    finally:
        # No instruction before `with lock` can raise a pending exception; one scheduled before the
        # watchdog saw `armed` go false is raised at the latest when the lock is released, and caught here.
        try:
            with lock:
                armed[0] = False
            # A pending exception is never dropped with PyThreadState_SetAsyncExc(id, NULL): on CPython 3.11
            # that sets the interpreter's "asynchronous exception pending" flag, which only a thread that
            # takes an exception clears, so it stays set for good (every function call then enters the
            # pending-work check, and a traced call loops on it forever). Instead this thread schedules its
            # own exception, which replaces any pending one, and takes it at once.
            set_async_exc(target, ctypes.py_object(_Drained))
            _checkpoint()
        except (TrialTimeout, _Drained):
            pass
        over.set()
