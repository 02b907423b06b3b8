"""The hooks a distlab plugin may implement (pluggy hookspecs).

A plugin is any module registered under the ``distlab`` entry-point group. It implements::

    from distlab import hookimpl

    @hookimpl
    def register_components(registrar):
        registrar.register("KIND", "my_component", MyParams, "my_pkg.component:MyComponent",
                          doc="what it decides")

Registration must stay cheap: names, parameter dataclasses and ``"module:attr"`` factories only, no
numba kernels or heavy imports (they are imported when a case first uses the component).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from distlab.registry import Registrar

__all__ = ["hookimpl", "hookspec", "register_components"]

PROJECT = "distlab"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_components(registrar: Registrar) -> None:
    """Register this plugin's components (and, for a plugin that extends a study, its kinds, studies and
    benchmarks).

    Args:
        registrar: the registry as this plugin sees it (it records who registered what); see
            :class:`distlab.registry.Registrar` for its verbs ``register``, ``add_kind``, ``add_study``
            and ``add_benchmark``.
    """
