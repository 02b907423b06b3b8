"""The result store: atomic writes and the case index."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from distlab import store


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    store.write_json(tmp_path / "a" / "x.json", {"k": 1})
    store.write_parquet(tmp_path / "a" / "r.parquet", pl.DataFrame({"v": [1, 2]}))
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["r.parquet", "x.json"]
    assert store.read_json(tmp_path / "a" / "x.json") == {"k": 1}


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "r.parquet"
    store.write_parquet(target, pl.DataFrame({"v": [1]}))

    class Boom(pl.DataFrame):
        def write_parquet(self, *args, **kwargs):  # type: ignore[override]
            raise OSError("disk full")

    with pytest.raises(OSError):
        store.write_parquet(target, Boom({"v": [2]}))
    assert pl.read_parquet(target)["v"].to_list() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["r.parquet"]


def test_case_index_checks_the_job_still_holds_the_case(tmp_path: Path) -> None:
    job = tmp_path / "0"
    store.write_parquet(job / store.RESULTS, pl.DataFrame({"v": [1]}))
    store.write_json(job / store.PROVENANCE, {"case_id": "abc"})
    store.mark_case(tmp_path, "abc", job)
    assert store.find_case(tmp_path, "abc") == job
    assert store.find_case(tmp_path, "zzz") is None
    store.write_json(job / store.PROVENANCE, {"case_id": "other"})
    assert store.find_case(tmp_path, "abc") is None
