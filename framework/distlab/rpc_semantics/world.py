"""The world of the rpc_semantics study: a client process, a server process, and the link between them."""

from __future__ import annotations

import dataclasses

from distlab.params import param

__all__ = ["BYTE_ORDERS", "PEERS", "RpcSemanticsWorld"]

BYTE_ORDERS = ("same", "little", "big")
PEERS = ("python", "c_native", "c_s390x")


@dataclasses.dataclass(frozen=True)
class RpcSemanticsWorld:
    """A client (the trial's process) calling a server in another process over TCP through a shaped link.

    The link (:func:`distlab.oncrpc.link.open_link`) delays every byte by ``latency_ms`` each way and
    sends at ``bandwidth_mbit_s`` (``None``, the default: no limit); with neither, the client connects directly. Callbacks from the
    server to the client's callback server cross a link of the same shape, and so do binder lookups.
    """

    calls: int = param(200, "logical calls per trial", ge=1, le=1_000_000)
    latency_ms: float = param(0.0, "one-way latency of the link, in milliseconds", ge=0.0, le=1000.0)
    bandwidth_mbit_s: float | None = param(
        None, "bandwidth of the link, in Mbit/s (null: not limited, shown as '–' in reports)", gt=0.0,
        le=100_000.0)
    peer_byte_order: str = param(
        "same", "the server's byte order when the serializer has one (NDR: the sender's order; 'same': the "
        "client's); XDR always sends big-endian", choices=BYTE_ORDERS)
    peer: str = param(
        "python", "the server: distlab's ('python'), or the C peer built by rpcgen from semantics.x, native or for "
        "big-endian s390x run under qemu-user (XDR only; see distlab.rpc_semantics.cpeer)", choices=PEERS)
    move_every: int = param(0, "restart the server on another port after every this many calls (0: never)",
                            ge=0, le=1_000_000)
    warmup_calls: int = param(5, "copies of the first call made and discarded before the timed ones (connections, "
                                 "caches)", ge=0, le=10_000)
