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


def _commit(root: Path, case_id: str, value: int, *, force: bool = False, status: str = "ok") -> Path:
    rows = store.parquet_bytes(pl.DataFrame({"case_id": [case_id], "v": [value]}))
    folder, _ = store.commit_case(root, case_id, {store.RESULTS: rows}, {"case_id": case_id, "status": status},
                                  force=force)
    return folder


def _value(folder: Path) -> int:
    return int(pl.read_parquet(folder / store.RESULTS)["v"][0])


def test_a_case_is_put_in_place_whole_and_found_by_its_id(tmp_path: Path) -> None:
    folder = _commit(tmp_path, "abc", 1)
    assert folder == tmp_path / "case-abc"
    assert sorted(p.name for p in folder.iterdir()) == [store.PROVENANCE, store.RESULTS]
    assert store.find_case(tmp_path, "abc") == folder
    assert store.find_case(tmp_path, "zzz") is None
    assert not list((tmp_path / store.STATE_DIR / "staging").iterdir())


@pytest.mark.parametrize("exchange", [True, False])
def test_replacing_a_case_swaps_it_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool) -> None:
    from distlab.store import cases

    monkeypatch.setattr(cases, "_USE_EXCHANGE", exchange)
    _commit(tmp_path, "abc", 1)
    # Not forced: a finished case that another run put in place is kept (same id, same rows).
    assert _value(_commit(tmp_path, "abc", 2)) == 1
    assert _value(_commit(tmp_path, "abc", 3, force=True)) == 3
    assert _value(_commit(tmp_path, "bad", 1, status="failed")) == 1
    assert _value(_commit(tmp_path, "bad", 2)) == 2  # a failed case is replaced by its re-run
    assert sorted(p.name for p in tmp_path.iterdir()) == [store.STATE_DIR, "case-abc", "case-bad"]
    assert not list((tmp_path / store.STATE_DIR / "staging").iterdir())


def test_a_live_writers_temporary_directory_is_kept_an_abandoned_one_removed(tmp_path: Path) -> None:
    from distlab.store.lock import try_lock

    staging = tmp_path / store.STATE_DIR / "staging"
    live, dead = staging / "abc.1-live", staging / "abc.2-dead"
    for entry in (live, dead):
        (entry / "case").mkdir(parents=True)
    (dead / "lock").touch()  # its process died: nobody holds the lock
    fd = try_lock(live / "lock")  # a separate open file: to flock, another writer
    assert fd is not None
    try:
        assert store.clean_staging(tmp_path) == [dead]
        assert live.is_dir() and not dead.exists()
    finally:
        import os

        os.close(fd)
    assert store.clean_staging(tmp_path) == [live]


def test_a_swap_killed_between_its_two_renames_is_finished_by_the_next_run(tmp_path: Path) -> None:
    """Without RENAME_EXCHANGE a replacement is two renames; a kill between them loses neither case."""
    old = _commit(tmp_path, "abc", 1)
    entry = tmp_path / store.STATE_DIR / "staging" / "abc.99-gone"
    entry.mkdir()
    new = _commit(tmp_path / "elsewhere", "abc", 2)
    new.rename(entry / "case")
    old.rename(entry / "old")  # killed here: the case is in neither place
    store.clean_staging(tmp_path)
    assert _value(tmp_path / "case-abc") == 2 and store.find_case(tmp_path, "abc") == tmp_path / "case-abc"
    # Killed before the new case was complete: the old one comes back.
    old = tmp_path / "case-abc"
    (entry / "case").mkdir(parents=True)
    old.rename(entry / "old")
    store.clean_staging(tmp_path)
    assert _value(tmp_path / "case-abc") == 2 and not entry.exists()


def test_a_case_whose_files_changed_is_not_finished(tmp_path: Path) -> None:
    folder = _commit(tmp_path, "abc", 1)
    pl.DataFrame({"case_id": ["abc"], "v": [7]}).write_parquet(folder / store.RESULTS)  # valid, but not its own
    record = store.read_provenance(folder / store.PROVENANCE)
    assert "differs from the file its case wrote" in str(store.case_problem(folder, record))
    assert store.find_case(tmp_path, "abc") is None


@pytest.mark.parametrize(("code", "message"), [
    (28, r"no space left on /\S* while writing .*x\.parquet"),
    (30, r"is read-only \(a read-only file system\)"),
    (13, r"is read-only for this user"),
])
def test_a_full_or_read_only_disk_is_a_store_error_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           code: int, message: str) -> None:
    """Item 9's store side: the operating system's error in words naming the device or directory."""
    import os

    from distlab.errors import DistlabError

    target = tmp_path / "x.parquet"
    store.write_parquet(target, pl.DataFrame({"v": [1]}))

    def refuse(fd: int, *args: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", refuse)
    with pytest.raises(store.StoreError, match=message) as caught:
        store.write_parquet(target, pl.DataFrame({"v": [2]}))
    assert isinstance(caught.value, DistlabError) and isinstance(caught.value, OSError)
    assert caught.value.errno == code and caught.value.filename == str(target)
    monkeypatch.undo()
    assert pl.read_parquet(target)["v"].to_list() == [1]  # nothing lost
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]


def test_a_case_that_cannot_be_written_keeps_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from distlab.store import cases

    _commit(tmp_path, "abc", 1)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cases, "_write_new", full)
    with pytest.raises(store.StoreError, match=r"no space left on .* while writing .*results.parquet"):
        _commit(tmp_path, "abc", 2, force=True)
    monkeypatch.undo()
    assert _value(tmp_path / "case-abc") == 1
    assert not list((tmp_path / store.STATE_DIR / "staging").iterdir())
    assert sorted(os.listdir(tmp_path)) == [store.STATE_DIR, "case-abc"]


def test_a_sweep_plan_is_the_union_of_every_sweeps_cases(tmp_path: Path) -> None:
    assert store.read_plan(tmp_path) is None
    store.plan_sweep(tmp_path, ["a1", "b2", "a1"])
    store.plan_sweep(tmp_path, ["c3", "b2"])
    assert store.read_plan(tmp_path) == ["a1", "b2", "c3"]
    with pytest.raises(ValueError, match="not case ids"):
        store.plan_sweep(tmp_path, ["../x"])
    (tmp_path / store.STATE_DIR / "plan.json").write_text('{"case_ids": 5}')
    assert store.read_plan(tmp_path) is None  # a malformed plan is ignored, not trusted


def test_a_jobs_link_names_its_case_and_a_killed_linkers_temporary_goes(tmp_path: Path) -> None:
    import os

    folder = _commit(tmp_path, "abc", 1)
    job = tmp_path / "0"
    job.mkdir()
    dead = 2**22 + 12345  # above Linux's largest pid: no such process
    os.symlink("..", job / f".case.{dead}-ab.tmp")
    store.link_job(job, folder)
    assert (job / "case").resolve() == folder.resolve() and os.readlink(job / "case") == "../case-abc"
    assert sorted(p.name for p in job.iterdir()) == ["case"]
