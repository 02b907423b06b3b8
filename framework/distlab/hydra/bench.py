"""Benchmark of preflight: the time to check a sweep, per case, fast path against full composition.

The sweep is built from whatever the registry holds (the default study's first kind, two of its
components, and the run-level keys ``seed`` and ``repeats``), so the core names no study. The fast path
is timed on the whole sweep; full composition, at about 75 ms a case, per case on a tenth as many cases
(rounded down to the sweep's multiple of 4: 100 for the full run, 8 for ``--quick``), which the
baseline's label states.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["run"]

GOAL_SECONDS_PER_CASE = 0.005
"""The issue's goal: at most 5 ms per case, so that 10,000 cases are checked in under a minute."""


def _sweep(cases: int) -> list[str]:
    """Overrides of a sweep of ``cases`` cases (a multiple of 4): 2 components × 2 repeats × seeds."""
    if cases < 4 or cases % 4:
        raise ValueError(f"a preflight benchmark sweep is 2 components x 2 repeats x seeds: {cases} cases "
                         "is not a positive multiple of 4")
    from distlab.hydra.compose import composing
    from distlab.hydra.config_store import stored_registry

    registry = stored_registry()
    with composing() as composer:
        study = registry.study(str(composer.compose([]).get("study")))
    kind = study.kinds[0].name
    default = study.defaults[kind]
    other = next(c.name for c in registry.components(kind) if c.name != default)
    return [f"{kind}={default},{other}", f"seed=range(0,{cases // 4})", "repeats=1,2"]


def _per_case(overrides: list[str], cases: int, *, full: bool) -> float:
    from distlab.hydra.preflight import preflight

    start = time.perf_counter()
    checked = preflight(overrides, multirun=True, full=full)
    seconds = time.perf_counter() - start
    if checked.total != cases:  # the row would name a size it did not time
        raise RuntimeError(f"the preflight benchmark's sweep has {checked.total} cases, not {cases}")
    return seconds / cases


def _full_sample(cases: int) -> int:
    """How many cases full composition is timed on: a tenth of ``cases``, down to a multiple of 4, at least 8."""
    return max(cases // 40 * 4, 8)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Preflight of 1,000 cases (100 with ``quick``), per case, against full composition of a tenth of them."""
    cases = 100 if quick else 1000
    fast = _per_case(_sweep(cases), cases, full=False)
    fewer = _full_sample(cases)
    full = _per_case(_sweep(fewer), fewer, full=True)
    return [
        {"name": f"preflight per case, {cases} cases (vs full composition)", "seconds": fast,
         "baseline": f"full composition of {fewer}", "baseline_seconds": full, "ratio": full / fast,
         "goal": None},
        {"name": f"preflight per case, {cases} cases (vs goal)", "seconds": fast,
         "baseline": f"goal {GOAL_SECONDS_PER_CASE * 1e3:g} ms", "baseline_seconds": GOAL_SECONDS_PER_CASE,
         "ratio": GOAL_SECONDS_PER_CASE / fast, "goal": 1.0},
    ]
