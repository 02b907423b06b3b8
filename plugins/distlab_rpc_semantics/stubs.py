"""Stubs: the client's proxy and the server's export, generated from the IDL or reflective (no IDL)."""

from __future__ import annotations

import dataclasses
from typing import Any

from distlab.oncrpc.server import Server
from distlab.rpc_semantics import interface
from distlab.rpc_semantics.service import SemanticsService
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
        return interface().SemanticsV1Client(caller)

    def serve(self, server: Server, service: SemanticsService) -> None:
        """Serve ``SEMANTICS_V1`` with the service's procedures by number."""
        server.add(interface().SEMANTICS_V1_PROGRAM, service.handlers())


def _classes() -> list[type]:
    api = interface()
    return [v for v in vars(api).values() if isinstance(v, type) and dataclasses.is_dataclass(v)]


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
        """A ``DynamicProxy`` over ``caller``; the interface's dataclasses are known on both sides."""
        from distlab.oncrpc.dynamic import DynamicProxy

        return DynamicProxy(caller, classes=_classes())

    def serve(self, server: Server, service: SemanticsService) -> None:
        """Export the service's methods by name (``append_value``, ...)."""
        from distlab.oncrpc.dynamic import export

        api = interface()
        names = {proc.name.lower(): number for number, proc in api.SEMANTICS_V1_PROGRAM.procedures.items()}
        handlers = service.handlers()
        exported: dict[str, Any] = {name: handlers[number] for name, number in names.items() if number in handlers}
        exported["sem_null"] = lambda: None  # the generated stub's NULL procedure, as a function
        server.add(*export(exported, classes=_classes()))
