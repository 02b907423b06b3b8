"""The two ways a stub component can make the client's proxy and export the server's procedures.

Mechanism only (the choice between them is the ``stub`` kind's components'): the proxy and the export
generated from ``semantics.x`` by distlab's IDL compiler, and the reflective ones of
:mod:`distlab.oncrpc.dynamic` (no IDL). Imports happen on call, so that importing the study stays cheap.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from distlab.rpc_semantics.interface import interface

__all__ = ["dynamic_proxy", "generated_proxy", "serve_dynamic", "serve_generated"]


def generated_proxy(caller: Any) -> Any:
    """The generated ``SemanticsV1Client`` over ``caller`` (procedures called by number, the IDL's types)."""
    return interface().SemanticsV1Client(caller)


def serve_generated(server: Any, service: Any) -> None:
    """Serve ``SEMANTICS_V1`` on ``server`` with ``service``'s procedures by number."""
    server.add(interface().SEMANTICS_V1_PROGRAM, service.handlers())


def _classes() -> list[type]:
    return [v for v in vars(interface()).values() if isinstance(v, type) and dataclasses.is_dataclass(v)]


def dynamic_proxy(caller: Any) -> Any:
    """A :class:`~distlab.oncrpc.dynamic.DynamicProxy` over ``caller``; the interface's dataclasses known on both sides."""
    from distlab.oncrpc.dynamic import DynamicProxy

    return DynamicProxy(caller, classes=_classes())


def serve_dynamic(server: Any, service: Any) -> None:
    """Export ``service``'s procedures on ``server`` by name (``append_value``, ...), with no IDL."""
    from distlab.oncrpc.dynamic import export

    names = {proc.name.lower(): number for number, proc in interface().SEMANTICS_V1_PROGRAM.procedures.items()}
    handlers = service.handlers()
    exported: dict[str, Any] = {name: handlers[number] for name, number in names.items() if number in handlers}
    exported["sem_null"] = lambda: None  # the generated stub's NULL procedure, as a function
    server.add(*export(exported, classes=_classes()))
