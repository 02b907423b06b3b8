"""The engine of the rpc_semantics study: one trial makes a call mix's calls from this process to a
server process, through the case's passing mode, binding policy and stub, over a shaped link.

Per trial: ``distlab binder`` in a child process if the binding policy asks one; the server in a
child process (:mod:`distlab.rpc_semantics.serverproc`), registered with the binder; the client's
callback server (global references) in a thread of this process; a link of the world's shape in
front of each of the three. Every logical call is also run locally on a copy of its arguments: the
local call's time is ``local_call_ns`` and its outcome the semantics the remote call is judged against
(``result_correct``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import statistics
import sys
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from distlab.errors import ConfigError
from distlab.oncrpc.errors import ProgUnavailError, TransportError
from distlab.rpc.kinds import Serializer
from distlab.rpc_semantics.context import Directory, Remote
from distlab.rpc_semantics.errors import BindingError
from distlab.rpc_semantics.functions import Call, run_local, snapshot
from distlab.rpc_semantics.interface import interface
from distlab.rpc_semantics.kinds import Binding, Passing, Stub, CallMix
from distlab.rpc_semantics.links import LinkPool
from distlab.rpc_semantics.metered import MeteredClient
from distlab.rpc_semantics.process import BinderProcess, ServerProcess
from distlab.rpc_semantics.refs import RefTable
from distlab.rpc_semantics.serverproc import ServerSpec
from distlab.rpc_semantics.world import RpcSemanticsWorld
from distlab.study import TrialResult

__all__ = ["LINK_METHODS", "check_case", "matches_local", "peer_serializer", "run_trial", "stub_lines"]

LINK_METHODS = ("direct", "relay", "netem")
"""The ways a link can be made, in the order of the ``link_method`` column's codes (0, 1, 2)."""

_SWITCH_S = 0.0002  # the GIL switch interval during a trial (see run_trial)
_MAX_ATTEMPTS = 4  # a call tried this many times (rebinding in between) is given up


def check_case(world: RpcSemanticsWorld, components: Mapping[str, Any]) -> None:
    """Build the stub before anything runs: a passing mode that refuses the call mix's signature fails the case here.

    Raises:
        PointerParameterError: ``passing=forbid`` and a parameter the callee writes.
        ConfigError: a C peer with another serializer than XDR or another stub than the generated one
            (rpcgen's server speaks XDR and knows procedures by number), or a byte order for it.
    """
    components["passing"].check(components["call_mix"].signature())
    if world.peer != "python":
        ser = components["serializer"]
        # By class name: the framework does not import plugins, and XDR is the built-in serializer "xdr".
        if type(ser).__name__ != "Xdr":
            raise ConfigError(f"world.peer={world.peer} is rpcgen's server, which speaks XDR only; "
                              f"serializer={type(ser).__name__.lower()} needs world.peer=python")
        if not getattr(components["stub"], "by_number", False):
            raise ConfigError(f"world.peer={world.peer} serves semantics.x by procedure number; the dynamic stub "
                              "needs world.peer=python")
        if world.peer_byte_order != "same":
            raise ConfigError(f"world.peer_byte_order={world.peer_byte_order} applies to world.peer=python; "
                              f"the C peer's order is its machine's (world.peer={world.peer})")


def peer_serializer(serializer: Serializer, byte_order: str) -> Serializer:
    """The server's serializer: the client's, with ``byte_order`` as the sender's order if it has one.

    XDR has one byte order (big-endian), so ``byte_order`` changes nothing for it.
    """
    params = getattr(serializer, "params", None)
    if byte_order == "same" or params is None or not hasattr(params, "byte_order"):
        return serializer
    made: Serializer = type(serializer)(dataclasses.replace(params, byte_order=byte_order))  # type: ignore[call-arg]
    return made


def matches_local(call: Call, result: Any, expected: Any, local_args: Mapping[str, Any]) -> bool:
    """Whether a remote call left the caller where the local call left its copy.

    Every list argument must hold what the local call's copy holds, and the result must be equal; a
    result that is one of the local call's own arguments (``append`` returns ``db``) must be the
    caller's corresponding object itself, not an equal copy.
    """
    for name, value in local_args.items():
        if isinstance(value, list) and list(call.args[name]) != value:
            return False
    if isinstance(expected, list):
        for name, value in local_args.items():
            if value is expected:
                return result is call.args[name]
        return result is not None and list(result) == expected
    return bool(result == expected)


class _CPeer:
    """The C peer (:mod:`distlab.rpc_semantics.cpeer`) behind the interface of :class:`ServerProcess`.

    Its callbacks are metered where they arrive, by the caller's callback server (:class:`RefTable`).
    """

    def __init__(self, arch: str, binder: tuple[str, int] | None) -> None:
        from distlab.rpc_semantics.cpeer import build, serve

        self._stack = contextlib.ExitStack()
        tcp, _ = self._stack.enter_context(serve(build(arch), binder[1] if binder else None))
        self.port = tcp

    def stop(self) -> None:
        """Stop the peer (SIGTERM: it unregisters from the binder)."""
        self._stack.close()


def _start_server(peer: str, spec: ServerSpec) -> Any:
    if peer == "python":
        return ServerProcess(spec).start()
    return _CPeer(peer.removeprefix("c_"), spec.binder)


class _Trial:
    """The running parts of one trial and their counters."""

    def __init__(self, world: RpcSemanticsWorld, components: Mapping[str, Any], stack: contextlib.ExitStack) -> None:
        self.world = world
        self.passing: Passing = components["passing"]
        self.binding: Binding = components["binding"]
        self.stub: Stub = components["stub"]
        self.serializer: Serializer = components["serializer"]
        self.api = interface()
        self.links = LinkPool(world.latency_ms, world.bandwidth_mbit_s)
        stack.callback(self.links.close)
        self.binder: BinderProcess | None = None
        if getattr(self.binding, "uses_binder", True):
            self.binder = stack.enter_context(BinderProcess())
        self.spec = ServerSpec(peer_serializer(self.serializer, world.peer_byte_order), self.stub,
                               self.binder.address if self.binder else None)
        self.server = _start_server(world.peer, self.spec)
        stack.callback(lambda: self.server.stop())
        self.refs = RefTable()
        stack.enter_context(self.refs.serve(self.serializer))
        # The server calls back through a link of the same shape as the one it is called through.
        self.refs.address = self.links.address(self.refs.address)
        self.directory = Directory(("127.0.0.1", self.server.port), self._ask)
        self.clients: list[MeteredClient] = []
        self.conns: dict[tuple[str, int], tuple[MeteredClient, Any]] = {}
        stack.callback(self._close)

    def _ask(self) -> tuple[str, int]:
        assert self.binder is not None
        from distlab.oncrpc.pmap import PMAP_V2, PROTOCOLS

        program = self.api.SEMANTICS_V1_PROGRAM
        # A new connection per lookup, as pmap_getport makes: part of what a lookup costs.
        # The portmapper protocol is XDR whatever the case's serializer (the binder speaks nothing else).
        client = MeteredClient(*self.links.address(self.binder.address))
        self.clients.append(client)
        try:
            port = int(client.call(PMAP_V2, 3, {"prog": program.program, "vers": program.version,
                                                "prot": PROTOCOLS["tcp"], "port": 0}))
        finally:
            client.close()
        if port == 0:
            raise BindingError(f"the binder at {self.binder.address} knows no {program.name} version {program.version}")
        return (self.binder.address[0], port)

    def _proxy(self, address: tuple[str, int]) -> Any:
        conn = self.conns.get(address)
        if conn is None:
            client = MeteredClient(*self.links.address(address), serializer=self.serializer)
            self.clients.append(client)
            conn = self.conns[address] = (client, self.stub.client(client))
        return conn[1]

    def _drop(self, address: tuple[str, int]) -> None:
        conn = self.conns.pop(address, None)
        if conn is not None:
            conn[0].close()

    def invoke(self, call: Call) -> Any:
        """One logical call, rebinding as the binding policy says."""
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            address = self.binding.address(self.directory)
            try:
                proxy = self._proxy(address)
                return self.passing.invoke(call, Remote(proxy, self.api, self.refs))
            except (TransportError, ProgUnavailError) as err:
                self._drop(address)
                if attempt == _MAX_ATTEMPTS or not self.binding.rebind(self.directory, err):
                    raise
        raise AssertionError("unreachable")

    def move_server(self) -> None:
        """Stop the server and start it again on another port (it registers anew with the binder)."""
        old = self.server.port
        self.server.stop()
        self.server = _start_server(self.world.peer, self.spec)
        while self.server.port == old:  # the kernel may hand the freed port out again: "moved" means moved
            self.server.stop()
            self.server = _start_server(self.world.peer, self.spec)

    def counters(self) -> dict[str, float]:
        """Calls, bytes and callbacks so far: the caller's clients (calls and binder lookups) and its callback
        server (callbacks, from any peer), both in this process."""
        return {
            "calls": sum(c.calls for c in self.clients),
            "bytes": sum(c.bytes_out + c.bytes_in for c in self.clients) + self.refs.bytes_in + self.refs.bytes_out,
            "callbacks": self.refs.callbacks,
        }

    def _close(self) -> None:
        for client, _ in self.conns.values():
            client.close()
        self.conns.clear()


def run_trial(world: RpcSemanticsWorld, components: Mapping[str, Any], seed: int) -> TrialResult:
    """Make the call mix's calls and measure them (see :data:`distlab.rpc_semantics.study.METRICS`)."""
    call_mix: CallMix = components["call_mix"]
    check_case(world, components)
    rng = np.random.default_rng(seed)
    calls = list(call_mix.calls(world, rng))
    latencies = np.empty(len(calls))
    local_ns = np.empty(len(calls))
    correct = np.zeros(len(calls), dtype=bool)
    failed = 0
    with contextlib.ExitStack() as stack:
        # The link's relay and the callback server are threads of this process: a thread waiting for
        # the GIL while the caller computes would add up to the switch interval (5 ms) to a hop.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(_SWITCH_S)
        stack.callback(sys.setswitchinterval, interval)
        trial = _Trial(world, components, stack)
        # Warm-up: the first call again on copies of its arguments (connections, the server's first
        # decode); not NULL, which NDR cannot answer (an empty reply has no format label).
        for _ in range(world.warmup_calls if calls else 0):
            trial.invoke(dataclasses.replace(calls[0], args=snapshot(calls[0].args)))
        before = trial.counters()
        elapsed = 0.0
        for i, call in enumerate(calls):
            if world.move_every and i and i % world.move_every == 0:
                trial.move_server()
            local_args = snapshot(call.args)
            t0 = time.perf_counter_ns()
            expected = run_local(call, local_args)
            local_ns[i] = time.perf_counter_ns() - t0
            t1 = time.perf_counter()
            try:
                result = trial.invoke(call)
            except (TransportError, ProgUnavailError, BindingError):
                failed += 1
                latencies[i] = time.perf_counter() - t1
                elapsed += latencies[i]
                continue
            latencies[i] = time.perf_counter() - t1
            elapsed += latencies[i]
            correct[i] = matches_local(call, result, expected, local_args)
        after = trial.counters()
        link_method = trial.links.method or "direct"
    n = len(calls)
    lat_us = latencies * 1e6
    metrics = {
        "call_latency_p50_us": float(np.percentile(lat_us, 50)),
        "call_latency_p99_us": float(np.percentile(lat_us, 99)),
        # Completed calls only: a call given up at once (no server at the address) is no throughput.
        "calls_per_s": (n - failed) / elapsed if elapsed > 0 else float("inf"),
        "bytes_on_wire": (after["bytes"] - before["bytes"]) / n,
        "round_trips": (after["calls"] - before["calls"] + after["callbacks"] - before["callbacks"]) / n,
        "callbacks": (after["callbacks"] - before["callbacks"]) / n,
        "result_correct": float(correct.mean()),
        "failed_calls": failed,
        "local_call_ns": float(statistics.median(local_ns.tolist())),
        "link_method": LINK_METHODS.index(link_method) if link_method in LINK_METHODS else -1,
        "stub_lines": stub_lines()[0],
        "stub_lines_rpcgen": stub_lines()[1],
    }
    trace = pl.DataFrame({"call": np.arange(n), "latency_us": lat_us, "local_call_ns": local_ns,
                          "result_correct": correct})
    return TrialResult(metrics=metrics, trace=trace)


@functools.cache
def stub_lines() -> tuple[float, float]:
    """Generated lines per IDL line over the system's ``.x`` files: distlab's IDL compiler, and rpcgen's C.

    Pooled (all generated lines over all IDL lines of the files both compile), from
    :mod:`distlab.oncrpc.idl.stub_lines`; computed once per process (it compiles every file). NaN where
    the counter or rpcgen is missing.
    """
    try:
        from distlab.oncrpc.idl.stub_lines import system_table
    except ImportError:  # the counter is another issue's work: the column stays empty rather than made up
        return (float("nan"), float("nan"))
    rows = [r for r in system_table() if r.distlab_lines is not None and r.idl_lines]
    ours = sum(r.distlab_lines or 0 for r in rows) / max(1, sum(r.idl_lines for r in rows))
    with_c = [r for r in rows if r.rpcgen_lines is not None]
    theirs = (sum(r.rpcgen_lines or 0 for r in with_c) / sum(r.idl_lines for r in with_c)) if with_c else float("nan")
    return (ours, theirs)
