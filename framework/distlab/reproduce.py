"""``distlab reproduce``: run a committed experiment again and compare every number with its committed results.

An experiment folder commits its results as ``results.csv`` (written by ``distlab experiment`` beside
REPORT.md, see :func:`write_results_csv`): one row per trial, with

- the columns that tell its cases apart: each kind's label (the preset's name where one was chosen, else
  the component's) and each swept parameter, as few as do it (a column that the others determine is left
  out); the case id is not among them, because it covers the code of the components: a change that moves
  no number still makes new ids;
- ``repeat``, ``status`` and ``error_type``;
- every metric.

Every value is written as Polars writes it as text, which reads back to the same number (floats in
their shortest exact form), so a simulated metric is compared exactly, as text. A metric the study
declares ``measured`` (timed on the machine: :attr:`distlab.study.Metric.measured`) differs from run to
run; it is compared per case, the mean over the trials that ran, within a band: the reproduced mean must
lie within a factor of the committed one.

A trial is the same trial in both runs when its case's labels and its repeat index are the same: a trial's
seed depends on the case's world and repeat index, not on how many repeats the case has, so a reduced
sweep (a subset with fewer cases and repeats, ``DIR/subset/NAME.yaml``) reproduces its trials exactly.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distlab import store
from distlab.errors import ConfigError, DistlabError
from distlab.report.units import counted

if TYPE_CHECKING:
    import polars as pl

__all__ = ["BAND", "RESULTS_CSV", "SUBSETS", "Difference", "Reproduction", "compare", "format_differences",
           "read_case_rows", "reproduce", "results_table", "write_results_csv"]

RESULTS_CSV = "results.csv"
"""The committed results' file name, in the experiment folder."""
SUBSETS = "subset"
"""The experiment folder's config group of reduced sweeps: ``DIR/subset/NAME.yaml``, chosen with ``+subset=NAME``."""
BAND = 5.0
"""The default band for measured metrics: the reproduced case mean within this factor of the committed one.

Timed metrics move with the machine and its load. On this project's shared 2-core machine, under a load
average of about 8, the reduced marshaling sweep's 18 throughput means differed from the committed ones
by up to 1.5x, 2.4x, 3.1x and 2.7x in four runs. A factor of 5 passes that noise (or a machine twice
slower with less of it) and still catches a change that makes a code path an order of magnitude slower
or faster; the exact comparison of everything computed is the real check."""

_TRIAL = ("repeat", "status", "error_type")
_NOT_CONFIG = {"case_id", "repeat", "trial_seed", "status", "error_type", "error_message", "error_traceback"}


@dataclasses.dataclass(frozen=True)
class Difference:
    """One number that did not reproduce.

    Attributes:
        case: the case (its labels, and the trial's repeat for a trial's value), e.g. ``KIND=a x=1 repeat 0``.
        metric: the metric (or ``status``, ``error_type``, or ``(trial)`` for a trial present on one side only).
        committed: the committed value, as text (``-`` for none).
        reproduced: the reproduced value, as text (``-`` for none).
    """

    case: str
    metric: str
    committed: str
    reproduced: str


@dataclasses.dataclass(frozen=True)
class Reproduction:
    """What :func:`reproduce` found.

    Attributes:
        differences: every number that did not reproduce (empty: all did).
        compared: how many values were compared.
        trials: how many trials the reproduction ran.
        measured: the metrics compared within the band.
        notes: what the reader should know (metrics the committed results lack, the folder kept).
    """

    differences: list[Difference]
    compared: int
    trials: int
    measured: list[str]
    notes: list[str]


def read_case_rows(root: Path) -> tuple[pl.DataFrame, list[dict[str, Any]], list[str]]:
    """The result rows of every finished case directory directly below ``root`` (a sweep directory).

    Args:
        root: the sweep directory.

    Returns:
        The rows (one per trial), the study's metric declarations as the provenance recorded them, and
        the kinds of the cases.

    Raises:
        DistlabError: no case directory, or one whose files are not as its provenance says.
    """
    import polars as pl

    frames: list[pl.DataFrame] = []
    metrics: dict[str, dict[str, Any]] = {}
    kinds: dict[str, None] = {}  # a dict keeps the first-seen order
    for folder in sorted(p for p in root.glob(f"{store.CASE_PREFIX}*") if store.is_case_dir(p)):
        try:
            record = store.read_provenance(folder / store.PROVENANCE)
            problem = store.case_problem(folder, record)
        except (OSError, store.ProvenanceError) as err:
            raise DistlabError(f"cannot read the case {folder}: {err}") from None
        if problem is not None:
            raise DistlabError(f"the case {folder}: {problem[0].name} {problem[1]}")
        frames.append(pl.read_parquet(folder / store.RESULTS))
        for metric in record.get("metrics") or []:
            metrics.setdefault(str(metric["name"]), metric)
        for kind in record.get("components") or {}:
            kinds.setdefault(str(kind), None)
    if not frames:
        raise DistlabError(f"{root} holds no case directory (case-<id>/ with provenance.json)")
    return pl.concat(frames, how="diagonal_relaxed"), list(metrics.values()), list(kinds)


def results_table(rows: pl.DataFrame, metrics: Sequence[str], kinds: Sequence[str],
                  keys: Sequence[str] | None = None) -> pl.DataFrame:
    """The committed form of an experiment's rows: its case labels, repeat, status, error type and metrics, as text.

    Args:
        rows: one row per trial (:func:`read_case_rows`).
        metrics: the metric columns, in order.
        kinds: the study's kinds (their columns are labelled by preset or component name).
        keys: the label columns to keep; None chooses them (:func:`_keys`).

    Returns:
        One row per trial, every column a string, sorted by labels and repeat.
    """
    import polars as pl

    labelled = rows.with_columns(
        pl.coalesce(pl.col(f"{k}.preset"), pl.col(k)).alias(k) if f"{k}.preset" in rows.columns else pl.col(k)
        for k in kinds if k in rows.columns
    )
    if keys is None:
        keys = _keys(labelled, metrics, kinds)
    missing = [k for k in keys if k not in labelled.columns]
    if missing:
        labelled = labelled.with_columns(pl.lit(None, dtype=pl.Utf8).alias(k) for k in missing)
    cols = [*keys, *_TRIAL, *metrics]
    table = labelled.with_columns(pl.lit(None, dtype=pl.Utf8).alias(m) for m in metrics if m not in labelled.columns)
    # Sorted before the values become text, so that numbers sort as numbers (repeat 2 before 10).
    table = table.sort([*keys, "repeat"], nulls_last=True, maintain_order=True)
    return table.select(pl.col(c).cast(pl.Utf8) for c in cols)


def _keys(rows: pl.DataFrame, metrics: Sequence[str], kinds: Sequence[str]) -> list[str]:
    """The fewest config columns that tell the cases apart, kinds first, in column order.

    A column joins if it varies among the cases and the columns chosen so far do not determine it (a
    component's own parameters are set by its name or preset; a swept world parameter is not).
    """
    import polars as pl

    config = [c for c in rows.columns if c not in _NOT_CONFIG and c not in metrics and not c.endswith(".preset")]
    ordered = [c for c in config if c in kinds] + [c for c in config if c not in kinds]
    cases = rows.unique("case_id", keep="first", maintain_order=True).select(pl.col(c).cast(pl.Utf8) for c in ordered)
    keys: list[str] = []
    for col in ordered:
        if not keys:
            joins = cases[col].n_unique() > 1
        else:
            widest = cases.group_by(keys).agg(pl.col(col).n_unique().alias("n"))["n"].max()
            joins = isinstance(widest, int) and widest > 1
        if joins:
            keys.append(col)
    return keys


def write_results_csv(runs: Path, folder: Path) -> Path:
    """Write an experiment's committed results, ``folder/results.csv``, from its sweep directory ``runs``.

    Args:
        runs: the experiment's sweep directory (``DIR/runs``).
        folder: the experiment folder.

    Returns:
        The file written.

    Raises:
        DistlabError: ``runs`` holds no readable case.
    """
    rows, metrics, kinds = read_case_rows(runs)
    table = results_table(rows, [str(m["name"]) for m in metrics], kinds)
    target = folder / RESULTS_CSV
    store.write_bytes(target, table.write_csv().encode())
    return target


def _read_committed(folder: Path) -> tuple[pl.DataFrame, list[str], list[str]]:
    """The committed results of an experiment folder: the table, its label columns and its metrics."""
    import polars as pl

    path = folder / RESULTS_CSV
    if not path.is_file():
        raise ConfigError(f"{folder} has no {RESULTS_CSV} (its committed results); write it with distlab experiment "
                          f"{folder} --report-only, from the runs the report was made of")
    try:
        table = pl.read_csv(path, infer_schema=False)
    except Exception as err:  # polars raises several types for a malformed file
        raise DistlabError(f"{path} is not a results table ({type(err).__name__}: {err})") from None
    if not all(c in table.columns for c in _TRIAL):
        raise DistlabError(f"{path} lacks the columns {', '.join(_TRIAL)}; it is not a results table distlab wrote")
    start = table.columns.index(_TRIAL[0])
    return table, table.columns[:start], table.columns[start + len(_TRIAL):]


def compare(committed: pl.DataFrame, reproduced: pl.DataFrame, keys: Sequence[str], metrics: Sequence[str],
            measured: Sequence[str], *, band: float = BAND, complete: bool = True) -> tuple[list[Difference], int]:
    """Compare two results tables (both from :func:`results_table`, with the same label columns).

    Args:
        committed: the committed table.
        reproduced: the reproduced table.
        keys: the label columns that identify a case.
        metrics: the committed metric columns (the reproduced table has them too).
        measured: the metrics compared per case within ``band``; the others are compared exactly.
        band: a measured case mean must lie within ``[committed / band, committed * band]``.
        complete: whether every committed trial must have been reproduced (False for a subset).

    Returns:
        The differences, and how many values were compared.
    """
    import polars as pl

    on = [*keys, "repeat"]
    joined = committed.join(reproduced, on=on, how="full", suffix="__r", coalesce=True, nulls_equal=True)
    diffs: list[Difference] = []
    compared = 0
    exact = [c for c in ("status", "error_type", *metrics) if c not in measured]
    for row in joined.iter_rows(named=True):
        case = _label(row, keys)
        trial = f"{case} repeat {row['repeat']}"
        if row["status"] is None and row["status__r"] is not None:
            diffs.append(Difference(trial, "(trial)", "-", "not in the committed results"))
            continue
        if row["status__r"] is None:
            if complete:
                diffs.append(Difference(trial, "(trial)", "committed", "not reproduced"))
            continue
        for col in exact:
            compared += 1
            if row[col] != row[f"{col}__r"]:
                diffs.append(Difference(trial, col, _shown(row[col]), _shown(row[f"{col}__r"])))
    reproduced_cases = reproduced.select(keys).unique()
    for metric in measured:
        means = [
            table.join(reproduced_cases, on=list(keys), how="semi", nulls_equal=True)
            .filter(pl.col("status") == "ok")
            .group_by(keys, maintain_order=True).agg(pl.col(metric).cast(pl.Float64).mean())
            for table in (committed, reproduced)
        ]
        # Only cases with a mean on both sides: a case missing on one side, or whose trials all failed on
        # one side, is a difference of its trials already.
        for row in means[0].join(means[1], on=list(keys), how="inner", suffix="__r",
                                 nulls_equal=True).iter_rows(named=True):
            compared += 1
            old, new = row[metric], row[f"{metric}__r"]
            if not _within(old, new, band):
                diffs.append(Difference(f"{_label(row, keys)} (mean)", metric, _shown(old), _shown(new)))
    return diffs, compared


def _within(old: float | None, new: float | None, band: float) -> bool:
    """Whether a reproduced mean is within ``band`` of the committed one (both missing counts as the same)."""
    if old is None or new is None:
        return old is None and new is None
    if not (math.isfinite(old) and math.isfinite(new)):
        return old == new
    if old == 0 or new == 0:
        return old == new
    if (old > 0) != (new > 0):
        return False
    return abs(math.log(new / old)) <= math.log(band)


def _label(row: dict[str, Any], keys: Sequence[str]) -> str:
    return " ".join(f"{k}={row[k]}" for k in keys) or "(the one case)"


def _shown(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def reproduce(folder: Path, *, subset: str | None = None, overrides: Sequence[str] = (), band: float = BAND,
              keep: bool = False) -> Reproduction:
    """Run an experiment folder's sweep again in a temporary directory and compare with its committed results.

    Args:
        folder: the experiment folder (``sweep.yaml``, ``results.csv``).
        subset: the name of a reduced sweep in ``folder/subset/`` to run instead of the whole sweep; only
            the trials it runs are compared.
        overrides: more overrides for the sweep (e.g. a launcher).
        band: the factor within which a measured metric's case mean must reproduce.
        keep: keep the temporary sweep directory (its path is in the notes).

    Returns:
        What was compared and what differs.

    Raises:
        ConfigError: no sweep.yaml, no committed results, an unknown subset, a band below 1, or what the
            sweep's preflight refuses; all before anything runs.
        DistlabError: the sweep did not run.
    """
    if not (folder / "sweep.yaml").is_file():
        raise ConfigError(f"{folder} has no sweep.yaml; an experiment folder holds its sweep config there")
    if not band >= 1:
        raise ConfigError(f"--band {band}: the band is a factor of at least 1 (e.g. 3: within a third and three "
                          "times the committed mean)")
    extra = list(overrides)
    if subset is not None:
        choices = sorted(p.stem for p in (folder / SUBSETS).glob("*.yaml"))
        if subset not in choices:
            from distlab.errors import nearest

            guess = nearest(subset, choices)
            raise ConfigError(f"{folder} has no subset {subset!r}{f'; did you mean {guess!r}?' if guess else ''} "
                              f"(its subsets: {', '.join(choices) or f'none; add {SUBSETS}/NAME.yaml'})")
        extra.insert(0, f"+{SUBSETS}={subset}")
    committed, keys, metrics = _read_committed(folder)
    tmp = Path(tempfile.mkdtemp(prefix="distlab-reproduce-"))
    runs = tmp / "runs"
    try:
        from distlab.hydra.app import run as run_hydra

        code = run_hydra(["--multirun", "--config-dir", str(folder), "--config-name", "sweep",
                          f"hydra.sweep.dir={runs}", *extra], report=None if keep else "")
        if code != 0:
            raise DistlabError(f"the sweep of {folder} did not run (exit status {code})")
        rows, declared, kinds = read_case_rows(runs)
        names = [str(m["name"]) for m in declared]
        reproduced = results_table(rows, names, kinds, keys)
        measured = [str(m["name"]) for m in declared if m.get("measured") and m["name"] in metrics]
        notes = []
        gone = [m for m in metrics if m not in names]
        if gone:
            notes.append(f"committed metrics the study no longer writes: {', '.join(gone)}")
        new = [m for m in names if m not in metrics]
        if new:
            notes.append(f"metrics without committed values (not compared): {', '.join(new)}")
        for m in gone:
            reproduced = reproduced.with_columns(_null(m))
        diffs, compared = compare(committed, reproduced, keys, metrics, measured, band=band,
                                  complete=subset is None)
        if keep:
            notes.append(f"the reproduced sweep is kept in {runs} (distlab report {runs} makes its report)")
        else:
            # The sweep's last line named a report command on this directory, which is about to go.
            notes.append(f"the reproduced sweep ({runs}) is deleted; give --keep to keep it and report on it")
        return Reproduction(diffs, compared, reproduced.height, measured, notes)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)



def _null(name: str) -> Any:
    import polars as pl

    return pl.lit(None, dtype=pl.Utf8).alias(name)


def format_differences(result: Reproduction, *, band: float = BAND) -> str:
    """The outcome for a person: a table of the differences (case, metric, committed, reproduced) and a last line.

    Args:
        result: what :func:`reproduce` found.
        band: the band it used (said in the last line).

    Returns:
        The text, without a final newline.
    """
    lines = [f"note: {n}" for n in result.notes]
    rows = [(d.case, d.metric, d.committed, d.reproduced) for d in result.differences]
    if rows:
        header = ("case", "metric", "committed", "reproduced")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        for r in [header, *rows]:
            lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    how = "exact" + (f"; measured ({', '.join(result.measured)}): case means within a factor {band:g}"
                     if result.measured else "")
    verdict = counted(len(result.differences), "difference") if result.differences else "identical"
    lines.append(f"{verdict}: {counted(result.compared, 'value')} of {counted(result.trials, 'reproduced trial')} "
                 f"compared ({how})")
    return "\n".join(lines)
