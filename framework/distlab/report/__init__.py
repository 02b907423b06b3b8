"""``distlab report``: from a run or sweep directory to tables, figures, REPORT.md and report.html."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from distlab.report.claims import verdict
from distlab.report.tables import Tables, load_tables

__all__ = ["Tables", "load_compared", "load_tables", "make_report", "report_dir", "verdict"]


def load_compared(run_dirs: Sequence[Path]) -> Tables:
    """The tables of one sweep, or of several compared (a ``sweep`` column naming each by its folder).

    Raises:
        ReportError: as :func:`load_tables`, or if the directories hold different studies.
    """
    from distlab.report.tables import combine

    dirs = [Path(d) for d in run_dirs]
    if len(dirs) == 1:
        return load_tables(dirs[0])
    names: list[str] = []
    for d in dirs:
        # The folder's name, made longer from its parents until it tells the sweeps apart.
        parts = d.absolute().parts
        depth = 1
        while "/".join(parts[-depth:]) in names and depth < len(parts):
            depth += 1
        names.append("/".join(parts[-depth:]))
    return combine([(name, load_tables(d)) for name, d in zip(names, dirs)])


def make_report(run_dir: Path | Sequence[Path], out_dir: Path | None = None, *,
                analysis: Path | None = None) -> list[Path]:
    """Make the report of every job under ``run_dir``.

    A report never writes over a job's files. Where it goes by default: into ``run_dir`` itself for a
    sweep directory (it holds case directories and Hydra's job directories, no job files of its own), and
    into ``run_dir/report/`` for a single run's directory or one job directory of a sweep (these hold a
    job's own files, or Hydra's). A case directory (``case-<id>/``) takes no report inside it: a re-run
    replaces it whole, so ``out_dir`` must be given. See :func:`report_dir`.

    Args:
        run_dir: a run or sweep directory, a job directory, or a case directory; or several sweep
            directories of one study, compared in one report (``out_dir`` then required).
        out_dir: where to write (default: see above). Refused if it is, or is inside, a case directory, or
            holds a job's ``provenance.json`` or ``results.parquet``.
        analysis: an optional Python file defining ``analyze(tables: Tables, figures_dir: Path) -> str``,
            whose Markdown is added to the report (an experiment's own claims and checks).

    Returns:
        The files written: results.parquet, summary.parquet, summary.csv, figures, REPORT.md, report.html.

    Raises:
        ReportError: if ``run_dir`` holds no results, or ``out_dir`` would write over a job's files.
    """
    from distlab import store
    from distlab.errors import ReportError
    from distlab.report import claims
    from distlab.report.figures import draw_figures
    from distlab.report.render import render

    dirs = [Path(run_dir)] if isinstance(run_dir, (str, Path)) else [Path(d) for d in run_dir]
    if len(dirs) > 1 and out_dir is None:
        raise ReportError("a report comparing several directories needs --out (where to write it)")
    out = report_dir(dirs[0], None if out_dir is None else Path(out_dir))
    tables = load_compared(dirs)  # first: a bad run_dir must not leave an empty out_dir behind
    claims.start()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise store.store_error(err, out) from err
    written = [out / "results.parquet", out / "summary.parquet", out / "summary.csv"]
    store.write_parquet(written[0], tables.results)
    store.write_parquet(written[1], tables.summary)
    store.write_bytes(written[2], tables.summary.write_csv().encode())
    figures = draw_figures(tables, out / "figures")
    extra = _run_analysis(analysis, tables, out / "figures") if analysis else ""
    if analysis:
        # The experiment's README states findings: each must name a verdict the analysis gave, not refuted.
        claims.check_readme(Path(analysis).parent / "README.md")
    if tables.notes:
        extra = "\n".join(["## Notes on the data", "", *(f"- {n}" for n in tables.notes), "", extra])
    written += figures
    written += render(tables, figures, out, extra=extra)
    return written


def report_dir(run_dir: Path, out_dir: Path | None = None) -> Path:
    """Where the report of ``run_dir`` goes: ``out_dir`` if given and safe, else the default.

    Args:
        run_dir: the directory reported on.
        out_dir: the directory asked for (``--out``), if any.

    Returns:
        ``out_dir``; or ``run_dir/report`` when ``run_dir`` holds a job's own files, Hydra's ``.hydra/`` or a
        ``case`` link (a single run or one job directory); or ``run_dir`` (a sweep directory).

    Raises:
        ReportError: the report would go into a case directory (or the store's own folder), or into a
            directory holding a job's ``provenance.json`` or ``results.parquet``, or ``out_dir`` is a file.
    """
    from distlab import store
    from distlab.errors import ReportError
    from distlab.report.jobs import is_report_dir

    if out_dir is None:
        if store.is_case_dir(run_dir):
            raise ReportError(
                f"{run_dir} is a case directory, which a re-run replaces whole: a report cannot go inside it. "
                "Give --out (e.g. a folder beside the sweep), or report on the sweep directory."
            )
        holds_job = ((run_dir / store.PROVENANCE).exists() or (run_dir / ".hydra").is_dir()
                     or (run_dir / store.JOB_LINK).is_symlink()
                     or ((run_dir / store.RESULTS).exists() and not is_report_dir(run_dir)))
        out_dir = run_dir / "report" if holds_job else run_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"--out {out_dir} is a file; the report goes into a directory (its files and figures/)")
    absolute = out_dir.absolute()
    for folder in (absolute, *absolute.parents):
        if store.is_case_dir(folder) or folder.name == store.STATE_DIR:
            raise ReportError(
                f"--out {out_dir} is inside {folder}, which distlab's result store owns (a re-run replaces a case "
                "directory whole); write the report elsewhere."
            )
    if (out_dir / store.PROVENANCE).exists() or ((out_dir / store.RESULTS).exists() and not is_report_dir(out_dir)):
        raise ReportError(
            f"--out {out_dir} holds a job's {store.PROVENANCE} or {store.RESULTS}, which the report's own "
            f"{store.RESULTS} would overwrite; write the report elsewhere (e.g. {out_dir / 'report'})."
        )
    return out_dir


def _run_analysis(path: Path, tables: Tables, figures_dir: Path) -> str:
    import importlib.util

    from distlab.errors import ReportError

    spec = importlib.util.spec_from_file_location(f"distlab_analysis_{abs(hash(str(path)))}", path)
    if spec is None or spec.loader is None:
        raise ReportError(f"cannot load the analysis file {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        analyze = getattr(module, "analyze", None)
        if analyze is None:
            raise ReportError(f"{path} defines no analyze(tables, figures_dir) function")
        return str(analyze(tables, figures_dir))
    except ReportError:
        raise
    except Exception as err:
        # The analysis is the experiment author's code: show where in it things went wrong.
        import traceback

        frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename) == Path(path)]
        where = "".join(traceback.format_list(frames)).rstrip()
        raise ReportError(f"the analysis {path} raised {type(err).__name__}: {err}\n{where}") from None
