"""The fast preflight against full composition (a differential test), and that it is the fast one.

Preflight composes once per choice of config groups and applies each case's other swept values to that
(:func:`distlab.hydra.preflight.cases`); the reference composes every case with Hydra
(:func:`~distlab.hydra.preflight.composed_cases`). For random sweeps, with valid and invalid values (bad
types, out of range, unknown keys and names), both must accept the same sweeps with the same case ids in the
same order, and refuse the same sweeps with the same message.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from distlab.errors import ConfigError

# Values to sweep, valid and not: each key's values are drawn from its pool.
TOY = {
    "world.scale": ["1.0", "2", "0", "-1", "1e-3", "inf"],
    "seed": ["0", "1", "7", "-1", "2.5"],
    "repeats": ["1", "2", "0", "10001"],
}
UNIFORM = {
    "shape.low": ["0", "0.5", "-2", "abc", "2", "true"],
    "shape.high": ["1", "3", "1e3", "null"],
    "shape.explode": ["false", "true", "yes", "2"],
}
CONSTANT = {
    "shape.value": ["3", "-1.5", "1e3", "[1]"],
    "shape.count": ["1", "5", "99", "1e3", "2.0", "x"],
}
SHAPES = [("shape=uniform", UNIFORM), ("shape=constant", CONSTANT), ("shape=uniform,constant", {}),
          ("shape=constant,cnstant", {}), ("shape=uniform,constant", {"shape.nope": ["1"], **CONSTANT})]
MIGRATION = {
    "strategy": ["precopy", "stop_and_copy", "postcopy", "precopy_postcopy", "precpy"],
    "workload": ["hotset", "idle", "uniform"],
    "strategy.max_rounds": ["3", "30", "0", "abc", "2.5", "1e3"],
    "strategy.skip_zero_pages": ["true", "false", "no"],
    "world.vm.memory_mib": ["16", "32", "0", "big"],
    "world.vm.page_size_bytes": ["4096", "8192", "2097152"],
    "workload.write_rate_pages_s": ["100", "2000.5", "-5", "fast"],
    "seed": ["0", "3", "-4"],
}


def _sweep(rng: random.Random, pool: dict[str, list[str]], valid_bias: float) -> list[str]:
    """A random sweep: two to four swept keys of one to three values each, and a fixed one sometimes."""
    keys = rng.sample(sorted(pool), rng.randint(2, min(4, len(pool))))
    overrides = []
    for key in keys:
        values = pool[key]
        # Mostly the first (valid) values, so that many sweeps are accepted and reach their case ids.
        k = rng.randint(1, 3 if len(values) > 2 else len(values))
        chosen = [values[0] if rng.random() < valid_bias else rng.choice(values) for _ in range(k)]
        overrides.append(f"{key}={','.join(dict.fromkeys(chosen))}")
    return overrides


def _outcome(overrides: list[str], tmp_path: Path, *, full: bool) -> tuple[Any, ...]:
    from distlab.hydra.preflight import preflight

    try:
        checked = preflight([*overrides, f"hydra.sweep.dir={tmp_path}"], multirun=True, full=full)
    except ConfigError as err:
        return ("refused", str(err))
    return ("accepted", checked.total, checked.case_ids)


@pytest.mark.parametrize("seed", range(16))
def test_toy_sweeps_are_checked_alike_fast_and_in_full(toy_env: dict[str, str], tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3):
        shape, keys = rng.choice(SHAPES)
        overrides = ["study=toy", shape, *_sweep(rng, {**TOY, **keys}, valid_bias=0.7)]
        fast, full = _outcome(overrides, tmp_path, full=False), _outcome(overrides, tmp_path, full=True)
        assert fast == full, overrides


@pytest.mark.parametrize("seed", range(8))
def test_migration_sweeps_are_checked_alike_fast_and_in_full(builtin_registry: None, tmp_path: Path,
                                                             seed: int) -> None:
    rng = random.Random(1000 + seed)
    overrides = ["world.vm.memory_mib=16", "repeats=1", *_sweep(rng, MIGRATION, valid_bias=0.7)]
    fast, full = _outcome(overrides, tmp_path, full=False), _outcome(overrides, tmp_path, full=True)
    assert fast == full, overrides


@pytest.mark.parametrize("overrides, key", [
    (["shape=constant", "shape.count=1,99"], "'shape.count': 99"),
    (["shape=constant", "shape.count=2,1e3"], "'shape.count'"),
    (["shape.explode=false,yes"], "'shape.explode': 'yes'"),
    (["world.scale=1,0"], "'world.scale': 0"),
    (["shape.low=0,abc"], "'shape.low'"),
    (["shape=uniform", "shape.low=0,1"], "high must be greater than low"),
    (["shape=constant,uniform", "shape.value=1,2"], "shape.value"),
])
def test_refusals_name_the_key_as_full_composition_does(toy_env: dict[str, str], tmp_path: Path,
                                                        overrides: list[str], key: str) -> None:
    fast = _outcome(["study=toy", *overrides], tmp_path, full=False)
    assert fast == _outcome(["study=toy", *overrides], tmp_path, full=True)
    assert fast[0] == "refused" and key in fast[1], fast


def test_an_accepted_sweep_composes_once_per_choice_of_groups(toy_env: dict[str, str], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """24 cases over two components: a handful of compositions, not one per case (nor three)."""
    from distlab.hydra.compose import Composer

    composed: list[tuple[str, ...]] = []
    compose = Composer.compose

    def counting(self: Composer, overrides: Any) -> Any:
        composed.append(tuple(overrides))
        return compose(self, overrides)

    monkeypatch.setattr(Composer, "compose", counting)
    fast = _outcome(["study=toy", "shape=uniform,constant", "seed=range(0,6)", "repeats=1,2"], tmp_path, full=False)
    assert fast[0] == "accepted" and fast[1] == 24 and len(set(fast[2])) == 24
    assert len(composed) <= 2 + 2  # expand's first case, one per component, and the sweep directory's
