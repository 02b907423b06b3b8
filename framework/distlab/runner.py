"""The runner: runs every trial of a case and writes its rows, trace and provenance.

Failures are data: a trial that raises becomes a row with ``status = "failed"`` and the error, and
the other trials and cases go on. So does a trial that runs past its wall-clock limit
(``trial_timeout_s``, see :mod:`distlab.timelimit`).

Which failures a re-run repeats: a case whose failed trials all raised an error of the trial's own
making (a plugin's exception, under a seed that is fixed) fails the same way again, so a re-run into the
same directory keeps it and does not run it (``retry_failed=true`` does). A failure that may not happen
again is retried: a trial stopped by the time limit (the machine may have been busy), one that ran out
of memory or met an operating-system error (``OSError``: a file, a socket, the network), and a case
whose process died (a lost launcher worker, :func:`record_lost_case`). Cases recorded before this
distinction (no ``failed_deterministically`` in their provenance) are retried, as they always were.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distlab import store
from distlab.case import Case
from distlab.errors import ParameterError, PluginError
from distlab.provenance import now, provenance
from distlab.status import FAILED, OK, SKIPPED
from distlab.study import TraceRows
from distlab.store.lock import kill_point
from distlab.timelimit import TrialTimeout, check_limit, time_limit

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FAILED", "OK", "SKIPPED", "CaseOutcome", "RunOptions", "record_lost_case", "run_case", "run_options"]  # the statuses: until app.py imports distlab.status

log = logging.getLogger("distlab")

# Errors that may not happen again under the same seed: the machine's state, not the trial's logic.
_TRANSIENT: tuple[type[BaseException], ...] = (TrialTimeout, MemoryError, OSError)


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The run-level keys of the config that say how a case runs (none of them is part of the case id).

    Attributes:
        force: run the case even if it is finished, and replace it (``force``).
        retry_failed: run a case again whose trials failed deterministically (``retry_failed``).
        trial_timeout_s: the wall-clock limit of each trial in seconds, None for none (``trial_timeout_s``).
        hostname: record the host's name in provenance (``provenance.hostname``).
    """

    force: bool = False
    retry_failed: bool = False
    trial_timeout_s: float | None = None
    hostname: bool = True


def run_options(config: Mapping[str, Any]) -> RunOptions:
    """The :class:`RunOptions` of a config (a composed config or its plain values), checked.

    Args:
        config: the top-level config: ``force``, ``retry_failed``, ``trial_timeout_s`` and
            ``provenance.hostname`` are read; a missing key takes its default.

    Raises:
        ParameterError: a flag that is not true or false (YAML's ``no`` or ``2`` must not quietly mean
            something), a limit that is not a number of seconds above zero or null, or a ``provenance``
            node with keys other than ``hostname``.
    """
    flags: dict[str, bool] = {}
    for key, default in (("force", False), ("retry_failed", False)):
        value = config.get(key, default)
        if not isinstance(value, bool):
            raise ParameterError(key, value, "true or false")
        flags[key] = value
    limit = config.get("trial_timeout_s")
    try:
        seconds = check_limit(limit)
    except ValueError:
        raise ParameterError("trial_timeout_s", limit, "a number of seconds > 0, or null for no limit") from None
    node = config.get("provenance")
    hostname: object = True
    if node is not None:
        if not isinstance(node, Mapping):
            raise ParameterError("provenance", node, "a node with the key hostname (provenance.hostname=false)")
        unknown = sorted(str(k) for k in node if k != "hostname")
        if unknown:
            raise ParameterError(f"provenance.{unknown[0]}", node[unknown[0]], "only provenance.hostname exists")
        hostname = node.get("hostname", True)
        if not isinstance(hostname, bool):
            raise ParameterError("provenance.hostname", hostname, "true or false")
    return RunOptions(flags["force"], flags["retry_failed"], seconds, bool(hostname))


@dataclasses.dataclass(frozen=True)
class CaseOutcome:
    """What running a case did.

    Attributes:
        case_id: the case id.
        status: ``ok`` (every trial ran), ``failed`` (at least one trial raised or ran out of time;
            also a case that failed deterministically before and was not run again) or ``skipped``
            (complete results already existed).
        job_dir: the directory holding the case's results.
        kept: a failed case kept from an earlier run, not run again (it failed deterministically).
    """

    case_id: str
    status: str
    job_dir: Path
    kept: bool = False


def run_case(
    case: Case,
    job_dir: Path,
    *,
    root: Path | None = None,
    overrides: Sequence[str] = (),
    force: bool = False,
    retry_failed: bool = False,
    trial_timeout_s: float | None = None,
    hostname: bool = True,
    launcher: str | None = None,
    launcher_module: str | None = None,
) -> CaseOutcome:
    """Run every trial of ``case`` and store its case directory, ``root/case-<case id>/``.

    The case's results.parquet, trace.parquet and provenance.json are put in place together, in one
    rename (see :mod:`distlab.store`): a kill at any moment leaves the case as it was or complete.
    ``job_dir`` (Hydra's job directory) gets a link ``case`` to it. A case that is finished already
    (status ok, files intact) is skipped unless ``force``; so is one whose trials failed
    deterministically (see the module's doc) unless ``retry_failed`` or ``force``: it keeps its rows
    and counts as failed. Any other failed case, or a damaged one, runs again and its directory is
    replaced whole.

    Args:
        case: the resolved case.
        job_dir: Hydra's job directory of this case (for a single run, the run directory itself).
        root: the run or sweep directory holding the case directories (default: ``job_dir``).
        overrides: the command-line overrides that made the case (recorded in provenance).
        force: run even if the case is finished under ``root``, and replace it.
        retry_failed: run a case again that failed deterministically.
        trial_timeout_s: each trial's wall-clock limit in seconds (None: none); a trial past it fails
            with ``TrialTimeout`` (see :mod:`distlab.timelimit` for what can and cannot be interrupted).
        hostname: record the host's name in provenance.
        launcher: the Hydra launcher running the job, for provenance (the Hydra wing reads it).
        launcher_module: the module of the launcher's class, whose distribution's version (and those of
            its requirements) provenance records (:func:`distlab.provenance.distributions_of`).

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
    if existing is None and not force and not retry_failed:
        failed = store.find_failed_case(root, case_id)
        if failed is not None:
            log.warning("case %s failed deterministically before (see %s); not run again: the same seed fails the "
                        "same way (retry_failed=true runs it again)", case_id, failed)
            store.link_job(job_dir, failed)
            return CaseOutcome(case_id, FAILED, failed, kept=True)

    started = now()
    columns = case.columns()
    metric_names = [m.name for m in case.study.metrics]
    rows: list[dict[str, Any]] = []
    traces: list[pl.DataFrame] = []
    # Trials that gave their trace as rows (TraceRows), not yet a frame: (repeat, rows), made into one
    # frame for all of them (see _rows_frame) rather than one a trial.
    pending: list[tuple[int, TraceRows]] = []
    seeds = case.trial_seeds()
    transient = False  # a failed trial that might not fail again
    for repeat, seed in enumerate(seeds):
        row: dict[str, Any] = {**columns, "case_id": case_id, "repeat": repeat, "trial_seed": seed}
        try:
            with time_limit(trial_timeout_s):
                trial = case.study.run_trial(case.world, case.create_components(), seed)
            missing = [m for m in metric_names if m not in trial.metrics]
            if missing:
                raise PluginError(f"study '{case.study.name}' returned no value for metrics {missing}")
            row.update(status=OK, error_type=None, error_message=None, error_traceback=None)
            row.update({m: trial.metrics[m] for m in metric_names})
            trace_rows = trial.trace_rows
            if trace_rows is not None:
                if pending and trace_rows.schema != pending[0][1].schema:
                    traces.append(_rows_frame(case_id, pending))
                if trace_rows.rows:
                    pending.append((repeat, trace_rows))
            elif trial.trace is not None and trial.trace.height:
                if pending:  # keep the trials' order
                    traces.append(_rows_frame(case_id, pending))
                traces.append(
                    trial.trace.with_columns(
                        pl.lit(case_id).alias("case_id"), pl.lit(repeat, dtype=pl.Int64).alias("repeat")
                    )
                )
        except (Exception, TrialTimeout) as err:  # failures are data: record it and go on
            transient = transient or isinstance(err, _TRANSIENT)
            message = str(err)
            if isinstance(err, TrialTimeout):
                message = (f"the trial ran longer than trial_timeout_s={trial_timeout_s:g} s of wall-clock time and "
                           "was stopped (a component that never finishes, or a limit too low for this machine); "
                           "raise it with trial_timeout_s=SECONDS, or trial_timeout_s=null for no limit")
            row.update(
                status=FAILED,
                error_type=type(err).__name__,
                error_message=message,
                error_traceback="".join(traceback.format_exception(err)),
            )
            if os.environ.get("DISTLAB_DEBUG"):  # distlab --debug: the whole traceback, as it happens
                log.error("case %s trial %d failed:\n%s", case_id, repeat, row["error_traceback"].rstrip())
            else:
                log.warning("case %s trial %d failed: %s: %s (the traceback is in the error_traceback column; "
                            "distlab --debug shows it live)", case_id, repeat, type(err).__name__, message)
            row.update({m: None for m in metric_names})
        rows.append(row)
        kill_point("trial")  # a test hook (DISTLAB_KILL_AT): killed with trials done and nothing written

    if pending:
        traces.append(_rows_frame(case_id, pending))
    return _store_case(case, job_dir, root, rows, traces, started=started, overrides=overrides, force=force,
                       existing=existing, deterministic=not transient, hostname=hostname, launcher=launcher,
                       launcher_module=launcher_module)


def _rows_frame(case_id: str, pending: list[tuple[int, TraceRows]]) -> pl.DataFrame:
    """One trace frame for trials that gave rows of one schema, with the columns ``case_id`` and
    ``repeat`` as a trial's frame gets them; empties ``pending``."""
    import polars as pl

    rows = [row for _, trace_rows in pending for row in trace_rows.rows]
    repeats = [repeat for repeat, trace_rows in pending for _ in trace_rows.rows]
    frame = TraceRows(rows, pending[0][1].schema).frame().with_columns(
        pl.lit(case_id).alias("case_id"), pl.Series("repeat", repeats, dtype=pl.Int64)
    )
    pending.clear()
    return frame


def record_lost_case(case: Case, job_dir: Path, *, root: Path, overrides: Sequence[str] = (), error_type: str,
                     message: str, hostname: bool = True, launcher: str | None = None,
                     launcher_module: str | None = None) -> CaseOutcome:
    """Store ``case`` as failed, every trial with ``error_type`` and ``message``, without running it.

    For a case whose process died while running it (a launcher's worker killed by a signal): the
    process that noticed writes the case as any failed case is written, so the report lists it and a
    re-run retries it (a lost case is never a deterministic failure). Its provenance describes the
    process that noticed, not the one that died.

    Args:
        case: the resolved case.
        job_dir: Hydra's job directory of the case.
        root: the sweep directory.
        overrides: the command-line overrides that made the case.
        error_type: the error column's type, e.g. ``WorkerDied``.
        message: what happened, for the error column.
        hostname: record the host's name in provenance.
        launcher: the Hydra launcher of the sweep, for provenance.
        launcher_module: the module of the launcher's class, for provenance.

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
                       existing=None, deterministic=False, hostname=hostname, launcher=launcher,
                       launcher_module=launcher_module)


def _store_case(case: Case, job_dir: Path, root: Path, rows: list[dict[str, Any]], traces: list[Any], *,
                started: str, overrides: Sequence[str], force: bool, existing: Path | None, deterministic: bool,
                hostname: bool, launcher: str | None, launcher_module: str | None = None) -> CaseOutcome:
    """Write a case's rows, trace and provenance as its case directory and link the job to it.

    ``deterministic``: whether the failed trials, if any, would fail again under the same seeds (recorded
    for a failed case as ``failed_deterministically``, which a re-run reads).
    """
    import polars as pl

    case_id = case.case_id
    seeds = [r["trial_seed"] for r in rows]
    status = OK if all(r["status"] == OK for r in rows) else FAILED
    files = {store.RESULTS: store.parquet_bytes(pl.DataFrame(rows, infer_schema_length=None, strict=False))}
    if traces:
        files[store.TRACE] = store.parquet_bytes(pl.concat(traces, how="diagonal_relaxed"))
    record = provenance(
        hostname=hostname,
        launcher=launcher,
        launcher_module=launcher_module,
        case_id=case_id,
        seed_key=case.seed_key,
        study=case.study.name,
        study_code=case.study.engine_code(),
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
        failed_deterministically=(deterministic if status == FAILED else None),
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
