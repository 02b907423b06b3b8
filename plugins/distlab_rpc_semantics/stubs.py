"""Stubs: the client's proxy and the server's export, generated from the IDL or reflective (no IDL)."""

from __future__ import annotations

from typing import Any

from distlab.rpc_semantics import dynamic_proxy, generated_proxy, serve_dynamic, serve_generated
from distlab_rpc_semantics.params import DynamicParams, GeneratedParams

__all__ = ["Dynamic", "Generated"]


class Generated:
    """The stubs distlab's IDL compiler generates from ``semantics.x`` (typed client class, procedure numbers).

    Args:
        params: its parameters (none).
    """

    by_number = True

    def __init__(self, params: GeneratedParams | None = None) -> None:
        self.params = params or GeneratedParams()

    def client(self, caller: Any) -> Any:
        """The generated ``SemanticsV1Client``."""
        return generated_proxy(caller)

    def serve(self, server: Any, service: Any) -> None:
        """Serve ``SEMANTICS_V1`` with the service's procedures by number."""
        serve_generated(server, service)


class Dynamic:
    """A reflective proxy (:mod:`distlab.oncrpc.dynamic`): no IDL; every value carries its type tag and
    every call its procedure's name, as Java RMI's stubs do.

    Args:
        params: its parameters (none).
    """

    by_number = False

    def __init__(self, params: DynamicParams | None = None) -> None:
        self.params = params or DynamicParams()

    def client(self, caller: Any) -> Any:
        """A ``DynamicProxy`` over ``caller``."""
        return dynamic_proxy(caller)

    def serve(self, server: Any, service: Any) -> None:
        """Export the service's methods by name (``append_value``, ...)."""
        serve_dynamic(server, service)
