"""distlab's built-in routing plugins: topologies, traffic and algorithms.

Registration is cheap: the parameter dataclasses live in ``params.py``; the implementations (which
import SciPy, topohub or networkx) are imported only when a case first uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distlab import hookimpl
from distlab_routing.params import (
    AbileneParams,
    AdaptiveDelayParams,
    ArpanetParams,
    AvgDelayParams,
    Cost266Params,
    DistanceVectorParams,
    EcmpParams,
    GabrielParams,
    GeantParams,
    Germany50Params,
    GravityParams,
    GridParams,
    HnSpfParams,
    HotspotParams,
    JanosUsParams,
    MinDelayParams,
    MinHopParams,
    NobelEuParams,
    NobelUsParams,
    OptimalParams,
    PolskaParams,
    RingParams,
    SndlibParams,
    TopohubParams,
    UniformParams,
    WaxmanParams,
)

if TYPE_CHECKING:
    from distlab import Registrar

__all__ = ["SHORTCUT_NAMES", "register_components"]

_P = "distlab_routing"

SHORTCUT_NAMES: dict[str, tuple[type, str]] = {
    "abilene": (AbileneParams, "SNDlib's Abilene (12 nodes, US research backbone)"),
    "geant": (GeantParams, "SNDlib's GEANT (22 nodes, European research backbone)"),
    "nobel_eu": (NobelEuParams, "SNDlib's Nobel-EU (28 nodes, pan-European)"),
    "nobel_us": (NobelUsParams, "SNDlib's Nobel-US (14 nodes, NSFNET-like)"),
    "germany50": (Germany50Params, "SNDlib's Germany50 (50 nodes)"),
    "polska": (PolskaParams, "SNDlib's Polska (12 nodes)"),
    "cost266": (Cost266Params, "SNDlib's COST266 (37 nodes, pan-European)"),
    "janos_us": (JanosUsParams, "SNDlib's Janos-US (26 nodes)"),
    "arpanet": (ArpanetParams, "the ARPANET of August 1972 (Topology Zoo, 29 nodes)"),
}
"""The shortcut topologies: their parameter class and what they are (their topohub keys are in distlab_routing.topologies)."""


@hookimpl
def register_components(registrar: Registrar) -> None:
    """Register the built-in topologies, traffic patterns and algorithms."""
    for name, (params, doc) in SHORTCUT_NAMES.items():
        registrar.register("topology", name, params, f"{_P}.shortcuts:{name}", doc=doc)
    registrar.register("topology", "topohub", TopohubParams, f"{_P}.topologies:Topohub",
                       doc="any topology embedded in topohub, by key (sndlib/..., topozoo/..., gabriel/N/V, ...)")
    registrar.register("topology", "ring", RingParams, f"{_P}.topologies:Ring", doc="a ring of equal links")
    registrar.register("topology", "mesh", GridParams, f"{_P}.topologies:Grid",
                       doc="a rectangular grid (registered as mesh: the core uses the word grid for plots)")
    registrar.register("topology", "waxman", WaxmanParams, f"{_P}.topologies:Waxman", doc="Waxman's random graph")
    registrar.register("topology", "gabriel", GabrielParams, f"{_P}.topologies:Gabriel",
                       doc="the Gabriel graph of random points (planar, backbone-like)")
    registrar.register("traffic", "uniform", UniformParams, f"{_P}.traffic:Uniform", doc="the same rate between all pairs")
    registrar.register("traffic", "gravity", GravityParams, f"{_P}.traffic:Gravity",
                       doc="rate proportional to the product of the end nodes' masses")
    registrar.register("traffic", "hotspot", HotspotParams, f"{_P}.traffic:Hotspot",
                       doc="a share of all traffic goes to a few hot nodes")
    registrar.register("traffic", "sndlib", SndlibParams, f"{_P}.traffic:Sndlib",
                       doc="the topology's own SNDlib demand matrix")
    algo = "algorithm"
    registrar.register(algo, "min_hop", MinHopParams, f"{_P}.static:MinHop", doc="fewest hops")
    registrar.register(algo, "min_delay", MinDelayParams, f"{_P}.static:MinDelay",
                       doc="least delay at no load (propagation + transmission), static")
    registrar.register(algo, "ecmp", EcmpParams, f"{_P}.static:Ecmp", doc="even split over equal-cost shortest paths")
    registrar.register(algo, "avg_delay", AvgDelayParams, f"{_P}.static:AvgDelay",
                       doc="least long-term average measured delay, updated slowly")
    registrar.register(algo, "adaptive_delay", AdaptiveDelayParams, f"{_P}.adaptive:AdaptiveDelay",
                       doc="D-SPF (ARPANET 1979): measured 10 s delay, routes recomputed at every update")
    registrar.register(algo, "hn_spf", HnSpfParams, f"{_P}.adaptive:HnSpf",
                       doc="HN-SPF (ARPANET 1987): bounded, damped utilisation-based cost")
    registrar.register(algo, "distance_vector", DistanceVectorParams, f"{_P}.distance_vector:DistanceVector",
                       doc="RIP-like Bellman-Ford by message exchange (split horizon, poisoned reverse)")
    registrar.register(algo, "optimal", OptimalParams, f"{_P}.optimal:Optimal",
                       doc="minimum mean delay by flow deviation (Frank-Wolfe): the lower bound")
