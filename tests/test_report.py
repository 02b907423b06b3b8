"""Reports: the tidy table, the summary statistics, figures and documents."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from scipy import stats

from distlab.case import resolve_case
from distlab.errors import ReportError
from distlab.host import load_registry
from distlab.report import load_tables, make_report
from distlab.runner import run_case


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    """A 2 × 2 sweep of the toy study (two components × two seeds), one case failing."""
    from testkit import toy_sweep

    return toy_sweep(tmp_path / "sweep", repeats=5)


def test_summary_statistics_match_scipy(sweep: Path) -> None:
    tables = load_tables(sweep)
    assert tables.results.height == 4 * 5 + 2
    assert tables.failed.height == 2
    ok = tables.results.filter(pl.col("status") == "ok")
    case_id = ok.filter(pl.col("shape") == "uniform")["case_id"][0]
    values = ok.filter(pl.col("case_id") == case_id)["value_mean"].to_numpy()
    row = tables.summary.filter((pl.col("case_id") == case_id) & (pl.col("metric") == "value_mean")).row(0, named=True)
    assert row["n"] == 5
    assert math.isclose(row["mean"], values.mean())
    assert math.isclose(row["std"], values.std(ddof=1))
    low, high = stats.t.interval(0.95, 4, loc=values.mean(), scale=stats.sem(values))
    assert math.isclose(row["ci95_low"], low) and math.isclose(row["ci95_high"], high)
    assert math.isclose(row["p50"], float(pl.Series(values).quantile(0.5, "linear")))
    assert "shape" in tables.varying and "seed" in tables.varying


def test_make_report_writes_every_file(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    files = make_report(sweep, out)
    names = {f.name for f in files}
    assert {"REPORT.md", "report.html", "results.parquet", "summary.parquet", "summary.csv"} <= names
    assert any(f.suffix == ".png" for f in files)
    md = (out / "REPORT.md").read_text()
    assert "## Failed cases" in md and "RuntimeError" in md and "told to explode" in md
    assert "## Provenance" in md and "toy_plugin" in md
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "<table>" in html
    assert pl.read_parquet(out / "results.parquet").height == 22


def test_report_on_empty_directory_says_so(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no results in"):
        load_tables(tmp_path)
    with pytest.raises(ReportError, match="does not exist"):
        load_tables(tmp_path / "missing")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ReportError, match="is not a directory"):
        load_tables(tmp_path / "afile")


def test_a_parameter_that_follows_the_preset_is_not_listed_as_fixed(tmp_path: Path) -> None:
    import toy_plugin

    registry = load_registry(autoload=False, plugins=[], modules=[toy_plugin])
    root = tmp_path / "sweep"
    for n, (preset, value) in enumerate((("two", 2.0), ("five", 5.0))):
        case = resolve_case({"study": "toy", "seed": 0, "repeats": 2, "shape": {"value": value}},
                            {"shape": "constant"}, registry, {"shape": preset})
        run_case(case, root / str(n), root=root)
    case = resolve_case({"study": "toy", "seed": 0, "repeats": 2, "shape": {}}, {"shape": "uniform"}, registry)
    run_case(case, root / "2", root=root)
    make_report(root, tmp_path / "report")
    md = (tmp_path / "report" / "REPORT.md").read_text()
    fixed = md.split("## Fixed parameters")[1].split("##")[0]
    chosen = md.split("## Parameters set by the component or preset")[1].split("##")[0]
    assert "`shape.value`" not in fixed
    assert "`shape.value`: five = 5; two = 2" in chosen
    # count is 2 wherever the component has it (null for uniform, which has no count): fixed.
    assert "`shape.count` = 2" in fixed and "`seed` = 0" in fixed


def test_numbers_read_as_written() -> None:
    from distlab.report.render import _fmt

    assert _fmt(40004.0) == "40004"
    assert _fmt(34.3597) == "34.36"
    assert _fmt(0.0031207) == "0.003121"
    assert _fmt(4.294967e9) == "4.295e+09"
    assert _fmt(2.0) == "2" and _fmt(0.0) == "0" and _fmt(None) == "–"


def test_a_damaged_job_file_is_named_not_a_traceback(sweep: Path) -> None:
    (sweep / "1" / "results.parquet").write_bytes(b"PAR1 not really parquet")
    with pytest.raises(ReportError, match=r"cannot read .*1/results.parquet"):
        load_tables(sweep)


def test_a_damaged_provenance_is_named(sweep: Path) -> None:
    (sweep / "2" / "provenance.json").write_text("{ truncated")
    with pytest.raises(ReportError, match=r"cannot read .*2/provenance.json"):
        load_tables(sweep)


def test_an_analysis_that_raises_is_a_report_error_naming_its_line(sweep: Path, tmp_path: Path) -> None:
    bad = tmp_path / "analysis.py"
    bad.write_text("def analyze(tables, figures_dir):\n    return 1 / 0\n")
    with pytest.raises(ReportError, match=r"(?s)ZeroDivisionError.*line 2"):
        make_report(sweep, tmp_path / "out", analysis=bad)


def test_a_case_in_two_job_dirs_counts_once(sweep: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(sweep / "0", sweep / "copy_of_0")
    tables = load_tables(sweep)
    assert tables.results.height == 4 * 5 + 2
    assert tables.results.select("case_id", "repeat").is_duplicated().sum() == 0
    assert any("more than one job directory" in n for n in tables.notes)
    make_report(sweep, tmp_path / "out")
    assert "## Notes on the data" in (tmp_path / "out" / "REPORT.md").read_text()


def test_results_without_provenance_are_left_out_and_said(sweep: Path) -> None:
    (sweep / "1" / "provenance.json").unlink()
    tables = load_tables(sweep)
    assert tables.results.height == 3 * 5 + 2
    assert any("without provenance.json" in n and "1" in n for n in tables.notes)


def test_two_versions_of_a_component_are_kept_apart(sweep: Path) -> None:
    import json

    prov = sweep / "0" / "provenance.json"
    record = json.loads(prov.read_text())
    record["components"]["shape"]["version"] = "9.9"
    record["case_id"] = "another_version"
    prov.write_text(json.dumps(record))
    rows = pl.read_parquet(sweep / "0" / "results.parquet").with_columns(pl.lit("another_version").alias("case_id"))
    rows.write_parquet(sweep / "0" / "results.parquet")
    tables = load_tables(sweep)
    assert "shape.version" in tables.varying
    assert any("mix versions" in n for n in tables.notes)


def test_a_directory_mixing_studies_is_refused(sweep: Path) -> None:
    import json

    prov = sweep / "0" / "provenance.json"
    record = json.loads(prov.read_text())
    record["study"] = "migration"
    prov.write_text(json.dumps(record))
    with pytest.raises(ReportError, match=r"several studies \(migration, toy\)"):
        load_tables(sweep)


def test_the_report_reads_rows_and_provenance_alone(sweep: Path, tmp_path: Path) -> None:
    # In a process where neither the toy study nor any plugin is loaded, the same directory gives the
    # same tables: metric declarations (better, figure, log scale) and the treatment come from provenance.
    import json
    import os
    import subprocess
    import sys

    here = load_tables(sweep)
    assert [m.name for m in here.metrics] == ["value_mean", "value_max", "positive"]
    assert here.metrics[1].better == "higher" and here.metrics[2].figure is False
    assert here.treatment == "shape" and here.study_name == "toy"
    code = (
        "import json, sys; from pathlib import Path; from distlab.report import load_tables, make_report; "
        "t = load_tables(Path(sys.argv[1])); make_report(Path(sys.argv[1]), Path(sys.argv[2])); "
        "print(json.dumps({'metrics': [m.__dict__ for m in t.metrics], 'treatment': t.treatment, "
        "'config': t.config_columns, 'host': 'distlab.host' in sys.modules, "
        "'summary': t.summary.write_csv()}))"
    )
    env = {**os.environ, "DISTLAB_DISABLE_PLUGIN_AUTOLOAD": "1", "DISTLAB_PLUGINS": ""}
    done = subprocess.run([sys.executable, "-c", code, str(sweep), str(tmp_path / "elsewhere")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    there = json.loads(done.stdout.splitlines()[-1])
    assert there["host"] is False  # the report never asked the plugin host
    assert there["metrics"] == [m.__dict__ for m in here.metrics]
    assert there["treatment"] == "shape" and there["config"] == here.config_columns
    assert there["summary"] == here.summary.write_csv()
    assert "shape.value" in here.config_columns and "shape.count" in here.config_columns
