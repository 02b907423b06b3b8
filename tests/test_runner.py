"""The runner: rows, traces and provenance; failures as data; skipping finished cases."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from storekit import damage_a_page

from distlab import store
from distlab.case import resolve_case
from distlab.host import load_registry
from distlab.runner import FAILED, OK, SKIPPED, run_case


@pytest.fixture
def registry():
    import toy_plugin

    return load_registry(autoload=False, plugins=[], modules=[toy_plugin])


def _case(registry, name="uniform", **params):
    config = {"study": "toy", "seed": 1, "repeats": 4, "world": {}, "shape": params}
    return resolve_case(config, {"shape": name}, registry)


def _case_dir(root: Path, case) -> Path:
    return store.case_dir(root, case.case_id)


def test_rows_trace_and_provenance(tmp_path: Path, registry) -> None:
    case = _case(registry)
    outcome = run_case(case, tmp_path / "job", overrides=["shape=uniform"])
    assert outcome.status == OK
    folder = tmp_path / "job" / f"case-{case.case_id}"
    assert outcome.job_dir == folder and (tmp_path / "job" / "case").resolve() == folder.resolve()
    rows = pl.read_parquet(folder / store.RESULTS)
    assert rows.height == 4
    assert rows["repeat"].to_list() == [0, 1, 2, 3]
    assert rows["trial_seed"].to_list() == case.trial_seeds()
    assert set(rows["status"]) == {"ok"}
    assert {"value_mean", "value_max", "positive", "shape.low", "world.scale", "case_id"} <= set(rows.columns)
    trace = pl.read_parquet(folder / store.TRACE)
    assert trace.height == 20 and set(trace["repeat"]) == {0, 1, 2, 3}
    prov = json.loads((folder / store.PROVENANCE).read_text())
    assert prov["case_id"] == case.case_id and prov["status"] == "ok"
    assert prov["overrides"] == ["shape=uniform"] and prov["seeds"] == case.trial_seeds()
    assert prov["components"]["shape"]["plugin"] == "toy_plugin"
    assert prov["code"]["version"] and prov["python"] and prov["started_at"] <= prov["finished_at"]
    # The whole of each data file is recorded, so a finished case is judged by all its bytes.
    assert prov["files"][store.RESULTS]["sha256"] == store.file_sha256(folder / store.RESULTS)
    assert prov["files"][store.TRACE]["sha256"] == store.file_sha256(folder / store.TRACE)
    # Nothing temporary is left behind.
    assert not list((tmp_path / "job" / store.STATE_DIR / "staging").iterdir())


def test_same_case_gives_identical_rows(tmp_path: Path, registry) -> None:
    a = run_case(_case(registry), tmp_path / "a")
    b = run_case(_case(registry), tmp_path / "b")
    assert pl.read_parquet(a.job_dir / store.RESULTS).equals(pl.read_parquet(b.job_dir / store.RESULTS))


def test_failures_are_rows_with_the_error(tmp_path: Path, registry) -> None:
    outcome = run_case(_case(registry, explode=True), tmp_path / "job")
    assert outcome.status == FAILED
    rows = pl.read_parquet(outcome.job_dir / store.RESULTS)
    assert set(rows["status"]) == {"failed"}
    assert set(rows["error_type"]) == {"RuntimeError"}
    assert "told to explode" in rows["error_message"][0]
    assert "Traceback" in rows["error_traceback"][0]
    assert rows["value_mean"].null_count() == 4
    # A failed case is not finished: a re-run tries it again.
    assert store.find_case(tmp_path / "job", outcome.case_id) is None


def test_rerun_skips_unless_forced(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry), root / "0", root=root)
    again = run_case(_case(registry), root / "7", root=root)
    assert again.status == SKIPPED and again.job_dir == first.job_dir
    assert (root / "7" / "case").resolve() == first.job_dir.resolve()
    before = json.loads((first.job_dir / store.PROVENANCE).read_text())
    forced = run_case(_case(registry), root / "7", root=root, force=True)
    assert forced.status == OK and forced.job_dir == first.job_dir
    after = json.loads((first.job_dir / store.PROVENANCE).read_text())
    assert after["finished_at"] >= before["finished_at"] and after["started_at"] != before["started_at"]
    # One copy of the case: replaced, not added.
    assert [p.parent for p in root.rglob(store.RESULTS)] == [first.job_dir]


def test_two_cases_at_one_job_number_never_collide(tmp_path: Path, registry) -> None:
    """Item 2: a different sweep into the same sweep dir gives job number 0 to another case."""
    root = tmp_path / "sweep"
    first = run_case(_case(registry, "uniform"), root / "0", root=root)
    first_rows = pl.read_parquet(first.job_dir / store.RESULTS)
    second = run_case(_case(registry, "constant"), root / "0", root=root)
    assert second.status == OK and first.case_id != second.case_id
    assert pl.read_parquet(first.job_dir / store.RESULTS).equals(first_rows)  # untouched
    assert json.loads((first.job_dir / store.PROVENANCE).read_text())["case_id"] == first.case_id
    assert (root / "0" / "case").resolve() == second.job_dir.resolve()  # the job's link names its last case
    assert store.find_case(root, first.case_id) == first.job_dir
    assert run_case(_case(registry, "uniform"), root / "1", root=root).status == SKIPPED
    all_rows = pl.concat([pl.read_parquet(p) for p in root.rglob(store.RESULTS)], how="diagonal_relaxed")
    assert sorted(set(all_rows["case_id"])) == sorted({first.case_id, second.case_id})
    assert all_rows.height == 8


def test_rerunning_a_failed_case_replaces_it_in_place(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry, explode=True), root / "0", root=root)  # failed: not finished
    inode = (first.job_dir / store.PROVENANCE).stat().st_ino
    again = run_case(_case(registry, explode=True), root / "0", root=root, retry_failed=True)  # so re-run if asked
    assert again.status == FAILED and (again.job_dir / store.PROVENANCE).stat().st_ino != inode
    assert [p.name for p in root.iterdir() if p.name.startswith("case-")] == [again.job_dir.name]


def test_damaged_results_are_not_a_finished_case(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry), root / "0", root=root)
    (first.job_dir / store.RESULTS).write_bytes(b"PAR1 truncated")
    assert store.find_case(root, first.case_id) is None
    assert run_case(_case(registry), root / "0", root=root).status == OK  # run again, not skipped
    assert pl.read_parquet(first.job_dir / store.RESULTS).height == 4


def test_damage_inside_the_results_with_the_footer_intact_is_run_again(tmp_path: Path, registry) -> None:
    """Item 5: a finished case is judged by the whole file, not by its footer."""
    root = tmp_path / "sweep"
    first = run_case(_case(registry), root / "0", root=root)
    good = pl.read_parquet(first.job_dir / store.RESULTS)
    damage_a_page(first.job_dir / store.RESULTS)
    pl.read_parquet_schema(first.job_dir / store.RESULTS)  # the footer still reads
    assert store.find_case(root, first.case_id) is None
    assert run_case(_case(registry), root / "1", root=root).status == OK
    assert pl.read_parquet(first.job_dir / store.RESULTS).equals(good)


@pytest.mark.parametrize("content", ["", "{ truncated", "[]", "null", '{"status": "ok"}', '{"case_id": 5}',
                                     '{"case_id": "../../x"}', '{"case_id": "CASE", "files": 3}', "\xff\xfe"])
@pytest.mark.parametrize("force", [False, True])
def test_a_damaged_provenance_is_a_case_to_run_again_in_place(tmp_path: Path, registry, content: str,
                                                             force: bool) -> None:
    """Items 4 and 6: empty, truncated, wrong-shape provenance: re-run in place, nothing moved, no TypeError."""
    root = tmp_path / "sweep"
    first = run_case(_case(registry), root / "0", root=root)
    text = content.replace("CASE", first.case_id)
    (first.job_dir / store.PROVENANCE).write_bytes(text.encode("latin-1"))  # "\xff\xfe": not UTF-8
    assert store.find_case(root, first.case_id) is None
    again = run_case(_case(registry), root / "0", root=root, force=force)
    assert again.status == OK and again.job_dir == first.job_dir
    assert json.loads((first.job_dir / store.PROVENANCE).read_text())["case_id"] == first.case_id
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == ["0", first.job_dir.name]


def _legacy_sweep(root: Path, registry) -> str:
    """A sweep as distlab wrote it before case directories: the files in job dir 0, indexed in .cases/."""
    outcome = run_case(_case(registry), tmp := root / "tmp")
    legacy = root / "0"
    legacy.mkdir(parents=True)
    for name in (store.RESULTS, store.TRACE):
        (legacy / name).write_bytes((outcome.job_dir / name).read_bytes())
    prov = json.loads((outcome.job_dir / store.PROVENANCE).read_text())
    prov.pop("files")
    (legacy / store.PROVENANCE).write_text(json.dumps(prov))
    import shutil

    shutil.rmtree(tmp)
    store.write_json(root / ".cases" / f"{outcome.case_id}.json", {"case_id": outcome.case_id, "job_dir": "0"})
    return outcome.case_id


def test_a_sweep_of_the_old_layout_is_skipped_and_forced_once(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    case_id = _legacy_sweep(root, registry)
    assert store.find_case(root, case_id) == root / "0"
    assert run_case(_case(registry), root / "0", root=root).status == SKIPPED
    forced = run_case(_case(registry), root / "0", root=root, force=True)
    assert forced.status == OK and forced.job_dir == store.case_dir(root, case_id)
    assert [p.parent for p in root.rglob(store.RESULTS)] == [forced.job_dir]  # the old copy is superseded


@pytest.mark.parametrize("entry", ["[]", "null", '{"job_dir": 5}', '{"job_dir": "/etc"}', '{"job_dir": "../.."}',
                                   "{ truncated"])
def test_a_case_index_entry_of_the_wrong_shape_is_treated_as_missing(tmp_path: Path, registry, entry: str) -> None:
    """Item 6: the old layout's index holding valid JSON of the wrong shape crashes nothing."""
    root = tmp_path / "sweep"
    case_id = _legacy_sweep(root, registry)
    (root / ".cases" / f"{case_id}.json").write_text(entry)
    assert store.find_case(root, case_id) is None
    for force in (False, True):
        assert run_case(_case(registry), root / "1", root=root, force=force).status == OK
