"""What the report keeps of provenance: one reduced record per job, shared parts, and the tally it prints."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from distlab.report import load_compared, load_tables
from distlab.report.bench import synthetic_sweep
from distlab.report.jobs import find_jobs, normalized
from distlab.report.provenance import ProvenanceSummary, Sharer, job_provenance


def _record(case: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "case_id": f"{case:016x}", "study": "toy", "status": "ok", "config": {"seed": case % 2},
        "started_at": f"2026-01-0{case + 1}T00:00:00", "finished_at": f"2026-01-0{case + 1}T00:01:00",
        "code": {"version": "1.0", "git_commit": "abc", "git_dirty": False},
        "components": {"shape": {"distribution": "toy-shapes", "version": "2.0", "code": {"sha256": "f" * 64}}},
        "input_files": {"shape.path": {"sha256": "e" * 64}},
        "libraries": {"numpy": "2.0", "polars": "1.0"},
        "host": {"hostname": "n1", "cpu_model": "EPYC", "cpu_count": 2, "memory_bytes": 8 * 2**30},
        "launcher": "basic", "python": "3.11", "platform": "linux",
        "metrics": [{"name": "value", "doc": "a value"}], "figures": [{"name": "f", "x": "seed", "y": "value"}],
        "treatment": "shape", "baseline": "alpha",
        "files": {"results.parquet": {"sha256": f"{case:064x}", "columns": {"value": "Float64"}}},
    }
    record.update(changes)
    return record


def test_equal_parts_of_many_jobs_are_one_object_and_the_rest_their_own() -> None:
    sharer = Sharer()
    # Each record parsed separately, as from its own JSON file: equal, never the same objects.
    jobs = [job_provenance(normalized(copy.deepcopy(_record(i, config={"seed": 7}))), sharer) for i in range(4)]
    first, *rest = jobs
    for job in rest:
        assert job.origin is first.origin
        assert job.versions is first.versions
        assert job.metrics is first.metrics and job.figures is first.figures
        assert job.results_columns is first.results_columns
    assert [j.case_id for j in jobs] == [f"{i:016x}" for i in range(4)]
    assert len({j.results_sha256 for j in jobs}) == 4
    assert first.versions == {"shape.version": "toy-shapes 2.0", "shape.code": "f" * 12, "shape.path.sha256": "e" * 12}
    assert first.origin.machine == "n1: EPYC, 2 cores, 8.0 GiB"
    assert first.origin.libraries == "numpy 2.0, polars 1.0"
    assert first.origin.distlab == "1.0 @ abc"


def test_a_differing_part_is_not_shared_even_after_an_equal_one() -> None:
    sharer = Sharer()
    a = job_provenance(normalized(_record(0)), sharer)
    b = job_provenance(normalized(_record(1, launcher="joblib")), sharer)
    c = job_provenance(normalized(_record(2)), sharer)
    assert a.origin != b.origin and b.origin.launcher == "joblib"
    assert c.origin is a.origin  # found again by its key, not only as the last one shared


def test_the_tally_counts_each_job_once_and_merges_over_sweeps() -> None:
    sharer = Sharer()
    jobs = [job_provenance(normalized(_record(i, launcher="joblib" if i == 3 else "basic")), sharer) for i in range(4)]
    summary = ProvenanceSummary.of(jobs)
    assert summary.jobs == 4
    assert summary.launchers == {"basic": 3, "joblib": 1}
    assert summary.machines == {"n1: EPYC, 2 cores, 8.0 GiB": 4}
    assert summary.distlab == {"1.0 @ abc": 4}
    assert summary.plugins == {"toy-shapes 2.0"}
    assert summary.seeds == {0, 1}
    assert (summary.first_start, summary.last_end) == ("2026-01-01T00:00:00", "2026-01-04T00:01:00")
    other = ProvenanceSummary.of([job_provenance(normalized(_record(5, host={"cpu_count": 4}, started_at="")), sharer)])
    both = summary.merged(other)
    assert both.jobs == 5 and both.launchers == {"basic": 4, "joblib": 1}
    assert both.machines == {"n1: EPYC, 2 cores, 8.0 GiB": 4, "host name not recorded: ?, 4 cores, ? GiB": 1}
    assert both.first_start == "2026-01-01T00:00:00" and both.last_end == "2026-01-06T00:01:00"
    assert ProvenanceSummary.of([]).first_start == ""


def test_a_report_tallies_the_jobs_it_counts(tmp_path: Path) -> None:
    root = synthetic_sweep(tmp_path / "sweep", 6, repeats=2)
    found = find_jobs(root)
    assert len({id(j.provenance.metrics) for j in found.jobs}) == 1
    tables = load_tables(root)
    assert tables.provenance.jobs == 6
    assert tables.provenance.seeds == {0, 1, 2, 3, 4, 5}
    other = synthetic_sweep(tmp_path / "other", 3, repeats=2)
    compared = load_compared([root, other])
    assert compared.provenance.jobs == 9
