"""``distlab report``: from a run or sweep directory to tables, figures, REPORT.md and report.html."""

from __future__ import annotations

from pathlib import Path

from distlab.report.tables import Tables, load_tables

__all__ = ["Tables", "load_tables", "make_report"]


def make_report(run_dir: Path, out_dir: Path | None = None, *, analysis: Path | None = None) -> list[Path]:
    """Make the report of every job under ``run_dir``.

    Args:
        run_dir: a run or sweep directory; every ``results.parquet`` below it is read.
        out_dir: where to write (default: ``run_dir``).
        analysis: an optional Python file defining ``analyze(tables: Tables, figures_dir: Path) -> str``,
            whose Markdown is added to the report (an experiment's own claims and checks).

    Returns:
        The files written: results.parquet, summary.parquet, summary.csv, figures, REPORT.md, report.html.

    Raises:
        ReportError: if ``run_dir`` holds no results.
    """
    from distlab import store
    from distlab.errors import ReportError
    from distlab.report.figures import draw_figures
    from distlab.report.render import render

    out = Path(out_dir) if out_dir is not None else Path(run_dir)
    tables = load_tables(Path(run_dir))  # first: a bad run_dir must not leave an empty out_dir behind
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out} is a file; the report goes into a directory (its files and figures/)")
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "results.parquet", out / "summary.parquet", out / "summary.csv"]
    store.write_parquet(written[0], tables.results)
    store.write_parquet(written[1], tables.summary)
    store.write_bytes(written[2], tables.summary.write_csv().encode())
    figures = draw_figures(tables, out / "figures")
    extra = _run_analysis(analysis, tables, out / "figures") if analysis else ""
    if tables.notes:
        extra = "\n".join(["## Notes on the data", "", *(f"- {n}" for n in tables.notes), "", extra])
    written += figures
    written += render(tables, figures, out, extra=extra)
    return written


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
