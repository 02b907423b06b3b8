"""The result store: each job directory's files, written atomically (temporary file, then rename).

A job directory holds::

    results.parquet    one row per trial: config columns, case_id, repeat, trial_seed, status, metrics
    trace.parquet      optional per-step rows of every trial, keyed by case_id and repeat
    provenance.json    where the numbers came from (see distlab.provenance)

A sweep directory also holds ``.cases/<case id>.json``, one small index file per finished case,
naming the job directory that holds its results, so that a re-run skips it in constant time.

Hydra numbers a sweep's job directories 0, 1, 2, ... in the order of the sweep, so a different sweep
into the same directory gives job ``3`` to another case. Before a job directory is written, the files
of the case it held are moved aside to ``case-<case id>/`` under the sweep directory (see
:func:`displace`), so no finished case is ever overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "PROVENANCE",
    "RESULTS",
    "TRACE",
    "displace",
    "find_case",
    "mark_case",
    "read_json",
    "write_bytes",
    "write_json",
    "write_parquet",
]

RESULTS = "results.parquet"
JOB_FILES = ("results.parquet", "trace.parquet", "provenance.json")
"""The files of a job directory that belong to its case (Hydra's own ``.hydra/`` is Hydra's)."""
TRACE = "trace.parquet"
PROVENANCE = "provenance.json"
CASE_INDEX = ".cases"


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as indented JSON, atomically."""
    write_bytes(path, (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode())


def read_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(path.read_text())


def write_parquet(path: Path, frame: pl.DataFrame) -> None:
    """Write a Polars frame as parquet, atomically (and on disk before the rename, as write_bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        frame.write_parquet(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mark_case(root: Path, case_id: str, job_dir: Path) -> None:
    """Record that ``job_dir`` holds the complete results of ``case_id``."""
    write_json(root / CASE_INDEX / f"{case_id}.json", {"case_id": case_id, "job_dir": os.path.relpath(job_dir, root)})


def find_case(root: Path, case_id: str) -> Path | None:
    """The job directory holding complete results of ``case_id`` under ``root``, if any."""
    index = root / CASE_INDEX / f"{case_id}.json"
    if not index.is_file():
        return None
    try:
        job_dir = root / read_json(index)["job_dir"]
        # The job directory may since hold another case (a later sweep reused its number).
        if read_json(job_dir / PROVENANCE)["case_id"] != case_id:
            return None
    except (ValueError, KeyError, OSError):
        return None
    return job_dir if _readable_parquet(job_dir / RESULTS) else None


def _readable_parquet(path: Path) -> bool:
    """Whether ``path`` is a parquet file whose footer reads (a damaged one is not a finished case)."""
    import polars as pl

    try:
        pl.read_parquet_schema(path)
    except Exception:  # polars raises several types for a missing or damaged file
        return False
    return True


def displace(root: Path, job_dir: Path, case_id: str) -> Path | None:
    """Move the files of another case out of ``job_dir`` before ``case_id`` is written there.

    Args:
        root: the run or sweep directory (holding the case index).
        job_dir: the job directory about to be written.
        case_id: the case about to be written into it.

    Returns:
        Where the other case's files went (``root/case-<its id>``), or None if ``job_dir`` held no
        other case.
    """
    try:
        prior = read_json(job_dir / PROVENANCE)["case_id"]
    except (ValueError, KeyError, TypeError, OSError):
        prior = None
    if prior is None:
        if not (job_dir / RESULTS).exists():
            return None
        prior = "unknown"  # rows without provenance: still someone's results, so kept
    if prior == case_id:
        return None
    dest = root / f"case-{prior}"
    suffix = 1
    while dest.exists():
        # An older copy of the same case is already there: keep both rather than merge them.
        dest = root / f"case-{prior}.{suffix}"
        suffix += 1
    dest.mkdir(parents=True)
    for name in JOB_FILES:
        if (job_dir / name).exists():
            os.replace(job_dir / name, dest / name)
    index = root / CASE_INDEX / f"{prior}.json"
    if index.is_file():
        try:
            points_here = (root / read_json(index)["job_dir"]).resolve() == job_dir.resolve()
        except (ValueError, KeyError, TypeError, OSError):
            points_here = False
        if points_here:
            mark_case(root, prior, dest)
    return dest
