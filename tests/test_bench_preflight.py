"""``distlab bench``'s preflight suite: every size it times is the size its row names (issue 15, D5)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from distlab.hydra import bench


def test_the_quick_preflight_suite_runs(builtin_registry: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """``distlab bench --quick --only preflight`` crashed: a tenth of 100 cases is 10, not a multiple of 4."""
    preflight = importlib.import_module("distlab.hydra.preflight")  # the package exports a function of that name
    timed: list[tuple[int, bool]] = []
    real = preflight.preflight

    def counted(*args: object, **kwargs: object) -> Any:
        checked = real(*args, **kwargs)  # type: ignore[arg-type]
        timed.append((checked.total, bool(kwargs.get("full"))))
        return checked

    monkeypatch.setattr(preflight, "preflight", counted)
    rows = bench.run(quick=True)
    assert timed == [(100, False), (8, True)]
    assert [r["name"] for r in rows] == ["preflight per case, 100 cases (vs full composition)",
                                         "preflight per case, 100 cases (vs goal)"]
    assert rows[0]["baseline"] == "full composition of 8"
    assert all(r["seconds"] > 0 and r["ratio"] > 0 for r in rows)


def test_a_sweep_size_the_benchmark_cannot_build_is_refused() -> None:
    with pytest.raises(ValueError, match="10 cases is not a positive multiple of 4"):
        bench._sweep(10)
