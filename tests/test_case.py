"""Cases: resolution from a config, case ids, and trial seeds."""

from __future__ import annotations

import pytest

from distlab.case import resolve_case, trial_seed
from distlab.errors import ParameterError, UnknownComponentError
from distlab.host import load_registry


@pytest.fixture
def registry():
    import toy_plugin

    return load_registry(autoload=False, plugins=[], modules=[toy_plugin])


def _config(**shape):
    return {"study": "toy", "seed": 7, "repeats": 3, "force": False, "world": {"scale": 2.0}, "shape": shape}


def test_resolve_builds_world_and_components(registry) -> None:
    case = resolve_case(_config(value=1.5), {"shape": "constant"}, registry)
    assert case.world.scale == 2.0
    comp, params = case.components["shape"]
    assert comp.name == "constant" and params.value == 1.5 and params.count == 2
    cols = case.columns()
    assert cols["shape"] == "constant" and cols["shape.value"] == 1.5 and cols["world.scale"] == 2.0


def test_case_id_is_stable_and_sensitive(registry) -> None:
    a = resolve_case(_config(value=1.5), {"shape": "constant"}, registry)
    b = resolve_case(_config(value=1.5), {"shape": "constant"}, registry)
    c = resolve_case(_config(value=1.6), {"shape": "constant"}, registry)
    assert a.case_id == b.case_id != c.case_id
    assert len(a.case_id) == 16


def test_trial_seeds_are_deterministic_distinct_and_shared_across_treatments(registry) -> None:
    const = resolve_case(_config(), {"shape": "constant"}, registry)
    unif = resolve_case(_config(), {"shape": "uniform"}, registry)
    assert const.trial_seeds() == resolve_case(_config(), {"shape": "constant"}, registry).trial_seeds()
    assert len(set(const.trial_seeds())) == 3
    # Common random numbers: the treatment does not change the seeds, the world does.
    assert const.trial_seeds() == unif.trial_seeds()
    other_world = resolve_case({**_config(), "world": {"scale": 3.0}}, {"shape": "uniform"}, registry)
    assert other_world.trial_seeds() != unif.trial_seeds()
    assert trial_seed(0, "k", 0) != trial_seed(1, "k", 0)
    assert 0 <= trial_seed(2**40, "k", 5) < 2**63


def test_bad_values_are_named(registry) -> None:
    with pytest.raises(ParameterError, match="'shape.count': 0"):
        resolve_case(_config(count=0), {"shape": "constant"}, registry)
    with pytest.raises(ParameterError, match="'repeats'"):
        resolve_case({**_config(), "repeats": 0}, {"shape": "constant"}, registry)
    with pytest.raises(ParameterError, match="'seed'"):
        resolve_case({**_config(), "seed": -1}, {"shape": "constant"}, registry)
    with pytest.raises(ParameterError, match="'world.scale'"):
        resolve_case({**_config(), "world": {"scale": 0}}, {"shape": "constant"}, registry)
    with pytest.raises(UnknownComponentError):
        resolve_case(_config(), {"shape": "nope"}, registry)
    with pytest.raises(ParameterError, match="a key of study 'toy'"):
        resolve_case({**_config(), "strategy": {}}, {"shape": "constant"}, registry)
