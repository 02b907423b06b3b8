"""Case directories: one per case id, written whole and put in place by one rename.

A case's files are written into a temporary directory under ``<root>/.distlab/staging/`` and renamed
to ``<root>/case-<case id>/`` in one step. A case that is already there (a forced re-run, or a failed
or damaged case run again) is swapped with the new one in one step too (Linux's
``renameat2(RENAME_EXCHANGE)``). So a process killed at any moment leaves the old complete case or the
new complete case, never a mix; its temporary directory is removed by the next run into the same
directory (see :func:`clean_staging`).

Why directories named by case id, with Hydra's job directory holding only a link: Hydra numbers jobs
by their position in a sweep, so two sweeps into one directory give the same number to two cases. A
directory named by its case id cannot collide with another case's, whichever sweep or process wrote
it, and the case id is what a re-run looks up. Hydra keeps its job directory (``.hydra/``, the job's
log) and distlab adds a relative symbolic link ``case`` in it to the case's directory.

A case counts as finished, and a re-run skips it, only if its ``provenance.json`` is a provenance record
of that case with status ``ok`` and every data file matches the SHA-256 recorded in it (the whole file,
not only the parquet footer). Anything less is treated as missing and the case runs again in place,
except a case that failed deterministically (:func:`find_failed_case`), which a re-run keeps unless
asked to retry (``retry_failed=true``, see :mod:`distlab.runner`).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

from distlab.status import FAILED, OK
from distlab.store.files import fsync_dir, json_bytes, read_json, store_error
from distlab.store.lock import STATE_DIR, kill_point, sweep_lock, try_lock

__all__ = [
    "CASE_PREFIX",
    "JOB_LINK",
    "LEGACY_INDEX",
    "PROVENANCE",
    "RESULTS",
    "TRACE",
    "ProvenanceError",
    "case_dir",
    "case_problem",
    "clean_staging",
    "commit_case",
    "file_sha256",
    "find_case",
    "find_failed_case",
    "index_committed",
    "is_case_dir",
    "link_job",
    "parquet_columns",
    "read_provenance",
    "supersede",
    "valid_case_id",
    "write_case_files",
]

RESULTS = "results.parquet"
TRACE = "trace.parquet"
PROVENANCE = "provenance.json"
CASE_PREFIX = "case-"
JOB_LINK = "case"
"""The name of the link in a Hydra job directory to the directory of the case the job ran or found."""
LEGACY_INDEX = ".cases"
"""Where sweeps written before case directories indexed their finished cases (read, never written)."""
STAGING = "staging"

_CASE_ID = re.compile(r"[0-9A-Za-z_-][0-9A-Za-z_.-]{0,127}")
# Tests turn the atomic exchange off to check the two-rename fallback and its recovery.
_USE_EXCHANGE = True


class ProvenanceError(ValueError):
    """A ``provenance.json`` that is not a provenance record (damaged, truncated, or of another shape)."""


def valid_case_id(value: object) -> bool:
    """Whether ``value`` can be a case id (and so, safely, part of a directory name)."""
    return isinstance(value, str) and _CASE_ID.fullmatch(value) is not None


def case_dir(root: Path, case_id: str) -> Path:
    """The directory of ``case_id`` under the run or sweep directory ``root``.

    Raises:
        ValueError: ``case_id`` is not a case id (it would name a path outside ``root``).
    """
    if not valid_case_id(case_id):
        raise ValueError(f"not a case id: {case_id!r}")
    return root / f"{CASE_PREFIX}{case_id}"


def is_case_dir(path: Path) -> bool:
    """Whether ``path`` is a case directory (named ``case-<id>``, holding provenance.json)."""
    return path.name.startswith(CASE_PREFIX) and (path / PROVENANCE).is_file()


def read_provenance(path: Path) -> dict[str, Any]:
    """Read a ``provenance.json`` and check its shape.

    Returns:
        The record: a JSON object whose ``case_id`` is a case id; ``files``, if present, maps file
        names to objects with a ``sha256``.

    Raises:
        OSError: the file cannot be read.
        ProvenanceError: it is empty, not JSON, or not a provenance record.
    """
    try:
        record = read_json(path)
    except ValueError as err:
        raise ProvenanceError(f"{path} is not JSON ({'empty' if not path.stat().st_size else err})") from None
    if not isinstance(record, dict):
        raise ProvenanceError(f"{path} holds a JSON {type(record).__name__}, not a provenance record")
    if not valid_case_id(record.get("case_id")):
        raise ProvenanceError(f"{path} has no valid case_id (found {record.get('case_id')!r})")
    files = record.get("files")
    if files is not None and not (
        isinstance(files, dict) and all(isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values())
    ):
        raise ProvenanceError(f"{path} has a malformed 'files' entry")
    return record


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def case_problem(folder: Path, record: dict[str, Any]) -> tuple[Path, str] | None:
    """The file of a case that is not as its provenance ``record`` says, and why; None if all are.

    A record with file hashes (every case written by this version) is checked against them; an older
    one, without, by decoding the whole results file (a damaged page fails, not only the footer).
    """
    files = record.get("files")
    if not isinstance(files, dict):
        if not (folder / RESULTS).is_file():
            return folder / RESULTS, "missing"
        import polars as pl

        try:
            pl.read_parquet(folder / RESULTS)
        except Exception as err:  # polars raises several types for a damaged file
            return folder / RESULTS, f"cannot be read ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
        return None
    if RESULTS not in files:
        return folder / PROVENANCE, f"records no {RESULTS}"
    for name, entry in files.items():
        path = folder / str(name)
        try:
            digest = file_sha256(path)
        except OSError as err:
            return path, f"cannot be read ({err.strerror or err})"
        if digest != entry["sha256"]:
            return path, f"differs from the file its case wrote (SHA-256 {digest[:12]}, recorded {str(entry['sha256'])[:12]})"
    return None


def _finished(folder: Path, case_id: str) -> bool:
    try:
        record = read_provenance(folder / PROVENANCE)
    except (OSError, ProvenanceError):
        return False
    return record["case_id"] == case_id and record.get("status") == OK and case_problem(folder, record) is None


def find_case(root: Path, case_id: str) -> Path | None:
    """The directory holding the finished results of ``case_id`` under ``root``, if any.

    Finished means: status ``ok`` in an intact provenance record of this case, and data files that match
    it (see :func:`case_problem`). A damaged or malformed file, or an index entry of the wrong shape, counts
    as no result: the case runs again.

    Args:
        root: the run or sweep directory.
        case_id: the case looked up.

    Returns:
        ``root/case-<case_id>``, or a job directory of a sweep written before case directories (found
        through its ``.cases/`` index), or None.
    """
    folder = case_dir(root, case_id)
    if folder.is_dir():
        return folder if _finished(folder, case_id) else None
    return _legacy_case(root, case_id)


def find_failed_case(root: Path, case_id: str) -> Path | None:
    """The directory of ``case_id`` under ``root`` if it holds a case that failed deterministically.

    That is: an intact provenance record of this case (its files match their SHA-256) with status
    ``failed`` and ``failed_deterministically`` true, which the runner records when every failed trial
    raised an error of its own making (see :mod:`distlab.runner`). A re-run keeps such a case rather than
    running it again, unless asked to retry.

    Args:
        root: the run or sweep directory.
        case_id: the case looked up.

    Returns:
        ``root/case-<case_id>``, or None (no such case, another status, a failure that may not happen
        again, a record written before the distinction, or damaged files).
    """
    folder = case_dir(root, case_id)
    try:
        record = read_provenance(folder / PROVENANCE)
    except (OSError, ProvenanceError):
        return None
    if (record["case_id"] != case_id or record.get("status") != FAILED
            or record.get("failed_deterministically") is not True):
        return None
    return folder if case_problem(folder, record) is None else None


def _legacy_case(root: Path, case_id: str) -> Path | None:
    """A finished case in a sweep written before case directories: ``.cases/<id>.json`` names its job dir."""
    try:
        entry = read_json(root / LEGACY_INDEX / f"{case_id}.json")
    except (OSError, ValueError):
        return None
    job = entry.get("job_dir") if isinstance(entry, dict) else None
    if not isinstance(job, str) or not job or os.path.isabs(job):
        return None
    folder = root / job
    try:
        if not folder.resolve().is_relative_to(root.resolve()):
            return None
    except OSError:
        return None
    return folder if _finished(folder, case_id) else None


def _write_new(path: Path, data: bytes, sync: bool = True) -> None:
    """Write a new file (in a staging directory no one else reads) and flush it to the disk."""
    with open(path, "xb") as handle:
        handle.write(data)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())


def write_case_files(folder: Path, files: dict[str, bytes], record: dict[str, Any], *,
                     sync: bool = True) -> dict[str, dict[str, Any]]:
    """Write a case's data files, then its ``provenance.json`` (``record`` with their hashes), into ``folder``.

    The one writer of a case's files: :func:`commit_case` fills its staging directory with it. ``folder``
    must exist and hold none of these files. Each data file's SHA-256, size and (parquet) columns go
    into the record's ``files``.

    Args:
        folder: an empty, new directory.
        files: data file name to its bytes.
        record: the provenance record.
        sync: flush every file and the directory to the disk (False only for synthetic sweeps written
            by benchmarks, where a power cut costs nothing).

    Returns:
        The ``files`` entry written into the record: each data file's ``sha256``, ``bytes`` and ``columns``.

    Raises:
        StoreError: a file cannot be written.
    """
    hashes: dict[str, dict[str, Any]] = {}
    for name, data in files.items():
        path = folder / name
        try:
            _write_new(path, data, sync)
        except OSError as err:
            raise store_error(err, path) from err
        hashes[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), **parquet_columns(name, data)}
        kill_point(f"staged:{name}")
    path = folder / PROVENANCE
    try:
        _write_new(path, json_bytes({**record, "files": hashes}), sync)
    except OSError as err:
        raise store_error(err, path) from err
    kill_point(f"staged:{PROVENANCE}")
    if sync:
        fsync_dir(folder)
    return hashes


def commit_case(root: Path, case_id: str, files: dict[str, bytes], record: dict[str, Any], *,
                force: bool = False) -> tuple[Path, bool]:
    """Write a case's files and provenance and put them in place as ``root/case-<case_id>``, atomically.

    The data files' SHA-256 (and, for parquet, their columns: see :func:`parquet_columns`) are added
    to ``record`` as ``files`` before it is written as ``provenance.json``, the last file of the case.

    Args:
        root: the run or sweep directory.
        case_id: the case.
        files: data file name (``results.parquet``, ``trace.parquet``) to its bytes.
        record: the provenance record.
        force: replace a finished case already in place (otherwise a finished case that another process
            put there meanwhile is kept, and these files are dropped: the same case id gives the same rows).

    Returns:
        The case directory, and whether these files are what it now holds.

    Raises:
        StoreError: the disk is full or read-only; the case that was in place, if any, is intact.
    """
    target = case_dir(root, case_id)
    staging = root / STATE_DIR / STAGING
    entry = staging / f"{case_id}.{os.getpid()}-{secrets.token_hex(4)}"
    writing = entry
    try:
        # Made under the sweep lock with its own lock held, so a cleaner never takes it for abandoned.
        with sweep_lock(root):
            entry.mkdir(parents=True)
            fd = try_lock(entry / "lock")
        if fd is None:  # cannot happen: the directory is new and nobody cleans under our lock
            raise OSError(errno.EBUSY, "staging directory taken", str(entry))
    except OSError as err:
        raise store_error(err, writing) from err
    try:
        new = entry / "case"
        writing = new
        new.mkdir()
        written_files = write_case_files(new, files, record)
        kill_point("commit")
        writing = target
        with sweep_lock(root):
            if not target.is_dir():
                os.rename(new, target)
                written = True
            elif not force and _finished(target, case_id):
                written = False
            else:
                _swap(new, target, entry)
                written = True
            fsync_dir(root)
        kill_point("committed")
    except OSError as err:
        raise store_error(err, writing) from err
    finally:
        shutil.rmtree(entry, ignore_errors=True)  # the new case's staging, or the old case swapped out
        os.close(fd)
    if written and RESULTS in written_files:
        index_committed(root, target, written_files[RESULTS])
    return target, written


def index_committed(root: Path, folder: Path, entry: dict[str, Any]) -> None:
    """Add a committed case's rows to the sweep's row index (:mod:`distlab.store.index`).

    A failure costs the report speed, nothing else: a case the index lacks is read from its files.

    Args:
        root: the run or sweep directory.
        folder: the case directory, in place under ``root``.
        entry: its results file's entry in the provenance record's ``files`` (``sha256``, ``columns``).
    """
    from distlab.store.index import index_case

    columns = entry.get("columns")
    if not isinstance(columns, dict):
        return
    try:
        index_case(root, folder, str(entry["sha256"]), columns)
    except Exception:  # the index is a cache: the case is committed and is read from its files
        pass


def parquet_columns(name: str, data: bytes) -> dict[str, Any]:
    """``{"columns": {column: dtype}}`` of a parquet file's bytes (dtype as Polars names it); ``{}`` for others.

    Recorded in provenance beside the file's SHA-256, so that a report learns every case's columns
    from the records it reads anyway instead of opening each results file for its schema: the hash
    proves the file is the one these columns describe.
    """
    if not name.endswith(".parquet"):
        return {}
    import io

    import polars as pl

    return {"columns": {column: str(dtype) for column, dtype in pl.read_parquet_schema(io.BytesIO(data)).items()}}


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False if unsupported."""
    if not _USE_EXCHANGE or not sys.platform.startswith("linux"):
        return False
    try:
        rename = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:  # a C library older than glibc 2.28
        return False
    rename.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rename.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if rename(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # the kernel or file system cannot
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap(new: Path, target: Path, entry: Path) -> None:
    """Put ``new`` in place of the case directory ``target``; the old one ends up inside ``entry``."""
    if _exchange(new, target):
        return
    # Two renames: a kill between them leaves the old case in entry/old and the new one complete in
    # entry/case, and clean_staging finishes the swap.
    os.rename(target, entry / "old")
    kill_point("swap")
    os.rename(new, target)


def clean_staging(root: Path) -> list[Path]:
    """Remove the temporary directories of case writes that were abandoned (their process died).

    A writer holds a ``flock`` on its temporary directory's lock file for as long as it writes; the
    operating system drops it when the process dies, so a lock that can be taken proves the directory
    abandoned. A write killed between the two renames of the fallback swap is finished here (the new,
    complete case is put in place).

    Args:
        root: the run or sweep directory.

    Returns:
        The directories removed.
    """
    staging = root / STATE_DIR / STAGING
    if not staging.is_dir():
        return []
    removed = []
    with sweep_lock(root):
        for entry in sorted(staging.iterdir()):
            fd = try_lock(entry / "lock") if entry.is_dir() else None
            if entry.is_dir() and fd is None:
                continue  # a live writer
            try:
                case_id = entry.name.rsplit(".", 1)[0]
                if entry.is_dir() and (entry / "old").is_dir() and valid_case_id(case_id):
                    target = case_dir(root, case_id)
                    if not target.exists():
                        done = (entry / "case" / PROVENANCE).is_file()
                        os.rename(entry / ("case" if done else "old"), target)
                        fsync_dir(root)
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
                removed.append(entry)
            finally:
                if fd is not None:
                    os.close(fd)
    return removed


def link_job(job_dir: Path, folder: Path) -> None:
    """Point the Hydra job directory's ``case`` link at the case directory its job ran or found.

    The link is relative (the sweep directory can be moved or copied whole) and replaced atomically. A
    ``case`` that is not a link (someone's own file) is left alone.

    Raises:
        StoreError: the job directory cannot be written.
    """
    link = job_dir / JOB_LINK
    if link.exists() and not link.is_symlink():
        return
    _remove_stale_links(job_dir)
    tmp = job_dir / f".{JOB_LINK}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        job_dir.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(folder, job_dir), tmp, target_is_directory=True)
        os.replace(tmp, link)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise store_error(err, link) from err


def _remove_stale_links(job_dir: Path) -> None:
    """Remove the temporary links a process killed inside :func:`link_job` left (its pid is in the name)."""
    for tmp in job_dir.glob(f".{JOB_LINK}.*.tmp"):
        try:
            pid = int(tmp.name.split(".")[2].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)  # its process is gone
        except (ValueError, IndexError, OSError):
            continue  # not ours, or a live process of another user: leave it


def supersede(job_dir: Path) -> None:
    """Rename a job directory's data files (an old layout's copy of a case just run again with force=true)
    to ``*.superseded``, so that no report counts the case twice."""
    for name in (RESULTS, TRACE):
        old = job_dir / name
        if old.exists():
            try:
                os.replace(old, old.with_name(name + ".superseded"))
            except OSError as err:
                raise store_error(err, old) from err
