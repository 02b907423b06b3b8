"""The plugin kinds of the rpc_semantics study: passing, binding, stub and call_mix (contracts only).

A **passing** component decides how reference parameters cross the wire: which procedure of
``semantics.x`` a call uses and how the caller's objects are updated from the reply. A **binding**
component decides where each call goes (an address known in advance, or the binder's answer). A
**stub** component makes the client-side proxy and exports the server's procedures (generated from the
IDL, or reflective). A **call_mix** component (a workload: the kind name "workload" is the migration study's) makes the calls of a trial. The engine owns the
processes, the link, the clock, the callback server and the metrics.

All are created fresh for every trial by their component's factory, from their parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from distlab.rpc_semantics.functions import Call, Signature

if TYPE_CHECKING:
    from distlab.oncrpc.server import Server
    from distlab.rpc_semantics.context import Directory, Remote
    from distlab.rpc_semantics.service import SemanticsService
    from distlab.rpc_semantics.world import RpcSemanticsWorld

__all__ = ["Binding", "Passing", "Stub", "CallMix"]


@runtime_checkable
class Passing(Protocol):
    """How reference (list) parameters cross the wire.

    Required:
        ``check(signature) -> None``: called when the stub is built, before any call: raise
        :class:`~distlab.rpc_semantics.errors.PointerParameterError` naming a parameter this mode
        cannot pass (``forbid`` refuses every parameter declared ``out`` or ``in out``).
        ``invoke(call, remote) -> result``: make the call through ``remote.stub`` (one of the
        procedures of ``semantics.x``), update the caller's objects in ``call.args`` as the mode
        promises, and return what the caller gets as the function's result.
    """

    def check(self, signature: Signature) -> None:
        """Refuse a signature this mode cannot pass."""

    def invoke(self, call: Call, remote: Remote) -> Any:
        """Make one logical call; the caller's result."""


@runtime_checkable
class Binding(Protocol):
    """Where each call goes.

    Required:
        ``address(directory) -> (host, port)``: called before every logical call; the server's
        address, from ``directory.static`` (known in advance) or ``directory.lookup()`` (asks the
        binder: one round trip).
        ``rebind(directory, error) -> bool``: the call failed with ``error`` (connection refused,
        PROG_UNAVAIL): whether to try it again (after ``address`` is asked again).
    """

    def address(self, directory: Directory) -> tuple[str, int]:
        """The address of the next call."""

    def rebind(self, directory: Directory, error: Exception) -> bool:
        """Whether to retry a failed call."""


@runtime_checkable
class Stub(Protocol):
    """The client's proxy and the server's export of the procedures.

    Required:
        ``client(caller) -> proxy``: an object with one method per procedure of ``SEMANTICS_V1``
        (``append_value(args)``, ``lookup_delta(args)``, ...) that makes the call through
        ``caller.call(program, procedure, *args)``.
        ``serve(server, service) -> None``: export ``service``'s procedures on ``server`` (in the
        server process). The component is pickled to reach that process.

    Optional:
        ``by_number``: an attribute, true if the proxy calls ``SEMANTICS_V1``'s procedures by their
        numbers with the IDL's types (as rpcgen's stubs do), so that any server of ``semantics.x``, the
        C peer included, can answer it; false or absent otherwise.
    """

    def client(self, caller: Any) -> Any:
        """The proxy making calls through ``caller``."""

    def serve(self, server: Server, service: SemanticsService) -> None:
        """Export the service's procedures on the server."""


@runtime_checkable
class CallMix(Protocol):
    """The calls of one trial.

    Required:
        ``signature() -> Signature``: the function called, with its parameters' directions.
        ``calls(world, rng) -> Iterator[Call]``: ``world.calls`` calls. The lists in a call may be
        kept and used again by later calls (the caller's state); two arguments may be one object.
    """

    def signature(self) -> Signature:
        """The function the call mix calls."""

    def calls(self, world: RpcSemanticsWorld, rng: np.random.Generator) -> Iterator[Call]:
        """The trial's calls, in order."""
