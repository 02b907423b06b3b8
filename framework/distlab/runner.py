"""The runner: runs every trial of a case and writes its rows, trace and provenance.

Failures are data: a trial that raises becomes a row with ``status = "failed"`` and the error, and
the other trials and cases go on.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from distlab import store
from distlab.case import Case
from distlab.errors import PluginError
from distlab.provenance import now, provenance
from distlab.status import FAILED, OK, SKIPPED

__all__ = ["FAILED", "OK", "SKIPPED", "CaseOutcome", "run_case"]  # the statuses: until app.py imports distlab.status

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
    """Run every trial of ``case`` and write the job directory.

    Args:
        case: the resolved case.
        job_dir: where to write results.parquet, trace.parquet and provenance.json.
        root: the run or sweep directory whose case index says what already ran (default: job_dir).
        overrides: the command-line overrides that made the case (recorded in provenance).
        force: run even if complete results of the same case exist under ``root``.

    Returns:
        The outcome.
    """
    import polars as pl

    root = root or job_dir
    case_id = case.case_id
    existing = store.find_case(root, case_id)
    if existing is not None and not force:
        log.info("case %s already has results in %s; skipped (force=true runs it again)", case_id, existing)
        return CaseOutcome(case_id, SKIPPED, existing)
    if existing is not None and existing.resolve() != job_dir.resolve():
        # A forced re-run replaces the old results; keeping both would count the case twice.
        for name in (store.RESULTS, store.TRACE):
            old = existing / name
            if old.exists():
                old.replace(old.with_name(name + ".superseded"))

    moved = store.displace(root, job_dir, case_id)
    if moved is not None:
        log.warning("%s held the results of another case (another sweep into this directory, or the same "
                    "config with other component versions); moved them to %s", job_dir, moved)

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
            log.warning("case %s trial %d failed: %s: %s", case_id, repeat, type(err).__name__, err)
            row.update(
                status=FAILED,
                error_type=type(err).__name__,
                error_message=str(err),
                error_traceback="".join(traceback.format_exception(err)),
            )
            row.update({m: None for m in metric_names})
        rows.append(row)

    status = OK if all(r["status"] == OK for r in rows) else FAILED
    store.write_parquet(job_dir / store.RESULTS, pl.DataFrame(rows, infer_schema_length=None, strict=False))
    if traces:
        store.write_parquet(job_dir / store.TRACE, pl.concat(traces, how="diagonal_relaxed"))
    elif (job_dir / store.TRACE).exists():
        (job_dir / store.TRACE).unlink()
    store.write_json(
        job_dir / store.PROVENANCE,
        provenance(
            case_id=case_id,
            seed_key=case.seed_key,
            study=case.study.name,
            # The study's declarations, so that a report needs nothing but the rows and this file:
            # which columns are metrics (and how to draw them), and which kind is the treatment.
            treatment=case.study.treatment,
            metrics=[dataclasses.asdict(m) for m in case.study.metrics],
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
        ),
    )
    if status == OK:
        store.mark_case(root, case_id, job_dir)
    return CaseOutcome(case_id, status, job_dir)
