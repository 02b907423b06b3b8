"""The report's tables: every trial's row (one lazy Polars scan) and the summary of each case."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from distlab import store
from distlab.errors import ReportError
from distlab.report.provenance import ProvenanceSummary
from distlab.report.stats import t975
from distlab.status import OK

if TYPE_CHECKING:
    import polars as pl

    from distlab.report.provenance import JobProvenance
    from distlab.study import Figure, Metric

__all__ = ["ROW_COLUMNS", "Tables", "load_tables", "summarize", "swept_columns"]

# Columns every result row has besides the config and the metrics.
ROW_COLUMNS = ("case_id", "repeat", "trial_seed", "status", "error_type", "error_message", "error_traceback")
STATS = ("n", "mean", "std", "ci95_low", "ci95_high", "p50", "p99")


@dataclasses.dataclass
class Tables:
    """What a report is made of.

    Attributes:
        results: one tidy row per trial: config columns, case_id, repeat, trial_seed, status, error
            columns, metrics, and ``job_dir``.
        summary: one row per (case, metric) over the case's successful trials: n, mean, std, the 95%
            confidence interval of the mean (Student's t), p50 and p99.
        metrics: the metrics of the study, as its jobs recorded their declarations in provenance.
        config_columns: the config columns, in order.
        varying: the sweep's dimensions (see :func:`swept_columns`).
        provenance: the tally of the counted jobs' provenance (versions, machines, launchers, seeds, when).
        study_name: the study's name.
        treatment: the kind the study compares, as provenance recorded it, if any.
        notes: what a reader of the numbers should know about the data (copies counted once,
            incomplete jobs left out, mixed component versions).
        figures: the study's key figures, as provenance recorded their declarations.
        baseline: the treatment paired differences compare to, as provenance recorded it, if any.
    """

    results: pl.DataFrame
    summary: pl.DataFrame
    metrics: list[Metric]
    config_columns: list[str]
    varying: list[str]
    provenance: ProvenanceSummary
    study_name: str
    treatment: str | None
    notes: list[str] = dataclasses.field(default_factory=list)
    figures: list[Figure] = dataclasses.field(default_factory=list)
    baseline: str | None = None

    @property
    def failed(self) -> pl.DataFrame:
        """The failed trials."""
        import polars as pl

        return self.results.filter(pl.col("status") != OK)


def _union_schema(files: list[str], recorded: Sequence[Mapping[str, str] | None]) -> tuple[dict[str, Any], list[tuple[Path, str]]]:
    """The schema every file's rows are read into: each column once, in order of first appearance.

    A file's columns come from its provenance (``recorded``, written beside the file's SHA-256, which
    the report has checked) when it has them: the files of one sweep share a handful of schemas, and
    each distinct one is read from one file only. Files without (cases written before) are opened for
    their schema. Int in one job and float in another (or a column that was null): the wider type wins.
    """
    import polars as pl

    union: dict[str, Any] = {}
    bad: list[tuple[Path, str]] = []
    read: dict[tuple[tuple[str, str], ...], Any] = {}  # a recorded set of columns -> its schema
    applied: set[int] = set()  # schemas merged already (one sweep repeats a few, many times)
    for path, columns in zip(files, recorded):
        key = tuple(columns.items()) if columns else None
        try:
            if key is not None and key in read:
                schema = read[key]
            else:
                schema = pl.read_parquet_schema(path)
                if key is not None:
                    read[key] = schema
        except Exception as err:  # polars raises several types for a damaged file
            bad.append((Path(path), f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"))
            continue
        if id(schema) in applied:
            continue  # merging the same schema again changes nothing
        if key is not None:
            applied.add(id(schema))
        for name, dtype in schema.items():
            have = union.get(name)
            if have is None or have == pl.Null:
                union[name] = dtype
            elif dtype != pl.Null and dtype != have:
                union[name] = pl.Float64 if have.is_numeric() and dtype.is_numeric() else pl.String
    return union, bad


def load_tables(run_dir: Path) -> Tables:
    """Read every job's results under ``run_dir`` and summarize them.

    A job is a directory holding ``results.parquet`` and ``provenance.json``: a case directory
    (``case-<id>/``), a job directory of a sweep written before case directories, or the case that a
    Hydra job directory's ``case`` link names when ``run_dir`` is one. A case found in several
    directories counts once, from its finished ok copy, else the newest by recorded end time. A file
    that cannot be read (or differs from the SHA-256 its case recorded) is left out and named. When the
    sweep recorded its plan (:func:`distlab.store.plan_sweep`), how many planned cases have results is
    said. All of it goes into :attr:`Tables.notes`.

    Raises:
        ReportError: if ``run_dir`` is not a directory, holds no readable job, or holds results of more
            than one study.
    """
    import polars as pl

    from distlab.report.jobs import find_jobs

    if not run_dir.exists():
        raise ReportError(f"{run_dir} does not exist; give a run or sweep directory (e.g. multirun/DATE/TIME)")
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir} is not a directory; give a run or sweep directory (e.g. multirun/DATE/TIME)")
    found = find_jobs(run_dir)
    notes = list(found.notes)
    jobs = list(found.jobs)
    if not jobs:
        if found.unreadable:
            raise ReportError(
                f"no readable results in {run_dir}: "
                + "; ".join(f"{path}: {why}" for path, why in found.unreadable[:5])
                + ". Re-run the sweep into the same directory: these cases run again."
            )
        if found.orphans:
            raise ReportError(
                f"no complete job in {run_dir}: {len(found.orphans)} directories hold {store.RESULTS} but no "
                f"{store.PROVENANCE} beside it (e.g. {found.orphans[0]}), as a job interrupted between writing the "
                "two leaves it; re-run the sweep into the same directory to complete them."
            )
        raise ReportError(
            f"no results in {run_dir}: no {store.RESULTS} below it. Run 'distlab' (one case) or "
            "'distlab --multirun ...' (a sweep) first, then report on its output directory."
        )
    studies = sorted({j.provenance.study for j in jobs})
    if len(studies) > 1:
        by_study = {s: next(str(j.folder) for j in jobs if j.provenance.study == s) for s in studies}
        raise ReportError(
            f"{run_dir} holds results of several studies ({', '.join(studies)}); a report covers one. Report on "
            "each study's own run or sweep directory, e.g. " + "; ".join(f"{s}: {d}" for s, d in by_study.items())
        )
    unreadable = list(found.unreadable)
    while True:
        results, bad = _scan([os.path.join(j.folder, store.RESULTS) for j in jobs],
                             [j.provenance.results_columns for j in jobs],
                             [j.provenance.results_sha256 for j in jobs])
        if not bad:
            break
        # A file whose footer reads but whose pages do not (one written before file hashes): leave it out.
        unreadable += bad
        left_out = {str(path) for path, _ in bad}
        jobs = [j for j in jobs if os.path.join(j.folder, store.RESULTS) not in left_out]
        if not jobs:
            raise ReportError(f"no readable results in {run_dir}: "
                              + "; ".join(f"{path}: {why}" for path, why in unreadable[:5]))
    missing = [c for c in ROW_COLUMNS if c not in results.columns]
    if missing:
        raise ReportError(f"the results under {run_dir} lack the columns {missing}; they were not written by distlab")
    # Rows whose case id is not their job's (a results file copied over another's) would count twice.
    own = pl.col("case_id") == pl.col("job_dir").replace_strict(
        {str(j.folder): j.case_id for j in jobs}, default=None, return_dtype=pl.String)
    strays = results.filter(~own.fill_null(False))
    if strays.height:
        results = results.filter(own.fill_null(False))
        notes.append(f"{strays.height} rows are left out because their case_id is not the one their job's "
                     f"{store.PROVENANCE} records (e.g. in {_rel(strays['job_dir'][0], run_dir)}).")
    if found.planned is not None:
        have = {j.case_id for j in jobs}  # a set: a sweep may plan 100,000 cases
        absent = [c for c in found.planned if c not in have]
        notes.append(
            f"{len(found.planned) - len(absent)} of {len(found.planned)} planned cases have results"
            + (f"; missing: {', '.join(absent[:5])}{' ...' if len(absent) > 5 else ''} (an interrupted sweep, or cases "
               "that could not be written: run the same sweep into the same directory to complete it)."
               if absent else ".")
        )
    if unreadable:
        notes.append(
            f"{len(unreadable)} files could not be read and their jobs are left out (re-run the sweep into the same "
            "directory: these cases run again): "
            + "; ".join(f"{_rel(str(path), run_dir)}: {why}" for path, why in unreadable[:5])
            + (" ..." if len(unreadable) > 5 else "") + "."
        )
    orphans = found.orphans
    if orphans:
        notes.append(
            f"{len(orphans)} job directories hold {store.RESULTS} without {store.PROVENANCE} (jobs of an older "
            f"distlab interrupted between its two files) and are left out: "
            f"{', '.join(_rel(str(d), run_dir) for d in orphans[:5])}{' ...' if len(orphans) > 5 else ''}."
        )
    provenance = [j.provenance for j in jobs]
    results = _with_versions(results, [str(j.folder) for j in jobs], provenance)

    # The report reads rows and provenance alone: the same directory gives the same report whether
    # or not the study's package and plugins are installed here.
    metrics = _recorded_metrics(results, provenance)
    treatments = {p.treatment for p in provenance if p.treatment}
    treatment = str(next(iter(treatments))) if len(treatments) == 1 else None
    metric_names = {m.name for m in metrics}
    config_columns = [c for c in results.columns if c not in metric_names and c not in ROW_COLUMNS and c != "job_dir"]
    varying = swept_columns(results, config_columns)
    if any(c.endswith((".version", ".code", ".sha256")) for c in varying):
        notes.append(
            "The results mix versions or code of a component or of the study's engine, or contents of an input file "
            "(see the `.version`, `.code` and `.sha256` columns); they are kept apart, never pooled."
        )
    summary = summarize(results, metrics, config_columns)
    baselines = {p.baseline for p in provenance if p.baseline}
    baseline = str(next(iter(baselines))) if len(baselines) == 1 else None
    return Tables(results, summary, metrics, config_columns, varying, ProvenanceSummary.of(provenance), studies[0],
                  treatment, notes, _recorded_figures(provenance, metrics, config_columns), baseline)


def _recorded_figures(provenance: list[JobProvenance], metrics: list[Metric],
                      config_columns: list[str] | None = None) -> list[Figure]:
    """The key figures the jobs recorded (each once, by name), whose axes the results have.

    A figure's ``y`` must be a metric; its ``x`` a metric or one of ``config_columns``.
    """
    from distlab.study import Figure

    fields = {f.name for f in dataclasses.fields(Figure)}
    names = {m.name for m in metrics}
    recorded: dict[str, Figure] = {}
    for declarations in {id(p.figures): p.figures for p in provenance}.values():  # shared: each set once
        for figure in declarations:
            if not isinstance(figure, dict) or str(figure.get("name")) in recorded:
                continue
            try:
                declared = Figure(**{k: v for k, v in figure.items() if k in fields})
            except TypeError:  # a record of another shape: no key figure rather than no report
                continue
            if declared.y in names and (declared.x in names or declared.x in (config_columns or [])):
                recorded[declared.name] = declared
    return list(recorded.values())


def _indexed(files: list[str], sha256: list[str | None], schema: dict[str, Any]) -> tuple[list[pl.DataFrame], set[str]]:
    """The rows of the case directories the sweeps' row indexes hold (see :mod:`distlab.store.index`), cast to
    ``schema`` with their ``job_dir``, and the files they stand for.

    Only a case whose results file's SHA-256 (recorded in provenance, and checked against the file on
    disk by :func:`distlab.report.jobs.find_jobs`) is the one the index recorded is taken from it. If
    some indexed columns would need a cast the scan does not make, the index is not used at all, so
    the result is the scan's, whatever it is.
    """
    import polars as pl

    from distlab.store.index import CASE_DIR_COLUMN, read_index

    wanted: dict[str, dict[str, str]] = {}  # sweep directory -> case directory name -> results SHA-256
    for path, sha in zip(files, sha256):
        folder, _ = os.path.split(path)
        parent, name = os.path.split(folder)
        if sha is not None and name.startswith(store.CASE_PREFIX):
            wanted.setdefault(parent, {})[name] = sha
    frames: list[pl.DataFrame] = []
    covered: set[str] = set()
    for parent, names in wanted.items():
        for rows in read_index(Path(parent), names):
            columns = {c: d for c, d in rows.schema.items() if c != CASE_DIR_COLUMN}
            if any(c not in schema or not _scan_casts(d, schema[c]) for c, d in columns.items()):
                return [], set()
            frames.append(rows.select(
                *[pl.col(c).cast(d) if c in columns else pl.lit(None, d).alias(c) for c, d in schema.items()],
                (pl.lit(parent + os.sep) + pl.col(CASE_DIR_COLUMN)).alias("job_dir"),
            ))
            covered.update(os.path.join(parent, n, store.RESULTS) for n in rows[CASE_DIR_COLUMN].unique().to_list())
    return frames, covered


def _scan_casts(have: Any, want: Any) -> bool:
    """Whether the scan reads a file's column of type ``have`` into the union's ``want`` (see :func:`_scan`)."""
    import polars as pl

    return bool(have == want or have == pl.Null or (want == pl.Float64 and (have.is_integer() or have.is_float())))


def _scan(files: list[str], recorded: Sequence[Mapping[str, str] | None],
          sha256: list[str | None] | None = None) -> tuple[pl.DataFrame, list[tuple[Path, str]]]:
    """Every row of ``files`` with its ``job_dir``; or the files that cannot be decoded.

    Rows of cases a sweep's row index holds come from it (a few files instead of one per case, see
    :func:`_indexed`); the other files are read in one lazy scan. Each file is opened once here (its
    schema comes from ``recorded`` where provenance has it, see :func:`_union_schema`).
    """
    import polars as pl

    schema, bad = _union_schema(files, recorded)
    indexed: list[pl.DataFrame] = []
    if not bad and sha256 is not None:
        indexed, covered = _indexed(files, sha256, schema)
        if covered:
            files = [f for f in files if f not in covered]
    if not bad and not files:
        return pl.concat(indexed, how="vertical").sort("case_id", "repeat", "job_dir"), []
    if not bad:
        scan = pl.scan_parquet(
            files,
            schema=schema,
            missing_columns="insert",
            include_file_paths="job_dir",
            cast_options=pl.ScanCastOptions(integer_cast="allow-float", float_cast="upcast"),
        )
        try:
            frame = scan.with_columns(pl.col("job_dir").str.replace(r"[/\\][^/\\]*$", "")).collect()
            return pl.concat([*indexed, frame], how="vertical").sort("case_id", "repeat", "job_dir"), []
        except Exception:  # a file whose footer reads but whose pages do not: find which, one by one
            pass
    known = {str(b) for b, _ in bad}
    for path in [f for f in files if f not in known]:
        try:
            pl.read_parquet(path)
        except Exception as err:  # polars raises several types for a damaged file
            bad.append((Path(path), f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"))
    if not bad:  # every file reads alone: the union of their schemas is what fails
        raise ReportError("cannot read the results together: " + ", ".join(str(f) for f in files[:3]))
    return pl.DataFrame(), bad


def _rel(path: str, root: Path) -> str:
    import os

    return os.path.relpath(path, root)


def _with_versions(results: pl.DataFrame, folders: list[str], provenance: list[JobProvenance]) -> pl.DataFrame:
    """Add ``<kind>.version`` (each component's distribution and version), ``<kind>.code`` (the hash of its
    code, first 12 hex digits; ``study.code`` the study engine's) and ``<key>.sha256`` (each input file's content hash, first 12 hex digits),
    as provenance records them (:attr:`JobProvenance.versions`), to every row.

    A case id includes both, so results of two versions of a plugin, or of two contents of one
    input file, are two cases with the same config; these columns tell them apart in the report.
    """
    import polars as pl

    # The jobs of a sweep share a few sets of versions (one object each): a small table of those, and
    # each job's number in it, rather than a row of strings per job.
    numbers: dict[int, int] = {}
    distinct: list[Mapping[str, str]] = []
    numbered = []
    for prov in provenance:
        number = numbers.setdefault(id(prov.versions), len(distinct))
        if number == len(distinct):
            distinct.append(prov.versions)
        numbered.append(number)
    versions = pl.DataFrame([dict(v) for v in distinct], infer_schema_length=None).with_row_index("_versions")
    jobs = pl.DataFrame({"job_dir": folders, "_versions": numbered},
                        schema={"job_dir": pl.String, "_versions": pl.UInt32})
    # The scan's job_dir is the file's parent as written by the scan: match it the same way.
    jobs = jobs.with_columns(pl.col("job_dir").str.replace(r"[/\\]$", ""))
    per_job = jobs.join(versions, on="_versions", how="left").drop("_versions")
    return results.join(per_job, on="job_dir", how="left", coalesce=True)


def swept_columns(results: pl.DataFrame, config_columns: list[str]) -> list[str]:
    """The config columns that are dimensions of the sweep.

    A column is swept if its value differs between cases, except a component's parameter whose
    value is fixed by the component (and preset) chosen: it varies only because the component does.
    """
    import polars as pl

    cases = results.unique("case_id")
    out = []
    for column in config_columns:
        if cases.select(pl.col(column).n_unique()).item() <= 1:
            continue
        owner = column.split(".", 1)[0]
        if "." in column and owner in config_columns and column != f"{owner}.preset":
            keys = [owner] + ([f"{owner}.preset"] if f"{owner}.preset" in config_columns else [])
            per_choice = cases.group_by(keys).agg(pl.col(column).n_unique().alias("n"))["n"].max()
            if per_choice is not None and int(per_choice) <= 1:  # type: ignore[arg-type]
                continue
        out.append(column)
    return out


def _recorded_metrics(results: pl.DataFrame, provenance: list[JobProvenance]) -> list[Metric]:
    """The metrics the jobs recorded in provenance (each one's whole declaration), in their order.

    Jobs written before provenance recorded whole declarations give name and doc only (the other
    fields take their defaults); jobs written before it recorded metrics at all fall back to the numeric
    columns after ``error_traceback`` that are not component parameters (``kind.param``) or versions.
    """
    from distlab.study import Metric

    fields = {f.name for f in dataclasses.fields(Metric)}
    recorded: dict[str, Metric] = {}
    for declarations in {id(p.metrics): p.metrics for p in provenance}.values():  # shared: each set once
        for metric in declarations:
            if isinstance(metric, dict) and "name" in metric and str(metric["name"]) not in recorded:
                recorded[str(metric["name"])] = Metric(**{k: v for k, v in metric.items() if k in fields})
    if recorded:
        return [m for name, m in recorded.items() if name in results.columns]
    cols = results.columns
    start = cols.index("error_traceback") + 1 if "error_traceback" in cols else len(cols)
    return [Metric(c, "") for c in cols[start:]
            if c != "job_dir" and "." not in c and results.schema[c].is_numeric()]


def summarize(results: pl.DataFrame, metrics: list[Metric], config_columns: list[str]) -> pl.DataFrame:
    """One row per (case, metric) over the case's successful trials.

    The 95% confidence interval of the mean is mean ± t(0.975, n-1) · std / sqrt(n); it is null for
    a single trial. Quantiles are linear-interpolated. Booleans count as 0/1 (so the mean is a rate).
    """
    import polars as pl

    ok = results.filter(pl.col("status") == OK)
    keys = ["case_id", *[c for c in config_columns if c in results.columns]]
    frames = []
    for metric in metrics:
        if metric.name not in ok.columns:
            continue
        value = pl.col(metric.name).cast(pl.Float64)
        frames.append(
            ok.group_by(keys, maintain_order=True).agg(
                pl.lit(metric.name).alias("metric"),
                value.count().alias("n"),
                value.mean().alias("mean"),
                value.std().alias("std"),
                value.quantile(0.5, "linear").alias("p50"),
                value.quantile(0.99, "linear").alias("p99"),
            )
        )
    if not frames:
        return pl.DataFrame()
    summary = pl.concat(frames, how="diagonal_relaxed")
    t_values = pl.DataFrame(
        {"n": sorted(set(summary["n"].to_list()))}, schema={"n": summary.schema["n"]}
    ).with_columns(pl.col("n").map_elements(t975, return_dtype=pl.Float64).alias("_t"))
    half = pl.col("_t") * pl.col("std") / pl.col("n").cast(pl.Float64).sqrt()
    return (
        summary.join(t_values, on="n", how="left")
        .with_columns(
            pl.when(pl.col("n") > 1).then(pl.col("mean") - half).alias("ci95_low"),
            pl.when(pl.col("n") > 1).then(pl.col("mean") + half).alias("ci95_high"),
        )
        .drop("_t")
        .select(*keys, "metric", *STATS)
        .sort("case_id", "metric")
    )


def combine(named: list[tuple[str, Tables]]) -> Tables:
    """One report's tables over several sweeps of one study: every row with its ``sweep`` column.

    The sweep is a dimension like any swept parameter (the results table shows it as a column), and the
    same case in two sweeps stays two rows: they are compared, never pooled.

    Args:
        named: each sweep's name (as the report shows it) and its tables.

    Raises:
        ReportError: if the sweeps are of different studies.
    """
    import polars as pl

    studies = sorted({t.study_name for _, t in named})
    if len(studies) > 1:
        raise ReportError(f"the directories hold results of several studies ({', '.join(studies)}); a comparison "
                          "covers one study")
    first = named[0][1]
    results = pl.concat([t.results.with_columns(pl.lit(name).alias("sweep")) for name, t in named],
                        how="diagonal_relaxed")
    config_columns = ["sweep", *dict.fromkeys(c for _, t in named for c in t.config_columns)]
    varying = ["sweep", *dict.fromkeys(c for _, t in named for c in t.varying)]
    metrics = list({m.name: m for _, t in named for m in t.metrics}.values())
    summary = summarize(results, metrics, config_columns)
    notes = [f"{name}: {note}" for name, t in named for note in t.notes]
    provenance = named[0][1].provenance
    for _, t in named[1:]:
        provenance = provenance.merged(t.provenance)
    return Tables(results, summary, metrics, config_columns, varying, provenance, first.study_name, first.treatment, notes, first.figures, first.baseline)
