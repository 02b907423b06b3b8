"""Reports: the tidy table, the summary statistics, figures and documents."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from scipy import stats

from storekit import case_of, rehash

from distlab import store
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
    assert "data:image/svg+xml;base64," in html and "<table>" in html
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
    assert _fmt(4.294967e9) == "4294967000"  # a parameter's value is exact: never rounded away
    assert _fmt(2.0) == "2" and _fmt(0.0) == "0" and _fmt(None) == "–"


@pytest.mark.parametrize("content", [b"PAR1 not really parquet", b""])
def test_a_damaged_results_file_is_left_out_and_named_never_a_stop(sweep: Path, content: bytes) -> None:
    damaged = case_of(sweep / "1") / "results.parquet"
    damaged.write_bytes(content)
    tables = load_tables(sweep)
    assert tables.results.height == 3 * 5 + 2
    assert any("could not be read" in n and f"{damaged.parent.name}/results.parquet" in n for n in tables.notes)


@pytest.mark.parametrize("content", ["", "{ truncated", "[]", "null", '{"job_dir": 5}', '{"case_id": 5}'])
def test_a_damaged_provenance_is_left_out_and_named_never_a_stop(sweep: Path, tmp_path: Path, content: str) -> None:
    """Items 4 and 6: the report skips and names an unreadable provenance.json; every later report works too."""
    damaged = case_of(sweep / "2") / "provenance.json"
    damaged.write_text(content)
    for _ in range(2):
        tables = load_tables(sweep)
        assert tables.results.height == 3 * 5 + 2
        assert any(f"{damaged.parent.name}/provenance.json" in n for n in tables.notes)
        make_report(sweep, tmp_path / "out")
    assert not list(sweep.glob("case-unknown*"))


def test_damage_inside_the_results_is_named_with_the_file(sweep: Path) -> None:
    """Item 5: damage in the pages with the footer intact is caught, by hash or by decoding, naming the file."""
    from storekit import damage_a_page

    damaged = case_of(sweep / "1") / "results.parquet"
    damage_a_page(damaged)
    tables = load_tables(sweep)
    assert tables.results.height == 3 * 5 + 2
    assert any(f"{damaged.parent.name}/results.parquet" in n and "differs" in n for n in tables.notes)
    # A job written before file hashes is caught by decoding it whole, and named too.
    prov = damaged.parent / "provenance.json"
    record = json.loads(prov.read_text())
    record.pop("files")
    prov.write_text(json.dumps(record))
    tables = load_tables(sweep)
    assert tables.results.height == 3 * 5 + 2
    assert any(f"{damaged.parent.name}/results.parquet" in n and "could not be read" in n for n in tables.notes)


def test_an_analysis_that_raises_is_a_report_error_naming_its_line(sweep: Path, tmp_path: Path) -> None:
    bad = tmp_path / "analysis.py"
    bad.write_text("def analyze(tables, figures_dir):\n    return 1 / 0\n")
    with pytest.raises(ReportError, match=r"(?s)ZeroDivisionError.*line 2"):
        make_report(sweep, tmp_path / "out", analysis=bad)


def test_readme_findings_are_checked_against_the_analysis_verdicts(sweep: Path, tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "analysis.py").write_text(
        "from distlab.report import verdict\n"
        "def analyze(tables, figures_dir):\n"
        "    return '\\n\\n'.join(['## Findings', verdict(2, 2, 'holds', name='held'),\n"
        "                            verdict(0, 2, 'fails', name='gone')])\n")
    (exp / "README.md").write_text(
        "# Exp\n\nThe sweep. <!-- verdict: nowhere -->\n\n## What to look for\n\n"
        "- It holds, as the data says. <!-- verdict: held -->\n"
        "- It fails, though we say it\n  holds. <!-- verdict: gone -->\n"
        "- A finding with no check at all.\n\n## Metrics\n\n- `value`: not a finding.\n")
    make_report(sweep, tmp_path / "out", analysis=exp / "analysis.py")
    top = (tmp_path / "out" / "REPORT.md").read_text().split("## Results")[0]
    assert "Findings in the text the data does not back" in top
    assert '"gone" (fails): refuted (0 of 2)' in top
    assert "nowhere" in top and "no such verdict" in top
    assert "A finding with no check at all" in top
    assert '"held"' not in top and "not a finding" not in top
    # A README whose every finding is tied to a verdict that holds adds nothing.
    (exp / "README.md").write_text("## What to look for\n\n- It holds. <!-- verdict: held -->\n")
    make_report(sweep, tmp_path / "out2", analysis=exp / "analysis.py")
    assert "does not back" not in (tmp_path / "out2" / "REPORT.md").read_text()


def test_a_case_in_two_job_dirs_counts_once(sweep: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(case_of(sweep / "0"), sweep / "copy_of_0")
    tables = load_tables(sweep)
    assert tables.results.height == 4 * 5 + 2
    assert tables.results.select("case_id", "repeat").is_duplicated().sum() == 0
    assert any("more than one directory" in n for n in tables.notes)
    make_report(sweep, tmp_path / "out")
    assert "## Notes on the data" in (tmp_path / "out" / "REPORT.md").read_text()


def test_results_without_provenance_are_left_out_and_said(sweep: Path) -> None:
    # A job of an older distlab (files directly in the job dir) killed between its two files.
    (sweep / "1" / "results.parquet").write_bytes((case_of(sweep / "1") / "results.parquet").read_bytes())
    import shutil

    shutil.rmtree(case_of(sweep / "1"))
    tables = load_tables(sweep)
    assert tables.results.height == 3 * 5 + 2
    assert any("without provenance.json" in n and "1" in n for n in tables.notes)


def test_two_versions_of_a_component_are_kept_apart(sweep: Path) -> None:
    import json

    prov = case_of(sweep / "0") / "provenance.json"
    record = json.loads(prov.read_text())
    record["components"]["shape"]["version"] = "9.9"
    record["case_id"] = "another_version"
    prov.write_text(json.dumps(record))
    rows = pl.read_parquet(prov.parent / "results.parquet").with_columns(pl.lit("another_version").alias("case_id"))
    rows.write_parquet(prov.parent / "results.parquet")
    rehash(prov.parent)
    tables = load_tables(sweep)
    assert "shape.version" in tables.varying
    assert any("mix versions" in n for n in tables.notes)


def test_a_directory_mixing_studies_is_refused(sweep: Path) -> None:
    import json

    prov = case_of(sweep / "0") / "provenance.json"
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


def _toy(registry, name: str = "uniform", **params):
    config = {"study": "toy", "seed": 0, "repeats": 3, "shape": params}
    return resolve_case(config, {"shape": name}, registry)


@pytest.fixture
def registry():
    import toy_plugin

    return load_registry(autoload=False, plugins=[], modules=[toy_plugin])


def _fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: store.file_sha256(p) for p in folder.iterdir() if p.is_file()}


def test_a_report_on_a_single_run_never_writes_over_its_files(tmp_path: Path, registry) -> None:
    """Item 1: report a single run's directory twice; the job's files are untouched and it is still skipped."""
    run = tmp_path / "r1"
    first = run_case(_toy(registry), run)
    (run / ".hydra").mkdir()  # as Hydra leaves it
    before = _fingerprint(first.job_dir)
    for _ in range(2):
        files = make_report(run)
        assert all(f.is_relative_to(run / "report") for f in files)
        assert load_tables(run).results.height == 3
    assert _fingerprint(first.job_dir) == before
    assert run_case(_toy(registry), run).status == "skipped"
    # One job directory of a sweep: the report goes beside its files, and follows its link to the case.
    sweep = tmp_path / "sweep"
    run_case(_toy(registry), sweep / "0", root=sweep)
    run_case(_toy(registry, "constant"), sweep / "1", root=sweep)
    make_report(sweep / "0")
    assert pl.read_parquet(sweep / "0" / "report" / "results.parquet")["shape"].unique().to_list() == ["uniform"]
    # A report's own table is never taken for a job's: the sweep's report sees two cases, no orphans.
    tables = load_tables(sweep)
    assert tables.results["case_id"].n_unique() == 2 and not tables.notes


def test_a_report_on_an_old_single_run_goes_beside_its_files(tmp_path: Path, registry) -> None:
    """The layout before case directories: results.parquet and provenance.json directly in the run dir."""
    outcome = run_case(_toy(registry), tmp_path / "tmp")
    old = tmp_path / "r1"
    old.mkdir()
    (old / "results.parquet").write_bytes((outcome.job_dir / "results.parquet").read_bytes())
    record = json.loads((outcome.job_dir / "provenance.json").read_text())
    record.pop("files")  # written before file hashes
    (old / "provenance.json").write_text(json.dumps(record))
    before = _fingerprint(old)
    make_report(old)
    make_report(old)
    assert _fingerprint(old) == before and (old / "report" / "REPORT.md").is_file()


def test_a_report_refuses_to_go_where_it_would_overwrite_a_job(tmp_path: Path, registry) -> None:
    sweep = tmp_path / "sweep"
    outcome = run_case(_toy(registry), sweep / "0", root=sweep)
    before = _fingerprint(outcome.job_dir)
    for out in (outcome.job_dir, outcome.job_dir / "figs", sweep / store.STATE_DIR):
        with pytest.raises(ReportError, match="result store owns"):
            make_report(sweep, out)
    with pytest.raises(ReportError, match="is a case directory"):
        make_report(outcome.job_dir)
    old = tmp_path / "old_job"
    old.mkdir()
    (old / "results.parquet").write_bytes((outcome.job_dir / "results.parquet").read_bytes())
    with pytest.raises(ReportError, match="would overwrite"):
        make_report(sweep, old)
    assert _fingerprint(outcome.job_dir) == before
    make_report(outcome.job_dir, tmp_path / "elsewhere")  # with --out, a case directory can be reported


def test_a_case_found_twice_prefers_the_ok_copy_then_the_newest(tmp_path: Path, registry) -> None:
    """Item 3: a stale failed copy in job 10 never wins over the successful retry in job 2 (string order)."""
    import shutil

    sweep = tmp_path / "sweep"
    good = run_case(_toy(registry), sweep / "2", root=sweep)
    stale = sweep / "10"
    shutil.copytree(good.job_dir, stale)
    rows = pl.read_parquet(stale / "results.parquet").with_columns(pl.lit("failed").alias("status"))
    rows.write_parquet(stale / "results.parquet")
    record = json.loads((stale / "provenance.json").read_text())
    record.update(status="failed", finished_at="2999-01-01T00:00:00.000+00:00")  # newer, but failed
    (stale / "provenance.json").write_text(json.dumps(record))
    rehash(stale)
    tables = load_tables(sweep)
    assert set(tables.results["status"]) == {"ok"} and tables.results.height == 3
    assert set(tables.results["job_dir"]) == {str(good.job_dir)}
    assert any("finished ok copy, else the newest" in n and "left out 10" in n for n in tables.notes)
    # Two ok copies: the newest by its recorded end time, whatever the directory names.
    record["status"] = "ok"
    (stale / "provenance.json").write_text(json.dumps(record))
    rows.with_columns(pl.lit("ok").alias("status")).write_parquet(stale / "results.parquet")
    rehash(stale)
    assert set(load_tables(sweep).results["job_dir"]) == {str(stale)}


def test_the_report_of_an_interrupted_sweep_says_how_many_cases_it_had(tmp_path: Path, registry) -> None:
    """Item 10: with the sweep's plan recorded, the report says N of M planned cases have results."""
    sweep = tmp_path / "sweep"
    cases = [_toy(registry, "uniform"), _toy(registry, "constant"), _toy(registry, "uniform", low=0.5)]
    store.plan_sweep(sweep, [c.case_id for c in cases])
    run_case(cases[0], sweep / "0", root=sweep)
    tables = load_tables(sweep)
    note = next(n for n in tables.notes if "planned cases" in n)
    assert note.startswith("1 of 3 planned cases have results; missing: ")
    assert cases[1].case_id in note and cases[2].case_id in note
    make_report(sweep, tmp_path / "out")
    assert "1 of 3 planned cases have results" in (tmp_path / "out" / "REPORT.md").read_text()
    for n, case in enumerate(cases[1:], 1):
        run_case(case, sweep / str(n), root=sweep)
    assert "3 of 3 planned cases have results." in load_tables(sweep).notes
