"""The sweep's row index (distlab.store.index): a cache the report reads instead of one file per case.

Every test compares the report's tables read through the index with the same tables read from the
case files alone (the index folder moved away): they must be equal, whatever the index holds.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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
    from distlab.report.tables import _indexed, _union_schema

    folders = sorted(set(tables.results["job_dir"].to_list()))
    files = [f"{f}/{store.RESULTS}" for f in folders]
    # The SHA-256 each case's provenance records for its results file (what the report checks).
    shas = [store.read_provenance(Path(f) / store.PROVENANCE)["files"][store.RESULTS]["sha256"] for f in folders]
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


def _index_folder(root: Path) -> Path:
    return root / store.STATE_DIR / index.INDEX_DIR


def _results_entry(folder: Path) -> dict[str, Any]:
    """The results file's entry in a case's provenance (``sha256``, ``columns``)."""
    entry: dict[str, Any] = store.read_provenance(folder / store.PROVENANCE)["files"][store.RESULTS]
    return entry


def _own_segments(root: Path, case_dir: str) -> list[str]:
    names = os.listdir(_index_folder(root))
    return sorted(n for n in names if n.startswith("0-") and n.endswith(f"-{case_dir}.parquet"))


def _merged_rows(root: Path) -> pl.DataFrame:
    merged = [p for p in _index_folder(root).iterdir() if p.name[0] in "12"]
    return pl.concat([pl.read_parquet(p).select(index.CASE_DIR_COLUMN, index.SHA256_COLUMN) for p in merged])


_KILLED_INDEXER = """
import os, signal, sys
from pathlib import Path
from distlab import store
from distlab.store import index
from distlab.store.cases import parquet_columns

root, case_dir, killed_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
index.FANOUT = 2
real_replace = os.replace
def replace(src, dst):
    # Killed between writing a temporary and renaming it into place: no finally block runs.
    if Path(dst).name.startswith(killed_at):
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)
os.replace = replace
sha = store.read_provenance(case_dir / store.PROVENANCE)["files"][store.RESULTS]["sha256"]
# The columns in the file's order, as a commit passes them (provenance.json holds them sorted).
columns = parquet_columns(store.RESULTS, (case_dir / store.RESULTS).read_bytes())["columns"]
index.index_case(root, case_dir, sha, columns)
"""


def _killed_indexer(root: Path, case_dir: Path, killed_at: str) -> None:
    done = subprocess.run([sys.executable, "-c", _KILLED_INDEXER, str(root), str(case_dir), killed_at],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]


def test_temporaries_of_killed_writers_are_removed_by_a_later_merge_a_live_ones_never(
        tmp_path: Path, small_fanout: None, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _index_folder(tmp_path)
    for number in (0, 2):  # two cases of one schema: two own segments
        _commit(tmp_path, number)
    # Killed before renaming a case's own segment into place, then before renaming a merged one (the
    # child merges at two segments): both temporaries stay, named by the real writers.
    _killed_indexer(tmp_path, tmp_path / "case-c0000", "0-")
    _killed_indexer(tmp_path, tmp_path / "case-c0002", "1-")
    left = sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))
    assert [n[:3] for n in left] == [".0-", ".1-"], left
    own_tmp, merged_tmp = left
    unrelated = folder / ".notes.tmp"
    unrelated.write_text("not the index's")
    _commit(tmp_path, 4)  # the third own segment of the schema: a merge, on the real clock
    assert any(n[0] == "1" for n in os.listdir(folder))
    # The merged temporary goes at once (only a merge writes one, under the lock this merge holds); the
    # case's own one was made just now, as a live writer's would be: it stays.
    assert (folder / own_tmp).exists() and not (folder / merged_tmp).exists()
    made = os.lstat(folder / own_tmp).st_ctime
    monkeypatch.setattr(index, "_clock", lambda: made + index._ABANDONED_AFTER + 1)
    for number in (6, 8, 10):  # the next merge, an hour and a second after the temporary's link
        _commit(tmp_path, number)
    assert not (folder / own_tmp).exists() and unrelated.exists()
    assert _same(tmp_path).results.height == 12


def _linked_temporary(folder: Path, segment: str, source: Path) -> Path:
    """A case's own temporary as index_case makes it: a hard link, here to a file last written two days ago."""
    old = time.time() - 2 * 86400
    os.utime(source, (old, old))
    path = folder / f".{segment}.{secrets.token_hex(6)}.tmp"
    os.link(source, path)
    return path


def test_a_temporarys_age_is_its_links_ctime_not_its_files_mtime(
        tmp_path: Path, small_fanout: None, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _index_folder(tmp_path)
    for number in (0, 2):
        _commit(tmp_path, number)
    first, second = _own_segments(tmp_path, "case-c0000")[0], _own_segments(tmp_path, "case-c0002")[0]
    older = _linked_temporary(folder, first, tmp_path / "case-c0000" / store.RESULTS)
    made = os.lstat(older).st_ctime
    while time.time() < made + 0.05:  # ctimes are a kernel tick apart at the least
        time.sleep(0.01)
    newer = _linked_temporary(folder, second, tmp_path / "case-c0002" / store.RESULTS)
    ctimes = (os.lstat(older).st_ctime, os.lstat(newer).st_ctime)
    assert ctimes[1] - ctimes[0] >= 0.01, ctimes
    assert max(os.lstat(older).st_mtime, os.lstat(newer).st_mtime) < time.time() - 86400  # old bytes
    # The merge's clock one hour after the midpoint of the two links: one older than an hour, one younger.
    monkeypatch.setattr(index, "_clock", lambda: sum(ctimes) / 2 + index._ABANDONED_AFTER)
    _commit(tmp_path, 4)
    assert any(n[0] == "1" for n in os.listdir(folder))
    assert not older.exists() and newer.exists()


@pytest.fixture(params=["link", "copy"])
def segment_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Own segments as hard links, or as copies (a file system refusing links)."""
    if request.param == "copy":
        def refuse(src: object, dst: object) -> None:
            raise OSError(1, "no hard links here")
        monkeypatch.setattr(os, "link", refuse)
    kind: str = request.param
    return kind


def test_a_rerun_case_keeps_one_own_segment_holding_its_new_rows(tmp_path: Path, segment_kind: str) -> None:
    for number in range(4):
        _commit(tmp_path, number)
    before = {d: _own_segments(tmp_path, d) for d in ("case-c0001", "case-c0002")}
    assert all(len(names) == 1 for names in before.values()), before
    # Held open, the old segment's inode is not reused, and its link count says whether any name is left.
    old = os.open(_index_folder(tmp_path) / before["case-c0002"][0], os.O_RDONLY)
    try:
        _commit(tmp_path, 1, value=99.0, force=True)  # its metric was an int: another schema too
        _commit(tmp_path, 2, value=98.0, force=True)
        assert os.fstat(old).st_nlink == 0  # the replaced bytes are gone from the disk (once closed)
    finally:
        os.close(old)
    for case_dir in ("case-c0001", "case-c0002"):
        names = _own_segments(tmp_path, case_dir)
        sha = _results_entry(tmp_path / case_dir)["sha256"]
        assert len(names) == 1 and f"-{sha}-" in names[0] and names != before[case_dir], (before, names)
    tables = _same(tmp_path)
    values = {c: tables.results.filter(pl.col("case_id") == c)["value"].to_list() for c in ("c0001", "c0002")}
    assert values == {"c0001": [99.0, 99.0], "c0002": [98.0, 98.0]}
    assert {f"{tmp_path}/case-c0001", f"{tmp_path}/case-c0002"} <= {
        str(Path(f).parent) for f in _indexed_files(tmp_path, tables)}


def test_a_merge_leaves_out_a_cases_replaced_segment_and_takes_its_new_one(
        tmp_path: Path, small_fanout: None, segment_kind: str) -> None:
    folder = _index_folder(tmp_path)
    _commit(tmp_path, 0)
    (old,) = _own_segments(tmp_path, "case-c0000")
    # The first run's segment left beside the second's, as a writer killed before it removed it would.
    os.rename(folder / old, tmp_path / "old-segment")
    _commit(tmp_path, 0, value=99.0, force=True)
    os.rename(tmp_path / "old-segment", folder / old)
    assert len(_own_segments(tmp_path, "case-c0000")) == 2
    _commit(tmp_path, 2)  # three own segments of the schema, the old one of them: a merge
    new = _results_entry(tmp_path / "case-c0000")["sha256"]
    merged = _merged_rows(tmp_path)
    assert merged.filter(pl.col(index.CASE_DIR_COLUMN) == "case-c0000")[index.SHA256_COLUMN].to_list() == [new] * 2
    assert sorted(merged[index.CASE_DIR_COLUMN].unique()) == ["case-c0000", "case-c0002"]
    assert _own_segments(tmp_path, "case-c0000") == []
    tables = _same(tmp_path)
    assert tables.results.filter(pl.col("case_id") == "c0000")["value"].to_list() == [99.0, 99.0]


def test_a_merge_leaves_out_the_segment_of_a_case_rerun_but_not_indexed_again(
        tmp_path: Path, small_fanout: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _commit(tmp_path, 0)
    with monkeypatch.context() as patch:  # the re-run's process killed before indexing it
        patch.setattr(index, "index_case", lambda *args: None)
        _commit(tmp_path, 0, value=99.0, force=True)
    (old,) = _own_segments(tmp_path, "case-c0000")
    _commit(tmp_path, 2)
    _commit(tmp_path, 4)
    assert sorted(_merged_rows(tmp_path)[index.CASE_DIR_COLUMN].unique()) == ["case-c0002", "case-c0004"]
    assert not (_index_folder(tmp_path) / old).exists()
    tables = _same(tmp_path)
    assert tables.results.filter(pl.col("case_id") == "c0000")["value"].to_list() == [99.0, 99.0]
