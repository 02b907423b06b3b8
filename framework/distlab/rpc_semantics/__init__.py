"""The rpc_semantics study: what passing references, binding, byte order and stubs cost on real calls.

The public surface for plugin authors: the kinds' contracts (:class:`Passing`, :class:`Binding`,
:class:`Stub`, :class:`CallMix`), what they see of a trial (:class:`Remote`, :class:`Directory`,
:func:`apply_delta`), the two ways of making stubs (:func:`generated_proxy`, :func:`serve_generated`,
:func:`dynamic_proxy`, :func:`serve_dynamic`), the functions and their signatures (:class:`Call`, :class:`Signature`,
:class:`Parameter`, :data:`FUNCTIONS`), the compiled interface (:func:`interface`) and the errors.
Cheap to import: no sockets, no numba; the IDL is compiled on first use.
"""

from __future__ import annotations

from distlab.rpc_semantics.context import Directory, Remote, apply_delta
from distlab.rpc_semantics.errors import BindingError, PointerParameterError
from distlab.rpc_semantics.exports import dynamic_proxy, generated_proxy, serve_dynamic, serve_generated
from distlab.rpc_semantics.functions import (
    DIRECTIONS,
    FUNCTIONS,
    Call,
    Direction,
    Parameter,
    Signature,
    alias,
    append,
    invert,
    lookup,
    run_local,
    snapshot,
)
from distlab.rpc_semantics.interface import IDL_PATH, MODULE_NAME, interface
from distlab.rpc_semantics.kinds import Binding, Passing, Stub, CallMix
from distlab.rpc_semantics.world import RpcSemanticsWorld

__all__ = [
    "DIRECTIONS",
    "FUNCTIONS",
    "IDL_PATH",
    "MODULE_NAME",
    "Binding",
    "BindingError",
    "Call",
    "CallMix",
    "Direction",
    "Directory",
    "Parameter",
    "Passing",
    "PointerParameterError",
    "Remote",
    "RpcSemanticsWorld",
    "Signature",
    "Stub",
    "alias",
    "append",
    "apply_delta",
    "dynamic_proxy",
    "generated_proxy",
    "interface",
    "invert",
    "lookup",
    "run_local",
    "serve_dynamic",
    "serve_generated",
    "snapshot",
]
