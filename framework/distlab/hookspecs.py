"""The hooks a distlab plugin may implement (pluggy hookspecs).

A plugin is any module registered under the ``distlab`` entry-point group. It implements::

    from distlab import hookimpl

    @hookimpl
    def register_components(registry):
        registry.register("strategy", "my_strategy", MyParams, "my_pkg.strategy:MyStrategy",
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
def register_components(registry: Registrar) -> None:
    """Register this plugin's components (and, for a plugin that adds a study, its kinds and study).

    Args:
        registry: the registrar; see :class:`distlab.registry.Registrar` for its verbs
            ``register``, ``add_kind`` and ``add_study``.
    """
