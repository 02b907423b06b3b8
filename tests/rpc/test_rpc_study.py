"""The rpc study: its declaration, its components in the registry, and one trial of each serializer."""

from __future__ import annotations

import dataclasses

import pytest
from rpc_helpers import make, rpc_registry

from distlab.params import describe
from distlab.rpc.kinds import Serializer
from distlab.rpc.study import STUDY
from distlab.rpc.world import SHAPES, RpcWorld

NAMES = ["cbor", "json", "msgpack", "native", "ndr", "pickle", "xdr"]


def test_registry_lists_the_serializers() -> None:
    registry = rpc_registry()
    assert [c.name for c in registry.components("serializer")] == NAMES
    for component in registry.components("serializer"):
        assert component.doc
        for info in describe(component.params):
            assert info.doc, (component.name, info.key)


def test_plugin_import_is_cheap() -> None:
    import subprocess
    import sys

    from rpc_helpers import ROOT

    code = "import sys; sys.path.insert(0, %r); import distlab_serializers, distlab.rpc.study; print('numba' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code % str(ROOT / "plugins")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", SHAPES)
def test_one_trial(name: str, shape: str) -> None:
    serializer = make(name, **({"allow_untrusted": True} if name == "pickle" else {}))
    assert isinstance(serializer, Serializer)
    world = RpcWorld(shape=shape, size=50, min_time_s=0.001)
    trial = STUDY.run_trial(world, {"serializer": serializer}, seed=3)
    assert set(trial.metrics) == {m.name for m in STUDY.metrics}
    assert trial.metrics["roundtrip_ok"] is True
    again = STUDY.run_trial(world, {"serializer": serializer}, seed=3)
    assert again.metrics["bytes_on_wire"] == trial.metrics["bytes_on_wire"]  # deterministic


def test_world_defaults_are_valid() -> None:
    from distlab.params import check_defaults

    check_defaults(RpcWorld)
    assert dataclasses.asdict(RpcWorld())["shape"] == "records"
