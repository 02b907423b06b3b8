"""Bytes on the wire of global references: the callbacks are metered by the caller's callback server, for every peer."""

from __future__ import annotations

import math

import pytest

from distlab.oncrpc.server import Server
from distlab.rpc_semantics import FUNCTIONS, Call, RpcSemanticsWorld
from distlab.rpc_semantics.engine import run_trial
from distlab.rpc_semantics.metered import MeteredClient
from distlab.rpc_semantics.refs import RefTable
from distlab.rpc_semantics.service import RefAccess, SemanticsService
from distlab_rpc_semantics.binding import Static
from distlab_rpc_semantics.params import AliasParams
from distlab_rpc_semantics.passing import GlobalRef
from distlab_rpc_semantics.stubs import Generated
from distlab_rpc_semantics.call_mixes import Alias
from distlab_serializers.xdr import Xdr


def test_the_callback_server_counts_what_the_server_sends_and_receives(make_list) -> None:
    made: list[MeteredClient] = []

    def connect(host: str, port: int) -> MeteredClient:
        made.append(MeteredClient(host, port))
        return made[-1]

    access, server, refs = RefAccess(None, connect), Server(transports=("tcp",)), RefTable()
    Generated().serve(server, SemanticsService(access))
    with server.serve_in_thread(), refs.serve(), MeteredClient("127.0.0.1", server.port) as client:
        db = make_list(6)
        call = Call(FUNCTIONS["append"], {"data": [b"new"], "db": db, "touch": [0, 3]})
        GlobalRef().invoke(call, _remote(client, refs))
        access.close()
    assert refs.callbacks == 5  # two reads, two writes, one append
    assert made and refs.bytes_in == sum(c.bytes_out for c in made) > 0  # the server's callbacks, as it sent them
    assert refs.bytes_out == sum(c.bytes_in for c in made) > 0  # and their replies, as it received them


def _remote(client: MeteredClient, refs: RefTable):  # type: ignore[no-untyped-def]
    from distlab.rpc_semantics import Remote, interface

    return Remote(Generated().client(client), interface(), refs)


@pytest.mark.parametrize("peer", ["python", "c_native"])
def test_bytes_on_wire_of_global_references_are_known_for_every_peer(peer: str) -> None:
    from distlab.rpc_semantics.cpeer import missing

    if peer != "python" and (reason := missing(peer.removeprefix("c_"))) is not None:
        pytest.skip(reason)
    world = RpcSemanticsWorld(calls=3, warmup_calls=0, peer=peer)
    components = {"passing": GlobalRef(), "binding": Static(), "stub": Generated(),
                  "call_mix": Alias(AliasParams(list_length=8, element_bytes=16)), "serializer": Xdr()}
    m = run_trial(world, components, seed=5).metrics
    assert m["callbacks"] == 2 and math.isfinite(m["bytes_on_wire"])
    # The call, its reply and two callbacks with their replies: more than the call alone could take.
    assert m["bytes_on_wire"] > 4 * 28
