"""Declaration of the ONC RPC study: its world, kind and metrics (cheap to import: no sockets, no numba).

The study shares the rpc study's ``serializer`` kind (the same :class:`~distlab.component.Kind` object):
the serializer chosen for a case lays out every call's header, arguments and results, so a trial
measures what a wire format costs in real calls, not only in marshaling.
"""

from __future__ import annotations

from distlab.oncrpc.world import OncrpcWorld
from distlab.rpc.study import STUDY as _RPC_STUDY
from distlab.study import Metric, Study

__all__ = ["METRICS", "STUDY"]

METRICS = (
    Metric("calls_per_s", "completed calls per second over the trial (timed: varies from run to run)",
           better="higher", log_scale=True, measured=True),
    Metric("mean_latency_us", "mean time from sending a call to decoding its reply, in microseconds", log_scale=True,
           measured=True),
    Metric("p99_latency_us", "99th percentile of the call latency, in microseconds", log_scale=True, measured=True),
    Metric("bytes_per_call", "bytes of one call and its reply on the wire (record marks included on TCP)"),
    Metric("calls_ok", "every call returned the payload it sent", better="higher", figure=False),
)

STUDY = Study(
    name="oncrpc",
    doc="ONC RPC calls (RFC 5531) over TCP and UDP: a distlab client against a distlab server",
    world=OncrpcWorld,
    kinds=(_RPC_STUDY.kind("serializer"),),
    defaults={"serializer": "xdr"},
    metrics=METRICS,
    runner="distlab.oncrpc.engine:run_trial",
    # The engine calls through distlab.oncrpc and marshals with distlab.rpc's serializers: both are its code.
    code=("distlab.oncrpc", "distlab.rpc"),
    bench="distlab.oncrpc.bench:run",
    commands={"idl": "distlab.oncrpc.idl.cli:main", "binder": "distlab.oncrpc.binder:main"},
)
