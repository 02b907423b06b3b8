"""The ONC RPC study: interfaces, calls and a binder for ONC RPC version 2 (RFC 5531, RFC 1833)."""

from __future__ import annotations

from distlab.oncrpc.program import Procedure, ProgramVersion

__all__ = ["Procedure", "ProgramVersion"]
