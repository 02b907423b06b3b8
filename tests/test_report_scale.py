"""The report is linear in the number of cases (issue 15): it lists the sweep directory without listing
each case directory, takes every case's columns from its provenance instead of opening each results
file for its schema, and reads the rows in one lazy scan. Shown on small sweeps by counting the work
(the time at 1,000 to 100,000 cases is in ``distlab bench``); correctness against a plain read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
from storekit import rehash

from distlab import store
from distlab.report import load_tables
from distlab.report.bench import run as bench_run
from distlab.report.bench import synthetic_sweep


def _plain(root: Path) -> pl.DataFrame:
    """Every row, read file by file: what the report must give."""
    frames = [pl.read_parquet(p) for p in sorted(root.glob("case-*/results.parquet"))]
    return pl.concat(frames, how="diagonal_relaxed").sort("case_id", "repeat")


def test_the_report_reads_every_row_of_a_sweep_with_two_schemas(tmp_path: Path) -> None:
    root = synthetic_sweep(tmp_path / "sweep", 40)
    tables = load_tables(root)
    expected = _plain(root)
    got = tables.results.select(expected.columns).sort("case_id", "repeat")
    assert got.equals(expected)
    assert got.height == 120 and {"shape.low", "shape.count"} <= set(got.columns)
    assert tables.results["job_dir"].n_unique() == 40
    assert any("40 of 40 planned cases have results" in n for n in tables.notes)


def test_schemas_come_from_provenance_not_from_each_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = synthetic_sweep(tmp_path / "sweep", 60)
    record = json.loads(next(root.glob("case-*/provenance.json")).read_text())
    assert record["files"][store.RESULTS]["columns"]["case_id"] == "String"
    opened: list[str] = []
    real = pl.read_parquet_schema

    def counting(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(pl, "read_parquet_schema", counting)
    load_tables(root)
    assert len(opened) == 2  # one file of each of the sweep's two schemas, not one per case


def test_cases_written_before_columns_were_recorded_are_read_as_before(tmp_path: Path) -> None:
    root = synthetic_sweep(tmp_path / "sweep", 12)
    for folder in sorted(root.glob("case-*"))[::2]:
        rehash(folder)  # a record with file hashes but no columns, as distlab wrote it before
        assert "columns" not in json.loads((folder / store.PROVENANCE).read_text())["files"][store.RESULTS]
    got = load_tables(root).results
    assert got.select(_plain(root).columns).sort("case_id", "repeat").equals(_plain(root))


def test_the_walk_lists_no_case_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listing cost: the sweep directory once; its case and job directories never (a stat or two each)."""
    from distlab.report import jobs

    listed: list[str] = []
    real = os.scandir

    def counting(path):  # type: ignore[no-untyped-def]
        listed.append(str(path))
        return real(path)

    for cases in (10, 40):
        root = synthetic_sweep(tmp_path / f"sweep{cases}", cases)
        listed.clear()
        monkeypatch.setattr(jobs.os, "scandir", counting)
        found = jobs.find_jobs(root)
        monkeypatch.setattr(jobs.os, "scandir", real)
        assert len(found.jobs) == cases
        assert not [p for p in listed if Path(p).name.startswith(store.CASE_PREFIX)]
        assert listed == [str(root)]  # the sweep directory alone: its job directories are asked, not listed


def test_a_case_directory_without_provenance_is_still_an_orphan(tmp_path: Path) -> None:
    root = synthetic_sweep(tmp_path / "sweep", 3)
    orphan = sorted(root.glob("case-*"))[0]
    (orphan / store.PROVENANCE).unlink()
    tables = load_tables(root)
    assert tables.results["case_id"].n_unique() == 2
    assert any("1 job directories hold results.parquet without provenance.json" in n for n in tables.notes)


def test_the_report_bench_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's rows, on the smallest sizes (the figures come from ``distlab bench``)."""
    from distlab.report import bench

    monkeypatch.setattr(bench, "synthetic_sweep", lambda root, cases: synthetic_sweep(root, cases // 10))
    rows = bench_run(quick=True)
    assert [r["name"].split(":")[0] for r in rows] == [
        "report on a sweep of 100 cases", "report on a sweep of 1,000 cases",
        "growth from 100 to 1,000 cases (1.0 = linear)", "report peak memory at 100 cases",
        "report peak memory at 1,000 cases", "memory growth from 100 to 1,000 cases (1.0 = linear)"]
    assert all(r["seconds"] > 0 and r["ratio"] > 0 for r in rows)
