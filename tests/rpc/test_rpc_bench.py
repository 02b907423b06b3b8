"""The benchmark suites run and report every row (a smoke test: timings are not asserted)."""

from __future__ import annotations

from typing import Any

import pytest

from distlab.rpc import bench


def _check_rows(rows: list[dict[str, Any]], count: int) -> None:
    assert len(rows) == count
    for row in rows:
        assert set(row) == {"name", "seconds", "baseline", "baseline_seconds", "ratio", "goal"}
        assert row["seconds"] > 0 and row["baseline_seconds"] > 0 and row["goal"] > 0


def test_study_bench_times_the_kernels_alone() -> None:
    rows = bench.run(quick=True)
    _check_rows(rows, 1)
    assert rows[0]["name"].startswith("varint encode")


def test_serializer_rows_live_in_the_plugin() -> None:
    from distlab_serializers import bench as plugin_bench

    rows = plugin_bench.run(quick=True)
    _check_rows(rows, 4)
    assert all(row["name"].startswith("xdr encode") for row in rows)


def test_the_plugin_adds_its_suite() -> None:
    from rpc_helpers import rpc_registry

    assert rpc_registry().benchmarks.get("serializers") == "distlab_serializers.bench:run"


def test_the_framework_bench_imports_no_plugin() -> None:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(bench.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not {m for m in imported if m and m.startswith("distlab_")}, imported


@pytest.mark.parametrize("module", ["distlab.rpc.bench", "distlab_serializers.bench"])
def test_suites_are_module_run_functions(module: str) -> None:
    import importlib

    assert callable(importlib.import_module(module).run)
