"""Re-running into a sweep directory (issue 15): cases that failed deterministically are kept, not run
again, unless ``retry_failed``; failures that may not happen again (time limit, lost worker) are retried.
The report counts a kept failure as failed either way."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from distlab import store
from distlab.case import resolve_case
from distlab.host import load_registry
from distlab.runner import FAILED, OK, record_lost_case, run_case


@pytest.fixture
def registry():
    import looping_plugin
    import toy_plugin

    return load_registry(autoload=False, plugins=[], modules=[toy_plugin, looping_plugin])


def _case(registry, name: str = "uniform", **params):
    config = {"study": "toy", "seed": 1, "repeats": 2, "world": {}, "shape": params}
    return resolve_case(config, {"shape": name}, registry)


def _record(outcome) -> dict:
    return json.loads((outcome.job_dir / store.PROVENANCE).read_text())


def _written(outcome) -> int:
    """Which write of the case directory this is: a run replaces the directory whole (a new inode)."""
    return (outcome.job_dir / store.PROVENANCE).stat().st_ino


def test_a_deterministic_failure_is_kept_unless_retry_failed(tmp_path: Path, registry,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry, explode=True), root / "0", root=root)
    before, ino = _record(first), _written(first)
    assert before["status"] == FAILED and before["failed_deterministically"] is True
    with caplog.at_level(logging.WARNING, logger="distlab"):
        again = run_case(_case(registry, explode=True), root / "1", root=root)
    # Not run: the same record, and the job links to it; it still counts as failed.
    assert again.status == FAILED and again.job_dir == first.job_dir and _record(again) == before
    assert again.kept and not first.kept  # the progress line says it was kept, not run
    assert _written(again) == ino
    assert (root / "1" / store.JOB_LINK).resolve() == first.job_dir.resolve()
    assert "failed deterministically before" in caplog.text and "retry_failed=true" in caplog.text
    retried = run_case(_case(registry, explode=True), root / "2", root=root, retry_failed=True)
    assert retried.status == FAILED and _written(retried) != ino and not retried.kept
    ino = _written(retried)
    forced = run_case(_case(registry, explode=True), root / "3", root=root, force=True)
    assert _written(forced) != ino
    assert [p.name for p in root.iterdir() if p.name.startswith(store.CASE_PREFIX)] == [first.job_dir.name]


def test_a_timed_out_case_is_retried(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry, "spin"), root / "0", root=root, trial_timeout_s=0.1)
    assert _record(first)["failed_deterministically"] is False
    assert store.find_failed_case(root, first.case_id) is None
    ino = _written(first)
    again = run_case(_case(registry, "spin"), root / "1", root=root, trial_timeout_s=0.1)
    assert _written(again) != ino


def test_a_lost_case_is_retried(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    lost = record_lost_case(_case(registry), root / "0", root=root, error_type="WorkerDied", message="killed")
    assert _record(lost)["failed_deterministically"] is False
    again = run_case(_case(registry), root / "1", root=root)
    assert again.status == OK


def test_a_failure_recorded_before_the_distinction_is_retried(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry, explode=True), root / "0", root=root)
    record = _record(first)
    record.pop("failed_deterministically")
    (first.job_dir / store.PROVENANCE).write_text(json.dumps(record))
    assert store.find_failed_case(root, first.case_id) is None
    ino = _written(first)
    again = run_case(_case(registry, explode=True), root / "1", root=root)
    assert _written(again) != ino and _record(again)["failed_deterministically"] is True


def test_a_damaged_failed_case_is_run_again(tmp_path: Path, registry) -> None:
    root = tmp_path / "sweep"
    first = run_case(_case(registry, explode=True), root / "0", root=root)
    (first.job_dir / store.RESULTS).write_bytes(b"PAR1 damaged")
    assert store.find_failed_case(root, first.case_id) is None


def test_the_report_counts_a_kept_failure_as_failed(tmp_path: Path, registry) -> None:
    from distlab.report import load_tables

    root = tmp_path / "sweep"
    run_case(_case(registry), root / "0", root=root)
    run_case(_case(registry, explode=True), root / "1", root=root)
    kept = load_tables(root)
    run_case(_case(registry, explode=True), root / "2", root=root)  # kept, not run
    assert load_tables(root).failed.height == kept.failed.height == 2
    run_case(_case(registry, explode=True), root / "3", root=root, retry_failed=True)
    assert load_tables(root).failed.height == 2
