"""Atomic file writes, and the one error a write raises when the disk says no.

Every write goes to a temporary file in the target's directory, is flushed to the disk (``fsync``),
then renamed over the target: a reader, or a process killed at any moment, sees the old file or the
new one, never half of one.

Parquet is encoded in memory first and written as bytes. Polars reports a full disk as "Invalid thrift:
transport error"; writing the bytes ourselves gives the operating system's own error, which
:class:`StoreError` turns into words a person can act on.
"""

from __future__ import annotations

import errno
import io
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distlab.errors import StoreError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "StoreError",
    "fsync_dir",
    "parquet_bytes",
    "read_json",
    "store_error",
    "write_bytes",
    "write_json",
    "write_parquet",
]




def _mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path`` (or its nearest existing ancestor)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        device = path.stat().st_dev
        while path != path.parent and path.parent.stat().st_dev == device:
            path = path.parent
    except OSError:
        pass  # cannot climb further: the deepest readable folder names the place well enough
    return path


def store_error(err: OSError, path: Path) -> StoreError:
    """The :class:`StoreError` for an operating-system error met while writing ``path``.

    Args:
        err: the error raised by the write (or rename, or directory creation).
        path: the file (or directory) being written.

    Returns:
        An error whose message names the place and what to do; ``err`` itself when it is one already.
    """
    if isinstance(err, StoreError):
        return err
    where = path.parent if path.suffix or not path.is_dir() else path
    code = err.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        what = "no space" if code == errno.ENOSPC else "disk quota exceeded"
        message = (f"{what} left on {_mount_point(path)} while writing {path}; free some space (or write "
                   "elsewhere) and run again: what was stored before is intact")
    elif code == errno.EROFS:
        message = f"{where} is read-only (a read-only file system) and {path} cannot be written; write elsewhere"
    elif code in (errno.EACCES, errno.EPERM):
        message = f"{where} is read-only for this user (permission denied writing {path}); write elsewhere"
    else:
        message = f"cannot write {path}: {err.strerror or err}"
    return StoreError(message, code, str(path))


def fsync_dir(folder: Path) -> None:
    """Flush a directory's entries (a rename into it) to the disk; a no-op where that is not possible."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # e.g. Windows cannot open a directory: its renames are durable enough
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename itself is still atomic
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a reader sees the old file or the new one, never half.

    Raises:
        StoreError: the disk is full or read-only, or the directory is not writable.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _new_temporary(path)
    except OSError as err:
        raise store_error(err, path) from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise store_error(err, path) from err
        raise
    fsync_dir(path.parent)


def _new_temporary(path: Path) -> tuple[int, str]:
    """Create a new, empty temporary file beside ``path``, with the mode any tool's new file gets.

    Not ``tempfile.mkstemp``: it creates files with mode 0600 whatever the umask, so results written
    through it could not be read by a group that shares the sweep directory. Asking the kernel for mode
    0666 leaves the umask to take away what it should (0644 under umask 022, 0600 under 077), as for
    a file written by ``open``. The name is random and ``O_EXCL`` refuses one that exists.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue  # a name another writer drew: draw again
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as indented JSON, atomically (see :func:`write_bytes`)."""
    write_bytes(path, json_bytes(value))


def json_bytes(value: Any) -> bytes:
    """``value`` as the indented JSON the store writes."""
    return (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode()


def read_json(path: Path) -> Any:
    """Read a JSON file.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not JSON (including a file that is not UTF-8).
    """
    return json.loads(path.read_bytes().decode())


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    """A Polars frame encoded as parquet, in memory."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def write_parquet(path: Path, frame: pl.DataFrame) -> None:
    """Write a Polars frame as parquet, atomically (see :func:`write_bytes`)."""
    write_bytes(path, parquet_bytes(frame))
