"""Declaration of the rpc study: its world, kind and metrics (cheap to import: no numba)."""

from __future__ import annotations

from distlab.component import Kind
from distlab.rpc.kinds import Serializer
from distlab.rpc.world import RpcWorld
from distlab.study import Metric, Study

__all__ = ["METRICS", "STUDY"]

METRICS = (
    Metric("bytes_on_wire", "length of the encoded payload in bytes (deterministic)", log_scale=True),
    Metric("bytes_per_item", "bytes on the wire per payload item (array element, record or string)"),
    Metric(
        "encode_items_per_s",
        "payload items encoded per second, best of repeated runs (timed: varies from run to run and machine to machine)",
        better="higher",
        log_scale=True,
        measured=True,
    ),
    Metric(
        "decode_items_per_s",
        "payload items decoded per second, best of repeated runs (timed: varies from run to run and machine to machine)",
        better="higher",
        log_scale=True,
        measured=True,
    ),
    Metric("roundtrip_ok", "decoding the encoding gave back the payload", better="higher", figure=False),
)

STUDY = Study(
    name="rpc",
    doc="marshaling of RPC parameters: wire formats, byte orders, bytes on the wire and speed",
    world=RpcWorld,
    kinds=(
        Kind("serializer", Serializer, "how values of the wire type model are laid out as bytes",
             check="distlab.rpc.testing:check_serializer", template="distlab.rpc.templates:SERIALIZER"),
    ),
    defaults={"serializer": "xdr"},
    metrics=METRICS,
    runner="distlab.rpc.engine:run_trial",
    bench="distlab.rpc.bench:run",
    treatment="serializer",
)
