"""The runner: rows, traces and provenance; failures as data; skipping finished cases."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

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


def test_rows_trace_and_provenance(tmp_path: Path, registry) -> None:
    case = _case(registry)
    outcome = run_case(case, tmp_path / "job", overrides=["shape=uniform"])
    assert outcome.status == OK
    rows = pl.read_parquet(tmp_path / "job" / store.RESULTS)
    assert rows.height == 4
    assert rows["repeat"].to_list() == [0, 1, 2, 3]
    assert rows["trial_seed"].to_list() == case.trial_seeds()
    assert set(rows["status"]) == {"ok"}
    assert {"value_mean", "value_max", "positive", "shape.low", "world.scale", "case_id"} <= set(rows.columns)
    trace = pl.read_parquet(tmp_path / "job" / store.TRACE)
    assert trace.height == 20 and set(trace["repeat"]) == {0, 1, 2, 3}
    prov = json.loads((tmp_path / "job" / store.PROVENANCE).read_text())
    assert prov["case_id"] == case.case_id and prov["status"] == "ok"
    assert prov["overrides"] == ["shape=uniform"] and prov["seeds"] == case.trial_seeds()
    assert prov["components"]["shape"]["plugin"] == "toy_plugin"
    assert prov["code"]["version"] and prov["python"] and prov["started_at"] <= prov["finished_at"]


def test_same_case_gives_identical_rows(tmp_path: Path, registry) -> None:
    run_case(_case(registry), tmp_path / "a")
    run_case(_case(registry), tmp_path / "b")
    a = pl.read_parquet(tmp_path / "a" / store.RESULTS)
    b = pl.read_parquet(tmp_path / "b" / store.RESULTS)
    assert a.equals(b)


def test_failures_are_rows_with_the_error(tmp_path: Path, registry) -> None:
    outcome = run_case(_case(registry, explode=True), tmp_path / "job")
    assert outcome.status == FAILED
    rows = pl.read_parquet(tmp_path / "job" / store.RESULTS)
    assert set(rows["status"]) == {"failed"}
    assert set(rows["error_type"]) == {"RuntimeError"}
    assert "told to explode" in rows["error_message"][0]
    assert "Traceback" in rows["error_traceback"][0]
    assert rows["value_mean"].null_count() == 4
    # A failed case is not marked as finished: a re-run tries it again.
    assert store.find_case(tmp_path / "job", outcome.case_id) is None


def test_rerun_skips_unless_forced(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry), root / "0", root=root)
    again = run_case(_case(registry), root / "7", root=root)
    assert again.status == SKIPPED and again.job_dir == root / "0"
    assert not (root / "7" / store.RESULTS).exists()
    forced = run_case(_case(registry), root / "7", root=root, force=True)
    assert forced.status == OK
    # The old results are superseded, so the case is not counted twice.
    assert not (root / "0" / store.RESULTS).exists()
    assert store.find_case(root, first.case_id) == root / "7"


def test_another_case_in_the_same_job_dir_is_moved_aside_not_overwritten(tmp_path: Path, registry) -> None:
    """A different sweep into the same sweep dir gives job number 0 to another case."""
    root = tmp_path / "sweep"
    first = run_case(_case(registry, "uniform"), root / "0", root=root)
    first_rows = pl.read_parquet(root / "0" / store.RESULTS)
    second = run_case(_case(registry, "constant"), root / "0", root=root)
    assert second.status == OK and first.case_id != second.case_id
    moved = root / f"case-{first.case_id}"
    assert pl.read_parquet(moved / store.RESULTS).equals(first_rows)
    assert json.loads((moved / store.PROVENANCE).read_text())["case_id"] == first.case_id
    assert json.loads((root / "0" / store.PROVENANCE).read_text())["case_id"] == second.case_id
    # The index follows the move: the first case is still finished and is skipped, not re-run.
    assert store.find_case(root, first.case_id) == moved
    assert run_case(_case(registry, "uniform"), root / "1", root=root).status == SKIPPED
    # Both cases' rows are under the sweep dir, once each.
    all_rows = pl.concat([pl.read_parquet(p) for p in root.rglob(store.RESULTS)], how="diagonal_relaxed")
    assert sorted(set(all_rows["case_id"])) == sorted({first.case_id, second.case_id})
    assert all_rows.height == 8


def test_rerunning_the_same_case_in_its_job_dir_moves_nothing(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    run_case(_case(registry, explode=True), root / "0", root=root)  # failed: not finished, so re-run
    run_case(_case(registry, explode=True), root / "0", root=root)
    assert not list(root.glob("case-*"))


def test_damaged_results_are_not_a_finished_case(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry), root / "0", root=root)
    (root / "0" / store.RESULTS).write_bytes(b"PAR1 truncated")
    assert store.find_case(root, first.case_id) is None
    assert run_case(_case(registry), root / "0", root=root).status == OK  # run again, not skipped
    assert pl.read_parquet(root / "0" / store.RESULTS).height == 4
