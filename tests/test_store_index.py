"""The sweep's row index (distlab.store.index): a cache the report reads instead of one file per case.

Every test compares the report's tables read through the index with the same tables read from the
case files alone (the index folder moved away): they must be equal, whatever the index holds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from distlab import store
from distlab.report.tables import Tables, load_tables
from distlab.status import OK
from distlab.store import index


def _commit(root: Path, number: int, *, value: float | None = None, force: bool = False) -> Path:
    """A case of one of two shapes (two schemas); the metric is an int in odd cases, a float in even ones."""
    case_id = f"c{number:04d}"
    shape = ("alpha", "beta")[number % 2]
    rows: dict[str, list[object]] = {"study": ["toy"] * 2, "seed": [0, 0], "shape": [shape] * 2}
    if shape == "alpha":
        rows["shape.low"] = [float(number % 3)] * 2
    else:
        rows["shape.count"] = [number % 4] * 2
    metric: list[object] = [number, number + 1] if number % 2 else [number / 2, number / 3]
    if value is not None:
        metric = [value, value]
    rows.update({"case_id": [case_id] * 2, "repeat": [0, 1], "trial_seed": [number, number + 7],
                 "status": [OK] * 2, "error_type": [None] * 2, "error_message": [None] * 2,
                 "error_traceback": [None] * 2, "value": metric})
    frame = pl.DataFrame(rows, schema_overrides={c: pl.String for c in ("error_type", "error_message",
                                                                        "error_traceback")})
    folder, _ = store.commit_case(root, case_id, {store.RESULTS: store.parquet_bytes(frame)}, {
        "case_id": case_id, "study": "toy", "treatment": "shape", "metrics": [{"name": "value", "doc": "v"}],
        "config": {"seed": 0}, "code": {"version": "0", "git_commit": None}, "components": {},
        "python": "3.11", "platform": "x", "started_at": "", "finished_at": "", "status": OK,
    }, force=force)
    return folder


def _without_index(root: Path) -> Tables:
    folder = root / store.STATE_DIR / index.INDEX_DIR
    away = root.parent / "index-away"
    shutil.move(folder, away)
    try:
        return load_tables(root)
    finally:
        shutil.move(away, folder)


def _same(root: Path) -> Tables:
    through = load_tables(root)
    files = _without_index(root)
    assert through.results.schema == files.results.schema
    assert through.results.equals(files.results)
    assert through.summary.equals(files.summary)
    assert through.notes == files.notes
    return through


def _indexed_files(root: Path, tables: Tables) -> set[str]:
    """The results files the report takes from the index."""
    from distlab.report.tables import _indexed, _recorded_sha256, _union_schema

    folders = sorted(set(tables.results["job_dir"].to_list()))
    files = [f"{f}/{store.RESULTS}" for f in folders]
    provenance = {str(p["case_id"]): p for p in tables.provenance}
    shas = [_recorded_sha256(provenance[Path(f).name.removeprefix(store.CASE_PREFIX)]) for f in folders]
    schema, _ = _union_schema(files, [None] * len(files))
    _, covered = _indexed(files, shas, schema)
    return covered


def _rewrite_in_place(path: Path) -> None:
    """Other, readable rows written into the same file (the same inode): a hash check is what tells."""
    frame = pl.read_parquet(path).with_columns(pl.col("value") + 1000)
    with open(path, "r+b") as handle:
        handle.truncate(0)
        handle.write(store.parquet_bytes(frame))


@pytest.fixture
def small_fanout(monkeypatch: pytest.MonkeyPatch) -> None:
    # 44 cases of two schemas (22 each: 2 x 9 + 3 + 1) reach every level of merging.
    monkeypatch.setattr(index, "FANOUT", 3)


def test_rows_read_through_the_index_equal_the_files_and_every_case_is_taken_from_it(
        tmp_path: Path, small_fanout: None) -> None:
    for number in range(44):
        _commit(tmp_path, number)
    names = [p.name for p in (tmp_path / store.STATE_DIR / index.INDEX_DIR).iterdir()]
    assert {n[0] for n in names} == {"0", "1", "2"}, names  # own segments, merged once and twice
    assert len(names) < 44
    tables = _same(tmp_path)
    assert tables.results.height == 88 and tables.results.schema["value"] == pl.Float64
    assert len(_indexed_files(tmp_path, tables)) == 44


def test_a_case_replaced_after_it_was_indexed_is_read_as_it_is_now(tmp_path: Path, small_fanout: None) -> None:
    for number in range(20):
        _commit(tmp_path, number)
    _commit(tmp_path, 4, value=99.0, force=True)  # a forced re-run: new rows, a new hash
    tables = _same(tmp_path)
    assert tables.results.filter(pl.col("case_id") == "c0004")["value"].to_list() == [99.0, 99.0]


def test_a_damaged_or_duplicated_segment_changes_nothing(tmp_path: Path, small_fanout: None) -> None:
    for number in range(44):
        _commit(tmp_path, number)
    folder = tmp_path / store.STATE_DIR / index.INDEX_DIR
    merged = sorted(p for p in folder.iterdir() if p.name[0] != "0")
    # A merge killed between writing its segment and removing its inputs leaves rows twice.
    shutil.copy(merged[0], folder / merged[0].name.replace(merged[0].name.split("-")[-1], "dead.parquet"))
    tables = _same(tmp_path)
    assert tables.results.height == 88
    merged[1].write_bytes(b"not parquet")  # damaged: its cases are read from their own files
    assert _same(tmp_path).results.height == 88


def test_a_results_file_changed_on_disk_is_left_out_as_without_the_index(tmp_path: Path) -> None:
    for number in range(4):
        _commit(tmp_path, number)
    # Written in place (a hard-linked segment sees the same bytes), not replaced: its hash differs now.
    with open(tmp_path / "case-c0002" / store.RESULTS, "r+b") as handle:
        handle.seek(10)
        handle.write(b"\0\0\0\0")
    tables = _same(tmp_path)
    assert "c0002" not in tables.results["case_id"].to_list()
    assert any("case-c0002" in note for note in tables.notes)


def test_a_case_changed_in_place_before_its_merge_is_not_merged_under_its_old_hash(
        tmp_path: Path, small_fanout: None) -> None:
    _commit(tmp_path, 0)
    _rewrite_in_place(tmp_path / "case-c0000" / store.RESULTS)  # its own segment is a hard link: changed too
    _commit(tmp_path, 2)
    _commit(tmp_path, 4)  # the third segment of this schema: a merge
    merged = [pl.read_parquet(p) for p in (tmp_path / store.STATE_DIR / index.INDEX_DIR).iterdir()]
    assert sorted(set().union(*(set(m[index.CASE_DIR_COLUMN]) for m in merged))) == ["case-c0002", "case-c0004"]
    _commit(tmp_path, 0, force=True)  # the same rows again, the same hash: read from the case, as written
    assert _same(tmp_path).results.height == 6


def test_a_case_changed_in_place_then_run_again_is_read_as_written(tmp_path: Path) -> None:
    _commit(tmp_path, 0)
    _rewrite_in_place(tmp_path / "case-c0000" / store.RESULTS)
    _commit(tmp_path, 0, force=True)  # the same bytes again: the index must not keep the changed file
    assert _same(tmp_path).results.height == 2
