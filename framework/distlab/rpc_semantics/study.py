"""Declaration of the rpc_semantics study: its world, kinds and metrics (cheap to import: no sockets, no numba).

The study shares the rpc study's ``serializer`` kind (the same :class:`~distlab.component.Kind` object),
as the oncrpc study does: the serializer lays out every call, reply and callback, so XDR (one canonical
byte order) and NDR (the sender's order, the receiver makes it right) meet a peer of either byte order.
"""

from __future__ import annotations

from distlab.component import Kind
from distlab.rpc.study import STUDY as _RPC_STUDY
from distlab.rpc_semantics.kinds import Binding, Passing, Stub, CallMix
from distlab.rpc_semantics.world import RpcSemanticsWorld
from distlab.study import Figure, Metric, Study

__all__ = ["FIGURES", "METRICS", "STUDY"]

METRICS = (
    Metric("call_latency_p50_us", "median time of a logical call as the caller sees it (callbacks, binder "
                                  "lookups and restoring included), in microseconds (timed)", log_scale=True,
           measured=True, figure=False),
    Metric("call_latency_p99_us", "99th percentile of that time, in microseconds (timed)", log_scale=True,
           measured=True, figure=False),
    Metric("calls_per_s", "completed logical calls (failed ones not counted) per second of the trial's timed "
                          "calls, the time of failed attempts included (timed)", better="higher",
           log_scale=True, measured=True, figure=False),
    Metric("bytes_on_wire", "bytes per logical call, both directions, record marks included: the call, its "
                            "reply, binder lookups and callbacks", log_scale=True, figure=False),
    Metric("round_trips", "request-reply exchanges per logical call: calls (attempts that found no server included), "
                          "binder lookups and callbacks", figure=False),
    Metric("callbacks", "callbacks from the server to the caller per logical call (global references through "
                        "callbacks)", figure=False),
    Metric("result_correct", "share of calls after which the caller's objects and result equal what a local "
                             "call leaves (1: the local-call semantics held every time)", better="higher",
           figure=False),
    Metric("failed_calls", "logical calls given up (no server at the address the binding policy gave)",
           figure=False),
    Metric("local_call_ns", "median time of the same function called locally on a copy, in nanoseconds (timed)",
           figure=False, measured=True),
    Metric("link_method", "how the link was made: 0 direct, 1 user-space relay, 2 netem "
                          "(distlab.rpc_semantics.engine.LINK_METHODS)", better=None, figure=False),
    Metric("stub_lines", "lines of Python distlab's IDL compiler generates per IDL line, pooled over the system's "
                         ".x files (the boilerplate a stub compiler saves; the same in every row)", better=None,
           figure=False),
    Metric("stub_lines_rpcgen", "lines of C rpcgen generates (-h -c -l -m) per IDL line over the same files "
                                "(NaN without rpcgen)", better=None, figure=False),
)
"""The rpc_semantics study's metrics.

None has a figure of its own: a sweep of this study sets several components at once per scenario (a
passing mode, a call and its size, a binding, a byte order, a peer), so a metric's figure over every case
(the passing mode on x, every other combination a colour) has one legend entry per scenario and no
reading. The key figures (:data:`FIGURES`) each draw one slice of such a sweep instead."""

_APPEND_100 = (("call_mix", "append_list"), ("stub", "generated"), ("world.bandwidth_mbit_s", 100.0))
FIGURES = (
    Figure("bytes_vs_fraction", x="call_mix.fraction_changed", y="bytes_on_wire",
           title="Bytes per append call against the share of the list the server changes, per passing mode",
           panels="call_mix.list_length", kind="line", where=(*_APPEND_100, ("world.latency_ms", 0.0))),
    Figure("latency_vs_link", x="world.latency_ms", y="call_latency_p50_us",
           title="Median append call on 1024 elements against the link's one-way latency (100 Mbit/s), per "
                 "passing mode and share changed", panels="call_mix.fraction_changed", kind="line",
           where=(*_APPEND_100, ("call_mix.list_length", 1024))),
    Figure("binding_vs_link", x="world.latency_ms", y="call_latency_p50_us",
           title="Median call against the link's latency: a static address, the binder before every call, the "
                 "binder's answer cached", kind="scatter",
           where=(("passing", "copy_restore"), ("call_mix", "append_list"), ("call_mix.list_length", 64),
                  ("stub", "generated"), ("serializer", "xdr"), ("world.bandwidth_mbit_s", None),
                  ("world.move_every", 0))),
)
"""The study's key figures: slices of the experiment's sweep (experiments/rpc_semantics) that show the course's
claims; a sweep without such cases draws none of them."""

STUDY = Study(
    name="rpc_semantics",
    doc="RPC semantics on real calls: passing references, binding through a daemon, byte order, stubs",
    world=RpcSemanticsWorld,
    kinds=(
        Kind("passing", Passing, "how reference parameters cross the wire (forbid, by value, copy-restore, "
                                 "global references)", check="distlab.rpc_semantics.testing:check_passing"),
        Kind("binding", Binding, "where each call goes: a static address or the binder's answer",
             check="distlab.rpc_semantics.testing:check_binding"),
        Kind("stub", Stub, "the client's proxy and the server's export: generated from the IDL or reflective",
             check="distlab.rpc_semantics.testing:check_stub"),
        Kind("call_mix", CallMix, "the calls of a trial: append, a read-mostly lookup, an aliasing call",
             check="distlab.rpc_semantics.testing:check_call_mix"),
        _RPC_STUDY.kind("serializer"),
    ),
    defaults={"passing": "copy_restore", "binding": "static", "stub": "generated", "call_mix": "append_list",
              "serializer": "xdr"},
    metrics=METRICS,
    runner="distlab.rpc_semantics.engine:run_trial",
    # Its calls go through distlab.oncrpc (runtime, link, dynamic stubs) and distlab.rpc (serializers): both
    # are its engine's code as much as its own package.
    code=("distlab.rpc_semantics", "distlab.oncrpc", "distlab.rpc"),
    treatment="passing",
    check="distlab.rpc_semantics.engine:check_case",
    figures=FIGURES,
    baseline="copy_restore",
)
