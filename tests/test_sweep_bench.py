"""The sweep benchmark's rows: a slope the noise made non-positive is said to be unmeasured, not printed."""

from __future__ import annotations

from distlab.hydra.sweep_bench import _per_job_row


def test_a_measured_slope_is_compared_with_bare_hydra() -> None:
    row = _per_job_row("wall time per trivial job (4 to 24 jobs)", 0.033, 0.094, 1.0)
    assert row["seconds"] == 0.033 and row["baseline_seconds"] == 0.094 and row["goal"] == 1.0
    assert abs(row["ratio"] - 0.094 / 0.033) < 1e-12


def test_a_negative_slope_is_not_a_time() -> None:
    for ours, bare in ((-0.0237, 0.08), (0.03, 0.0), (0.0, 0.08)):
        row = _per_job_row("wall time per trivial job (2 to 8 jobs)", ours, bare, 1.0)
        assert row["seconds"] is None and row["ratio"] is None and row["goal"] is None
        assert "not measured" in row["name"]
