"""Whole trials: server and binder in their own processes, the engine's metrics, binding and byte order."""

from __future__ import annotations

from typing import Any

import pytest

from distlab.rpc_semantics import PointerParameterError, RpcSemanticsWorld
from distlab.rpc_semantics.engine import check_case, run_trial
from distlab_rpc_semantics.binding import BinderCached, Static
from distlab_rpc_semantics.params import AliasParams, AppendParams
from distlab_rpc_semantics.passing import CopyRestore, Forbid, GlobalRef
from distlab_rpc_semantics.stubs import Generated
from distlab_rpc_semantics.call_mixes import Alias, Append
from distlab_serializers.ndr import Ndr
from distlab_serializers.params import NdrParams
from distlab_serializers.xdr import Xdr

SMALL = Append(AppendParams(list_length=50, element_bytes=16, fraction_changed=0.1))


def _components(**over: Any) -> dict[str, Any]:
    base = {"passing": CopyRestore(), "binding": Static(), "stub": Generated(), "call_mix": SMALL, "serializer": Xdr()}
    return {**base, **over}


def test_binder_cached_recovers_when_the_server_moves() -> None:
    world = RpcSemanticsWorld(calls=12, move_every=4, warmup_calls=1)
    cached = run_trial(world, _components(binding=BinderCached()), seed=1).metrics
    assert cached["failed_calls"] == 0 and cached["result_correct"] == 1.0
    # 12 calls; after each of the two moves, the attempt on the old connection and one lookup (the
    # warm-up made the first lookup, which is not counted).
    assert cached["round_trips"] == pytest.approx((12 + 2 * 2) / 12)
    static_trial = run_trial(world, _components(binding=Static()), seed=1)
    static = static_trial.metrics
    assert static["failed_calls"] == 8  # after the first move, nothing answers at the old address
    # Throughput counts the 4 completed calls only, over the time of all 12 attempts.
    assert static_trial.trace is not None
    timed_s = float(static_trial.trace["latency_us"].sum()) * 1e-6
    assert static["calls_per_s"] == pytest.approx(4 / timed_s)


def test_cross_endian_ndr_peer_and_a_shaped_link() -> None:
    world = RpcSemanticsWorld(calls=5, warmup_calls=1, peer_byte_order="big", latency_ms=1.0)
    m = run_trial(world, _components(serializer=Ndr(NdrParams(byte_order="little"))), seed=2).metrics
    assert m["result_correct"] == 1.0 and m["failed_calls"] == 0
    assert m["link_method"] == 1  # the user-space relay (no netem on this kernel)
    assert m["call_latency_p50_us"] >= 2000  # a round trip crosses the 1 ms link twice


def test_global_references_count_their_callbacks() -> None:
    world = RpcSemanticsWorld(calls=4, warmup_calls=0)
    m = run_trial(world, _components(passing=GlobalRef(), call_mix=Alias(AliasParams(list_length=8))), seed=3).metrics
    assert m["callbacks"] == 2 and m["round_trips"] == 3 and m["result_correct"] == 1.0
    m = run_trial(world, _components(call_mix=Alias(AliasParams(list_length=8))), seed=3).metrics
    assert m["callbacks"] == 0 and m["result_correct"] == 0.0  # copy-restore loses mark_a


def test_forbid_fails_the_case_before_anything_runs() -> None:
    with pytest.raises(PointerParameterError, match="passing=forbid"):
        check_case(RpcSemanticsWorld(), _components(passing=Forbid()))


def test_the_c_peer_takes_only_what_rpcgen_speaks() -> None:
    from distlab.errors import ConfigError
    from distlab_rpc_semantics.stubs import Dynamic

    world = RpcSemanticsWorld(peer="c_s390x")
    with pytest.raises(ConfigError, match="XDR only"):
        check_case(world, _components(serializer=Ndr()))
    with pytest.raises(ConfigError, match="dynamic stub"):
        check_case(world, _components(stub=Dynamic()))
    check_case(world, _components())


def test_a_big_endian_c_peer_gives_the_same_semantics() -> None:
    from distlab.rpc_semantics.cpeer import missing

    reason = missing("s390x")
    if reason is not None:
        pytest.skip(reason)
    world = RpcSemanticsWorld(calls=3, warmup_calls=0, peer="c_s390x")
    alias = Alias(AliasParams(list_length=8))
    assert run_trial(world, _components(passing=GlobalRef(), call_mix=alias), seed=4).metrics["result_correct"] == 1.0
    assert run_trial(world, _components(call_mix=alias), seed=4).metrics["result_correct"] == 0.0


@pytest.mark.parametrize("peer", ["python", "c_native"])
def test_global_references_through_a_shared_directory_make_no_callbacks(peer: str) -> None:
    from distlab.rpc_semantics.cpeer import missing
    from distlab_rpc_semantics.params import GlobalRefParams

    if peer != "python" and (reason := missing(peer.removeprefix("c_"))) is not None:
        pytest.skip(reason)
    world = RpcSemanticsWorld(calls=3, warmup_calls=0, peer=peer)
    directory = GlobalRef(GlobalRefParams(store="directory"))
    m = run_trial(world, _components(passing=directory, call_mix=Alias(AliasParams(list_length=8))), seed=3).metrics
    assert m["callbacks"] == 0 and m["round_trips"] == 1 and m["result_correct"] == 1.0  # a reference: both marks
    m = run_trial(world, _components(passing=directory), seed=3).metrics  # append, 10% of 50 elements touched
    assert m["callbacks"] == 0 and m["result_correct"] == 1.0
