"""The routing study: a network of queues, demands between its nodes, and the algorithms that route them.

The public surface for plugin authors: everything a topology, a traffic pattern or a routing
algorithm needs is importable from here (``from distlab.routing import EpochState, next_hops``).
Importing this package is cheap: the engine and the names whose modules load Numba kernels or SciPy
are imported on first use, so a plugin's registration module may import from here freely. The
contract checks of the study's kinds are in the submodule :mod:`distlab.routing.testing`, for tests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from distlab.routing.errors import UnknownTopologyError
from distlab.routing.fakes import (
    EvenTraffic,
    EvenTrafficParams,
    FewestHops,
    FewestHopsParams,
    LineTopology,
    LineTopologyParams,
)
from distlab.routing.kinds import Algorithm, EpochState, SinglePath, Topology, Traffic
from distlab.routing.world import MAX_NODES, Network, RoutingWorld, haversine_km, network_from_links

if TYPE_CHECKING:
    from distlab.routing.engine import MAX_LOAD, Simulation, fewest_hop_loads, run_trial, scaled_demand, simulate
    from distlab.routing.paths import best_arcs, ecmp_split, next_hops, split_from_next_hop, tail_incidence
    from distlab.routing.kernels import flows
    from distlab.routing.queueing import arc_delay

__all__ = [
    "MAX_LOAD",
    "MAX_NODES",
    "Algorithm",
    "EpochState",
    "EvenTraffic",
    "EvenTrafficParams",
    "FewestHops",
    "FewestHopsParams",
    "LineTopology",
    "LineTopologyParams",
    "Network",
    "RoutingWorld",
    "Simulation",
    "SinglePath",
    "Topology",
    "Traffic",
    "UnknownTopologyError",
    "arc_delay",
    "best_arcs",
    "ecmp_split",
    "fewest_hop_loads",
    "flows",
    "haversine_km",
    "network_from_links",
    "next_hops",
    "run_trial",
    "scaled_demand",
    "simulate",
    "split_from_next_hop",
    "tail_incidence",
]

# Names whose modules import scipy or numba: loaded when first asked for (PEP 562), not with the package.
_LAZY = {
    "MAX_LOAD": "distlab.routing.engine",
    "Simulation": "distlab.routing.engine",
    "fewest_hop_loads": "distlab.routing.engine",
    "run_trial": "distlab.routing.engine",
    "scaled_demand": "distlab.routing.engine",
    "simulate": "distlab.routing.engine",
    "best_arcs": "distlab.routing.paths",
    "ecmp_split": "distlab.routing.paths",
    "next_hops": "distlab.routing.paths",
    "split_from_next_hop": "distlab.routing.paths",
    "tail_incidence": "distlab.routing.paths",
    "arc_delay": "distlab.routing.queueing",
    "flows": "distlab.routing.kernels",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'distlab.routing' has no attribute {name!r}")
