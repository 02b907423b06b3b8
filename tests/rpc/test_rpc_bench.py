"""The benchmark module runs and reports every row (a smoke test: timings are not asserted)."""

from __future__ import annotations

from distlab.rpc import bench


def test_bench_quick_rows() -> None:
    rows = bench.run(quick=True)
    assert len(rows) == 5
    for row in rows:
        assert set(row) == {"name", "seconds", "baseline", "baseline_seconds", "ratio", "goal"}
        assert row["seconds"] > 0 and row["baseline_seconds"] > 0 and row["goal"] > 0
