"""The runner: runs every trial of a case and writes its rows, trace and provenance.

Failures are data: a trial that raises becomes a row with ``status = "failed"`` and the error, and
the other trials and cases go on.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from distlab import store
from distlab.case import Case
from distlab.errors import PluginError
from distlab.provenance import now, provenance
from distlab.status import FAILED, OK, SKIPPED
from distlab.store.lock import kill_point

__all__ = ["FAILED", "OK", "SKIPPED", "CaseOutcome", "record_lost_case", "run_case"]  # the statuses: until app.py imports distlab.status

log = logging.getLogger("distlab")


@dataclasses.dataclass(frozen=True)
class CaseOutcome:
    """What running a case did.

    Attributes:
        case_id: the case id.
        status: ``ok`` (every trial ran), ``failed`` (at least one trial raised) or ``skipped``
            (complete results already existed).
        job_dir: the directory holding the case's results.
    """

    case_id: str
    status: str
    job_dir: Path


def run_case(
    case: Case,
    job_dir: Path,
    *,
    root: Path | None = None,
    overrides: Sequence[str] = (),
    force: bool = False,
) -> CaseOutcome:
    """Run every trial of ``case`` and store its case directory, ``root/case-<case id>/``.

    The case's results.parquet, trace.parquet and provenance.json are put in place together, in one
    rename (see :mod:`distlab.store`): a kill at any moment leaves the case as it was or complete.
    ``job_dir`` (Hydra's job directory) gets a link ``case`` to it. A case that is finished already
    (status ok, files intact) is skipped unless ``force``; a failed or damaged one runs again and its
    directory is replaced whole.

    Args:
        case: the resolved case.
        job_dir: Hydra's job directory of this case (for a single run, the run directory itself).
        root: the run or sweep directory holding the case directories (default: ``job_dir``).
        overrides: the command-line overrides that made the case (recorded in provenance).
        force: run even if the case is finished under ``root``, and replace it.

    Returns:
        The outcome; its ``job_dir`` is the case directory holding the results.

    Raises:
        StoreError: the results cannot be written (a full or read-only disk); what was stored is intact.
    """
    import polars as pl

    root = root or job_dir
    case_id = case.case_id
    store.clean_staging(root)  # what a killed run left behind; another sweep's live writes are kept
    existing = store.find_case(root, case_id)
    if existing is not None and not force:
        log.info("case %s already has results in %s; skipped (force=true runs it again)", case_id, existing)
        store.link_job(job_dir, existing)
        return CaseOutcome(case_id, SKIPPED, existing)

    started = now()
    columns = case.columns()
    metric_names = [m.name for m in case.study.metrics]
    rows: list[dict[str, Any]] = []
    traces: list[pl.DataFrame] = []
    seeds = case.trial_seeds()
    for repeat, seed in enumerate(seeds):
        row: dict[str, Any] = {**columns, "case_id": case_id, "repeat": repeat, "trial_seed": seed}
        try:
            trial = case.study.run_trial(case.world, case.create_components(), seed)
            missing = [m for m in metric_names if m not in trial.metrics]
            if missing:
                raise PluginError(f"study '{case.study.name}' returned no value for metrics {missing}")
            row.update(status=OK, error_type=None, error_message=None, error_traceback=None)
            row.update({m: trial.metrics[m] for m in metric_names})
            if trial.trace is not None and trial.trace.height:
                traces.append(
                    trial.trace.with_columns(
                        pl.lit(case_id).alias("case_id"), pl.lit(repeat, dtype=pl.Int64).alias("repeat")
                    )
                )
        except Exception as err:  # failures are data: record it and go on
            row.update(
                status=FAILED,
                error_type=type(err).__name__,
                error_message=str(err),
                error_traceback="".join(traceback.format_exception(err)),
            )
            if os.environ.get("DISTLAB_DEBUG"):  # distlab --debug: the whole traceback, as it happens
                log.error("case %s trial %d failed:\n%s", case_id, repeat, row["error_traceback"].rstrip())
            else:
                log.warning("case %s trial %d failed: %s: %s (the traceback is in the error_traceback column; "
                            "distlab --debug shows it live)", case_id, repeat, type(err).__name__, err)
            row.update({m: None for m in metric_names})
        rows.append(row)
        kill_point("trial")  # a test hook (DISTLAB_KILL_AT): killed with trials done and nothing written

    return _store_case(case, job_dir, root, rows, traces, started=started, overrides=overrides, force=force,
                       existing=existing)


def record_lost_case(case: Case, job_dir: Path, *, root: Path, overrides: Sequence[str] = (), error_type: str,
                     message: str) -> CaseOutcome:
    """Store ``case`` as failed, every trial with ``error_type`` and ``message``, without running it.

    For a case whose process died while running it (a launcher's worker killed by a signal): the
    process that noticed writes the case as any failed case is written, so the report lists it and a
    re-run retries it.

    Args:
        case: the resolved case.
        job_dir: Hydra's job directory of the case.
        root: the sweep directory.
        overrides: the command-line overrides that made the case.
        error_type: the error column's type, e.g. ``WorkerDied``.
        message: what happened, for the error column.

    Returns:
        The outcome (status ``failed``).

    Raises:
        StoreError: the case cannot be written.
    """
    started = now()
    rows = [
        {**case.columns(), "case_id": case.case_id, "repeat": repeat, "trial_seed": seed, "status": FAILED,
         "error_type": error_type, "error_message": message, "error_traceback": None,
         **{m.name: None for m in case.study.metrics}}
        for repeat, seed in enumerate(case.trial_seeds())
    ]
    log.error("case %s failed: %s", case.case_id, message)
    return _store_case(case, job_dir, root, rows, [], started=started, overrides=overrides, force=False,
                       existing=None)


def _store_case(case: Case, job_dir: Path, root: Path, rows: list[dict[str, Any]], traces: list[Any], *,
                started: str, overrides: Sequence[str], force: bool, existing: Path | None) -> CaseOutcome:
    """Write a case's rows, trace and provenance as its case directory and link the job to it."""
    import polars as pl

    case_id = case.case_id
    seeds = [r["trial_seed"] for r in rows]
    status = OK if all(r["status"] == OK for r in rows) else FAILED
    files = {store.RESULTS: store.parquet_bytes(pl.DataFrame(rows, infer_schema_length=None, strict=False))}
    if traces:
        files[store.TRACE] = store.parquet_bytes(pl.concat(traces, how="diagonal_relaxed"))
    record = provenance(
        case_id=case_id,
        seed_key=case.seed_key,
        study=case.study.name,
        # The study's declarations, so that a report needs nothing but the rows and this file:
        # which columns are metrics (and how to draw them), which kind is the treatment (and its
        # baseline), and the study's key figures.
        treatment=case.study.treatment,
        baseline=case.study.baseline,
        metrics=[dataclasses.asdict(m) for m in case.study.metrics],
        figures=[dataclasses.asdict(f) for f in case.study.figures],
        config=case.config(),
        input_files=case.input_files(),
        overrides=list(overrides),
        seeds=seeds,
        components={
            kind: {
                "name": comp.name,
                "plugin": comp.plugin,
                "distribution": comp.distribution,
                "version": comp.version,
                "code": comp.code(),
            }
            for kind, (comp, _) in case.components.items()
        },
        started_at=started,
        finished_at=now(),
        status=status,
        trials={OK: sum(r["status"] == OK for r in rows), FAILED: sum(r["status"] == FAILED for r in rows)},
    )
    folder, written = store.commit_case(root, case_id, files, record, force=force)
    if not written:
        # Another sweep into this directory finished the same case meanwhile: same id, same rows.
        log.info("case %s was finished meanwhile by another run into %s; its results are kept", case_id, root)
        status = OK
    if existing is not None and existing != folder:
        store.supersede(existing)  # a forced re-run of a case of an older layout: count it once
    store.link_job(job_dir, folder)
    return CaseOutcome(case_id, status, folder)
