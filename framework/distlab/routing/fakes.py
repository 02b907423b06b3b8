"""Tiny fakes of the routing study's kinds, for tests and for plugin authors.

:class:`LineTopology` is a chain of nodes 100 km apart; :class:`EvenTraffic` sends the same rate
between every ordered pair; :class:`FewestHops` routes on fewest hops, recomputed every epoch.
Each is small enough to read at a glance and needs nothing but the public helpers, so a test of a
new algorithm can pair it with the fake topology and traffic without importing any plugin. Cheap to
import: no numba.

Examples:
    >>> from distlab.routing import EvenTraffic, FewestHops, LineTopology, LineTopologyParams
    >>> topology = LineTopology(LineTopologyParams(nodes=3))
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from distlab.params import param

if TYPE_CHECKING:
    from distlab.routing.kinds import EpochState, FloatArray, SinglePath
    from distlab.routing.world import Network, RoutingWorld

__all__ = ["EvenTraffic", "EvenTrafficParams", "FewestHops", "FewestHopsParams", "LineTopology", "LineTopologyParams"]


@dataclasses.dataclass(frozen=True)
class LineTopologyParams:
    """A chain of nodes."""

    nodes: int = param(3, "nodes in the chain", ge=2, le=4096)


class LineTopology:
    """Nodes ``0 - 1 - ... - n-1``, 100 km apart.

    Args:
        params: its parameters.
    """

    def __init__(self, params: LineTopologyParams | None = None) -> None:
        self.params = params or LineTopologyParams()

    def build(self, world: RoutingWorld, rng: np.random.Generator) -> Network:
        """The chain."""
        from distlab.routing.world import network_from_links

        n = self.params.nodes
        return network_from_links(f"line{n}", [f"n{i}" for i in range(n)], [(i, i + 1) for i in range(n - 1)],
                                  [100.0] * (n - 1), world)


@dataclasses.dataclass(frozen=True)
class EvenTrafficParams:
    """The same rate between every ordered pair."""

    load: float = param(0.5, "utilisation of the busiest link under fewest-hop routing", gt=0.0, le=10.0)


class EvenTraffic:
    """Every node sends to every other at one rate (the engine scales it to ``load``).

    Args:
        params: its parameters.
    """

    def __init__(self, params: EvenTrafficParams | None = None) -> None:
        self.params = params or EvenTrafficParams()
        self.load = self.params.load

    def matrix(self, network: Network, rng: np.random.Generator) -> FloatArray:
        """Ones off the diagonal."""
        n = network.nodes
        return np.ones((n, n)) - np.eye(n)


@dataclasses.dataclass(frozen=True)
class FewestHopsParams:
    """No parameters."""


class FewestHops:
    """Fewest-hop routing over the working links, recomputed every epoch.

    Args:
        params: its parameters.
    """

    def __init__(self, params: FewestHopsParams | None = None) -> None:
        self.params = params or FewestHopsParams()

    def route(self, state: EpochState) -> SinglePath:
        """Fewest-hop paths of this epoch, as next arcs (the engine routes them without a split)."""
        from distlab.routing.kinds import SinglePath
        from distlab.routing.paths import next_hops

        _, nxt = next_hops(state.network, np.ones(state.network.arcs), state.up)
        return SinglePath(nxt, state.network.arcs)
