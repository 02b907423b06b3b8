"""Which jobs a report reads: every readable case below a directory, each case once.

A report never stops at a file it cannot read: the job is left out and the file named in the report's
notes, with the reason. Neither does it guess: a case directory whose results differ from the SHA-256
its provenance recorded is left out too (its numbers are not the ones the case computed).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from distlab import store
from distlab.report.provenance import JobProvenance, Sharer, job_provenance
from distlab.status import OK

__all__ = ["REPORT_MARKERS", "Job", "Jobs", "find_jobs", "is_report_dir", "normalized"]

REPORT_MARKERS = ("summary.parquet", "REPORT.md")
"""Files beside a results.parquet that make it a report's own table, not a job's results."""

# Folders that hold no job: Hydra's and the store's own bookkeeping, and the legacy case index.
_NOT_JOBS = {".hydra", store.STATE_DIR, ".cases", "__pycache__"}


@dataclasses.dataclass(frozen=True, slots=True)
class Job:
    """One case's directory as the report reads it.

    Attributes:
        folder: the directory holding results.parquet and provenance.json (a string: a sweep may hold
            100,000 jobs, and a path object costs several times its text).
        provenance: what the report reads of its provenance record (shape-checked, see :func:`normalized`).
    """

    folder: str
    provenance: JobProvenance

    @property
    def case_id(self) -> str:
        """The case id its provenance records."""
        return self.provenance.case_id


@dataclasses.dataclass
class Jobs:
    """What :func:`find_jobs` found.

    Attributes:
        jobs: one readable job per case id, in path order.
        unreadable: each file left out, with why.
        orphans: directories holding results.parquet without provenance.json (written before case
            directories, by a job killed between its two files).
        notes: what the reader of the report should know about the choices made.
        planned: the case ids the sweep plans under the directory list, or None without a plan.
    """

    jobs: list[Job]
    unreadable: list[tuple[Path, str]]
    orphans: list[Path]
    notes: list[str]
    planned: list[str] | None


def is_report_dir(folder: Path) -> bool:
    """Whether ``folder`` holds a report (its own results.parquet is a table, not a job's results)."""
    return not (folder / store.PROVENANCE).exists() and any((folder / m).is_file() for m in REPORT_MARKERS)


def _candidates(run_dir: Path) -> tuple[list[Path], list[Path], list[str] | None]:
    """Folders with provenance.json, folders with results.parquet alone, and the union of sweep plans.

    The walk costs one directory listing per folder that is neither a case directory nor a job directory
    of a sweep, and a ``stat`` or two for each of those: a case directory (``case-<id>/``, written whole
    by the store) holds files only, and the other folders of a sweep directory (one holding the store's
    ``.distlab/``) are Hydra's job directories, which hold a job's files at most (sweeps written before
    case directories), never another sweep; so they are not listed, only asked for those files. Links are not followed: each case is found once,
    by its path. Strings, not :class:`~pathlib.Path` objects, until the end: a sweep may hold 100,000
    cases.
    """
    folders: list[str] = []
    orphans: list[str] = []
    plans: list[list[str]] = []
    link = run_dir / store.JOB_LINK
    # One Hydra job directory: its case lives beside it, under the sweep directory.
    linked = link.resolve() if link.is_symlink() and (link / store.PROVENANCE).is_file() else None
    stack = [str(run_dir)]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = [(e.name, _is_dir(e)) for e in listing]
        except OSError:
            continue  # unreadable or vanished: nothing of it can be reported
        names = {name for name, is_dir in entries if not is_dir}
        dirs = sorted(name for name, is_dir in entries if is_dir)
        if store.STATE_DIR in dirs:
            plan = store.read_plan(Path(here))
            if plan is not None:
                plans.append(plan)
        if store.PROVENANCE in names:
            folders.append(here)
        elif store.RESULTS in names and not is_report_dir(Path(here)):
            orphans.append(here)
        # A sweep directory of the case-directory store: its other folders are Hydra's job directories
        # (a log, .hydra/, the case link) or older jobs (their files in them), never more sweeps.
        sweep_root = store.STATE_DIR in dirs
        below = []
        for name in dirs:
            if name in _NOT_JOBS:
                continue
            folder = os.path.join(here, name)
            if name.startswith(store.CASE_PREFIX) or sweep_root:
                if os.path.isfile(os.path.join(folder, store.PROVENANCE)):
                    folders.append(folder)
                elif os.path.isfile(os.path.join(folder, store.RESULTS)) and not is_report_dir(Path(folder)):
                    orphans.append(folder)
            else:
                below.append(folder)
        stack.extend(reversed(below))  # depth first, in name order, as os.walk goes
    planned: list[str] | None = None
    if plans:
        planned = list(dict.fromkeys(c for plan in plans for c in plan))
    found = sorted(set(folders), key=lambda f: f.split(os.sep))  # the order of their paths' parts
    paths = [Path(f) for f in found]
    if linked is not None and linked not in paths:
        paths = sorted([*paths, linked])
    return paths, [Path(o) for o in orphans], planned


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def normalized(record: dict[str, Any]) -> dict[str, Any]:
    """A provenance record with each field the report reads in the shape it expects (or dropped).

    Valid JSON of another shape (``"components": 5``) must not crash the report: a field of the wrong
    shape is treated as absent.
    """
    out = dict(record)

    def dict_of_dicts(key: str) -> None:
        value = out.get(key)
        if value is not None:
            if isinstance(value, dict):
                out[key] = {str(k): v for k, v in value.items() if isinstance(v, dict)}
            else:
                out.pop(key)

    for key in ("code", "config"):
        if key in out and not isinstance(out[key], dict):
            out.pop(key)
    dict_of_dicts("components")
    dict_of_dicts("input_files")
    for key in ("host", "libraries"):
        if key in out and not isinstance(out[key], dict):
            out.pop(key)
    if "launcher" in out and out["launcher"] is not None and not isinstance(out["launcher"], str):
        out["launcher"] = str(out["launcher"])
    for key in ("metrics", "figures"):
        if key in out and not isinstance(out[key], list):
            out.pop(key)
    for key in ("study", "treatment", "baseline", "status", "started_at", "finished_at", "python", "platform"):
        if key in out and out[key] is not None and not isinstance(out[key], str):
            out[key] = str(out[key])
    out.setdefault("code", {})
    return out


def _read(folder: Path, sharer: Sharer) -> tuple[Job | None, tuple[Path, str] | None]:
    """The job in ``folder``, or the file that could not be read and why (``sharer``: see :class:`Sharer`)."""
    import polars as pl

    try:
        record = store.read_provenance(folder / store.PROVENANCE)
    except (OSError, ValueError) as err:
        return None, (folder / store.PROVENANCE, _reason(err))
    if not os.path.isfile(os.path.join(folder, store.RESULTS)):
        return None, (folder / store.RESULTS, "missing beside its provenance.json")
    if isinstance(record.get("files"), dict):
        problem = store.case_problem(folder, record)
        if problem is not None:
            return None, problem
        # Every byte matches the hash its case recorded: the footer is intact, no need to open it again.
        return Job(str(folder), job_provenance(normalized(record), sharer)), None
    try:
        pl.read_parquet_schema(folder / store.RESULTS)
    except Exception as err:  # polars raises several types for a damaged file
        return None, (folder / store.RESULTS, _reason(err))
    return Job(str(folder), job_provenance(normalized(record), sharer)), None


def _reason(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _preference(job: Job) -> tuple[bool, str, str]:
    # A finished ok copy first, then the newest by its recorded end time; the path only breaks ties.
    return job.provenance.status == OK, job.provenance.finished_at, job.folder


def find_jobs(run_dir: Path) -> Jobs:
    """Every readable job below ``run_dir``, one per case id, and what was left out.

    Args:
        run_dir: a run or sweep directory, a Hydra job directory (its ``case`` link is followed), or a
            case directory.

    Returns:
        The jobs, the unreadable files, the orphans, notes on copies, and the sweep plan if any.
    """
    folders, orphans, planned = _candidates(run_dir)
    unreadable: list[tuple[Path, str]] = []
    by_case: dict[str, list[Job]] = {}
    sharer = Sharer()
    for folder in folders:
        job, bad = _read(folder, sharer)
        if bad is not None:
            unreadable.append(bad)
        elif job is not None:
            by_case.setdefault(job.case_id, []).append(job)
    notes: list[str] = []
    chosen: list[Job] = []
    copies: list[tuple[Job, list[Job]]] = []
    for found in by_case.values():
        best = max(found, key=_preference)
        chosen.append(best)
        if len(found) > 1:
            copies.append((best, [j for j in found if j is not best]))
    if copies:
        best, rest = copies[0]
        notes.append(
            f"{len(copies)} cases have results in more than one directory; each is counted once, from its "
            "finished ok copy, else the newest by its recorded end time (e.g. "
            f"{best.case_id}: used {_rel(best.folder, run_dir)}, left out "
            f"{', '.join(_rel(j.folder, run_dir) for j in rest)})."
        )
    return Jobs(sorted(chosen, key=lambda j: j.folder), unreadable, orphans, notes, planned)


def _rel(path: str | Path, root: Path) -> str:
    return os.path.relpath(path, root)
