"""The errors of the rpc_semantics study.

::

    DistlabError
    ├── ConfigError
    │   └── PointerParameterError   a passing mode refuses a parameter when the stub is built (forbid)
    └── RpcError
        └── BindingError            no server could be found for the call (binder lookup failed)
"""

from __future__ import annotations

from distlab.errors import ConfigError
from distlab.rpc.errors import RpcError

__all__ = ["BindingError", "PointerParameterError"]


class PointerParameterError(ConfigError):
    """A parameter cannot cross the wire the way the passing mode allows (``passing=forbid`` and a pointer)."""


class BindingError(RpcError):
    """The binding policy found no address for the server (the binder knows no such program)."""
