"""A dynamic stub (no IDL) and the generated stub give the same results, and differ on the wire as they should."""

from __future__ import annotations

import numpy as np
import pytest

from distlab.rpc_semantics import Call, RpcSemanticsWorld, snapshot
from distlab_rpc_semantics.params import AliasParams, AppendParams, LookupParams
from distlab_rpc_semantics.passing import ByValue, CopyRestore, CopyRestoreReadonly, GlobalRef
from distlab_rpc_semantics.stubs import Dynamic, Generated
from distlab_rpc_semantics.call_mixes import Alias, Append, Lookup

from .conftest import serve

WORKLOADS = [Append(AppendParams(list_length=40, element_bytes=16, fraction_changed=0.2, appended=2)),
             Lookup(LookupParams(list_length=40, element_bytes=16, write_fraction=0.5)),
             Alias(AliasParams(list_length=40, element_bytes=16))]
PASSING = [ByValue(), CopyRestore(), CopyRestoreReadonly(), GlobalRef()]


def _run(endpoint, passing, calls: list[Call]) -> list[object]:
    out = []
    for call in calls:
        result = endpoint.invoke(passing, call)
        out.append((result if not isinstance(result, list) else list(result),
                    {k: v for k, v in call.args.items() if isinstance(v, list)}))
    return out


@pytest.mark.parametrize("workload", WORKLOADS, ids=["append", "lookup", "alias"])
def test_dynamic_and_generated_stubs_agree(workload) -> None:
    world = RpcSemanticsWorld(calls=6)
    calls = list(workload.calls(world, np.random.default_rng(7)))
    with serve(Generated()) as gen, serve(Dynamic()) as dyn:
        for passing in PASSING:
            left = _run(gen, passing, [Call(c.signature, snapshot(c.args)) for c in calls])
            right = _run(dyn, passing, [Call(c.signature, snapshot(c.args)) for c in calls])
            assert left == right, type(passing).__name__
        # The same results, not the same bytes: the dynamic stub tags every value and names the function.
        for ep in (gen, dyn):
            ep.client.bytes_out = 0
            _run(ep, CopyRestore(), [Call(c.signature, snapshot(c.args)) for c in calls])
        assert dyn.client.bytes_out > gen.client.bytes_out
