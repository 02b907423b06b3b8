"""The study's C peer: semantics.x served by rpcgen's stubs and libtirpc, natively or big-endian (s390x under qemu-user).

See :mod:`distlab.rpc_semantics.cpeer.build` for how it is built, where the s390x libraries come
from, and how it is started.
"""

from __future__ import annotations

from distlab.rpc_semantics.cpeer.build import (
    ARCHES,
    DEFAULT_SYSROOT,
    IDL,
    Peer,
    ToolchainMissing,
    build,
    missing,
    serve,
)

__all__ = ["ARCHES", "DEFAULT_SYSROOT", "IDL", "Peer", "ToolchainMissing", "build", "missing", "serve"]
