"""Factories of the shortcut topologies (``topology=abilene`` and the rest): each makes a
:class:`~distlab_routing.topologies.Topohub` of its key."""

from __future__ import annotations

from typing import Any

from distlab_routing.topologies import SHORTCUTS, Topohub

__all__ = sorted(SHORTCUTS)


def _make(key: str) -> Any:
    def make(params: Any = None) -> Topohub:
        return Topohub(key=SHORTCUTS[key])

    make.__name__ = key
    make.__doc__ = f"The topology {SHORTCUTS[key]!r} from topohub."
    return make


abilene = _make("abilene")
arpanet = _make("arpanet")
cost266 = _make("cost266")
geant = _make("geant")
germany50 = _make("germany50")
janos_us = _make("janos_us")
nobel_eu = _make("nobel_eu")
nobel_us = _make("nobel_us")
polska = _make("polska")
