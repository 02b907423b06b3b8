"""The ONC RPC study: calls, servers and a binder for ONC RPC version 2 (RFC 5531, RFC 1833).

The public surface for users and plugins: the interface model (:class:`ProgramVersion`,
:class:`Procedure`, shared with the IDL compiler in :mod:`distlab.oncrpc.idl`), the synchronous
:class:`Client` and the asyncio :class:`AsyncClient`, the asyncio :class:`Server`, the
:class:`Binder` daemon and its client side (:func:`getport`, :func:`getaddr`, :func:`bind`),
credentials (:class:`AuthSys`, :class:`OpaqueAuth`) and the errors of a call, one per reply status
(their tree is drawn in :mod:`distlab.oncrpc.errors`). The message layout is in
:mod:`distlab.oncrpc.messages`, TCP record marking in :mod:`distlab.oncrpc.record`. Cheap to
import: nothing here imports numba, and the serializer is found through the registry on first use.
"""

from __future__ import annotations

from distlab.oncrpc.aclient import AsyncClient
from distlab.oncrpc.auth import AUTH_NONE, AUTH_SYS, NONE, AuthSys, OpaqueAuth
from distlab.oncrpc.binder import Binder
from distlab.oncrpc.client import Client
from distlab.oncrpc.codec import default_serializer
from distlab.oncrpc.errors import (
    AcceptedError,
    AuthError,
    BadReplyError,
    DeniedError,
    GarbageArgsError,
    ProcUnavailError,
    ProgMismatchError,
    ProgUnavailError,
    RecordError,
    ReplyError,
    RpcMismatchError,
    RpcTimeoutError,
    SystemErrError,
    TransportError,
)
from distlab.oncrpc.pmap import DEFAULT_PORT, bind, getaddr, getport
from distlab.oncrpc.program import Procedure, ProgramVersion
from distlab.oncrpc.server import CallInfo, Server, current_call
from distlab.oncrpc.world import OncrpcWorld
from distlab.rpc.errors import RpcError

__all__ = [
    "AUTH_NONE",
    "AUTH_SYS",
    "DEFAULT_PORT",
    "NONE",
    "AcceptedError",
    "AsyncClient",
    "AuthError",
    "AuthSys",
    "BadReplyError",
    "Binder",
    "CallInfo",
    "Client",
    "DeniedError",
    "GarbageArgsError",
    "OncrpcWorld",
    "OpaqueAuth",
    "ProcUnavailError",
    "Procedure",
    "ProgMismatchError",
    "ProgUnavailError",
    "ProgramVersion",
    "RecordError",
    "ReplyError",
    "RpcError",
    "RpcMismatchError",
    "RpcTimeoutError",
    "Server",
    "SystemErrError",
    "TransportError",
    "bind",
    "current_call",
    "default_serializer",
    "getaddr",
    "getport",
]
