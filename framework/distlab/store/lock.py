"""The sweep directory's lock, and the fault hook the kill tests use.

Every step that looks at the sweep directory and then changes it (put a case in place, replace it,
clean abandoned temporaries, merge a sweep plan) holds an exclusive ``fcntl.flock`` on
``<root>/.distlab/lock`` for the few milliseconds it takes; computing a case never holds it. The
operating system releases a flock when its process dies, however it dies, so a killed sweep never
leaves the directory locked. ``flock`` is Linux and macOS only (and is not reliable on NFS): distlab's
result store supports local file systems on those.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from distlab.store.files import store_error

__all__ = ["KILL_ENV", "STATE_DIR", "kill_point", "sweep_lock", "try_lock"]

STATE_DIR = ".distlab"
"""The store's own folder in a run or sweep directory: the lock, staged cases, the sweep plan."""

KILL_ENV = "DISTLAB_KILL_AT"
"""For tests only: ``DISTLAB_KILL_AT=<point>[@<n>]`` makes the process SIGKILL itself the n-th time
(default the first) it reaches the named point of a case's write (see :func:`kill_point`)."""

_reached: dict[str, int] = {}


def kill_point(name: str) -> None:
    """A place where the kill tests may kill this process, as the kernel's OOM killer or a power cut would.

    Unset in normal use (one environment lookup). The points, in the order a case passes them:
    ``staged:results.parquet``, ``staged:trace.parquet``, ``staged:provenance.json`` (after each file is
    written into the case's temporary directory), ``commit`` (everything staged, before the rename into
    place), ``swap`` (the old case moved out, the new one not yet in: only without ``RENAME_EXCHANGE``),
    ``committed`` (in place, before the temporary directory is removed and the job's link is made).

    Args:
        name: the point reached.
    """
    wanted = os.environ.get(KILL_ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] == (int(nth) if nth else 1):
        os.kill(os.getpid(), signal.SIGKILL)


def _open_lock(path: Path) -> int:
    # 0666 leaves the umask to take away what it should, as for every other file the store writes (see
    # distlab.store.files): 0664 under umask 002, so another member of the group sharing a sweep
    # directory on a cluster can open the lock read-write and take it; 0600 under 077.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise store_error(err, path) from err


@contextlib.contextmanager
def sweep_lock(root: Path) -> Iterator[None]:
    """Hold the exclusive lock of the run or sweep directory ``root`` (waiting for it).

    Raises:
        StoreError: the lock file cannot be created (a read-only directory, say).
    """
    import fcntl

    fd = _open_lock(root / STATE_DIR / "lock")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def try_lock(path: Path) -> int | None:
    """Take an exclusive lock on ``path`` without waiting: its descriptor, or None if another process holds it.

    The caller closes the descriptor to release the lock. A missing file is created.
    """
    import fcntl

    fd = _open_lock(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
