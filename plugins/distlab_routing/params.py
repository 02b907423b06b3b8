"""The parameters of the built-in routing components (cheap to import: registration reads them)."""

from __future__ import annotations

import dataclasses

from distlab import param

__all__ = [
    "AbileneParams",
    "AdaptiveDelayParams",
    "ArpanetParams",
    "AvgDelayParams",
    "Cost266Params",
    "DistanceVectorParams",
    "EcmpParams",
    "GabrielParams",
    "GeantParams",
    "Germany50Params",
    "GravityParams",
    "GridParams",
    "HnSpfParams",
    "HotspotParams",
    "JanosUsParams",
    "MinDelayParams",
    "MinHopParams",
    "NobelEuParams",
    "NobelUsParams",
    "OptimalParams",
    "PolskaParams",
    "RealParams",
    "RingParams",
    "SndlibParams",
    "TopohubParams",
    "UniformParams",
    "WaxmanParams",
]

_SIDE = param(2000.0, "side of the square the nodes are placed in, km", gt=0.0, le=40_000.0)
_SEED = param(0, "seed of the topology (the same graph in every trial)", ge=0, lt=2**63)


# -- topologies -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RealParams:
    """A real topology from topohub's embedded data (no parameters: its name says which)."""


@dataclasses.dataclass(frozen=True)
class AbileneParams(RealParams):
    """The shortcut topology ``abilene`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class GeantParams(RealParams):
    """The shortcut topology ``geant`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class NobelEuParams(RealParams):
    """The shortcut topology ``nobel_eu`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class NobelUsParams(RealParams):
    """The shortcut topology ``nobel_us`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class Germany50Params(RealParams):
    """The shortcut topology ``germany50`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class PolskaParams(RealParams):
    """The shortcut topology ``polska`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class Cost266Params(RealParams):
    """The shortcut topology ``cost266`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class JanosUsParams(RealParams):
    """The shortcut topology ``janos_us`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class ArpanetParams(RealParams):
    """The shortcut topology ``arpanet`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class TopohubParams:
    """Any topohub key."""

    key: str = param("sndlib/abilene", "a topohub key: sndlib/NAME, topozoo/NAME, gabriel/NODES/VARIANT, backbone/NAME")


@dataclasses.dataclass(frozen=True)
class RingParams:
    """A ring."""

    nodes: int = param(8, "nodes", ge=3, le=4096)
    length_km: float = param(500.0, "length of each link", gt=0.0, le=40_000.0)


@dataclasses.dataclass(frozen=True)
class GridParams:
    """A rectangular grid (a mesh)."""

    rows: int = param(4, "rows", ge=1, le=64)
    cols: int = param(4, "columns", ge=2, le=64)
    length_km: float = param(500.0, "length of each link", gt=0.0, le=40_000.0)


@dataclasses.dataclass(frozen=True)
class WaxmanParams:
    """Waxman's random graph (B. M. Waxman, IEEE JSAC 6(9), 1988): link u-v with probability
    beta * exp(-d / (alpha * L)), L the largest distance."""

    nodes: int = param(30, "nodes", ge=2, le=4096)
    alpha: float = param(0.4, "reach of a link, as a share of the largest distance", gt=0.0, le=1.0)
    beta: float = param(0.4, "link density", gt=0.0, le=1.0)
    side_km: float = _SIDE
    seed: int = _SEED


@dataclasses.dataclass(frozen=True)
class GabrielParams:
    """The Gabriel graph of random points (Gabriel & Sokal, Systematic Zoology 18, 1969): u-v linked iff
    no other point lies in the circle with u-v as diameter; planar and connected, like a backbone."""

    nodes: int = param(30, "nodes", ge=3, le=4096)
    side_km: float = _SIDE
    seed: int = _SEED


# -- traffic ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Pattern:
    load: float = param(0.5, "utilisation of the busiest link under fewest-hop routing", gt=0.0, le=10.0)
    pattern: str = param("constant", "how demand varies: constant; step (x step_factor from step_at_s); diurnal "
                         "(1 + amplitude sin(2 pi t / period_s)); random_walk (a lognormal walk of step walk_sigma, "
                         "kept within [1/4, 4])", choices=("constant", "step", "diurnal", "random_walk"))
    step_at_s: float = param(300.0, "step: when demand changes", ge=0.0, le=1e9)
    step_factor: float = param(1.5, "step: the factor after the step", ge=0.0, le=10.0)
    period_s: float = param(600.0, "diurnal: the period", gt=0.0, le=1e9)
    amplitude: float = param(0.3, "diurnal: relative swing", ge=0.0, le=1.0)
    walk_sigma: float = param(0.05, "random_walk: standard deviation of the log step per epoch", ge=0.0, le=1.0)


@dataclasses.dataclass(frozen=True)
class UniformParams(_Pattern):
    """The same rate between every ordered pair."""


@dataclasses.dataclass(frozen=True)
class GravityParams(_Pattern):
    """Gravity model: rate(s, d) proportional to mass(s) x mass(d)."""

    mass: str = param("degree", "a node's mass: its degree, or random (lognormal, from the trial's seed)",
                      choices=("degree", "random"))


@dataclasses.dataclass(frozen=True)
class HotspotParams(_Pattern):
    """A few nodes draw a large share of all traffic (servers, a data centre)."""

    hotspots: int = param(1, "hot nodes (the highest-degree ones)", ge=1, le=4096)
    share: float = param(0.5, "share of all traffic sent to them", ge=0.0, le=1.0)


@dataclasses.dataclass(frozen=True)
class SndlibParams(_Pattern):
    """The topology's own SNDlib demand matrix (sndlib/* topologies only)."""


# -- algorithms -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class MinHopParams:
    """No parameters."""


@dataclasses.dataclass(frozen=True)
class MinDelayParams:
    """No parameters."""


@dataclasses.dataclass(frozen=True)
class EcmpParams:
    """Equal-cost multipath."""

    metric: str = param("hops", "the cost of a link: hops, or its propagation delay", choices=("hops", "delay"))


@dataclasses.dataclass(frozen=True)
class AvgDelayParams:
    """Routes on a long-term average of measured delay."""

    alpha: float = param(0.05, "weight of the newest epoch in the moving average", gt=0.0, le=1.0)
    update_epochs: int = param(6, "epochs between route computations", ge=1, le=10_000)


@dataclasses.dataclass(frozen=True)
class AdaptiveDelayParams:
    """D-SPF, the ARPANET's 1979 delay metric."""

    threshold_ms: float = param(64.0, "change in a link's delay that triggers an update at once", ge=0.0, le=1e6)
    decay_ms_per_s: float = param(1.28, "the threshold falls by this per second since the last update "
                                  "(64 ms to 0 in 50 s)", ge=0.0, le=1e6)


@dataclasses.dataclass(frozen=True)
class HnSpfParams:
    """HN-SPF, the ARPANET's 1987 revised metric."""

    knee: float = param(0.5, "utilisation up to which the cost stays at the idle cost", ge=0.0, lt=1.0)
    full: float = param(0.9, "utilisation at which the cost reaches its ceiling", gt=0.0, le=1.0)
    ceiling: float = param(3.0, "the most a link may cost, in units of its idle cost", ge=1.0, le=10.0)
    max_up: float = param(0.5, "largest rise of a cost per update, in hops (the cheapest idle cost)", gt=0.0, le=100.0)
    max_down: float = param(0.5, "largest fall of a cost per update, in hops", gt=0.0, le=100.0)
    min_change: float = param(0.1, "smaller changes are not reported, in hops", ge=0.0, le=100.0)


@dataclasses.dataclass(frozen=True)
class DistanceVectorParams:
    """Distance vector (Bellman-Ford by message exchange), RIP-like."""

    split_horizon: bool = param(False, "do not advertise a route to the neighbour it goes through")
    poisoned_reverse: bool = param(False, "advertise it as unreachable (infinity) instead (implies split horizon)")
    infinity: int = param(16, "the hop count that means unreachable", ge=2, le=255)
    rounds_per_epoch: int = param(5, "exchange rounds per epoch", ge=1, le=1000)
    timeout_rounds: int = param(6, "rounds a route lives without being refreshed by its next hop (RIP: 180 s "
                                "of 30 s updates)", ge=1, le=1000)


@dataclasses.dataclass(frozen=True)
class OptimalParams:
    """Minimum mean delay routing by flow deviation (Frank-Wolfe)."""

    iterations: int = param(300, "flow deviation iterations per epoch", ge=1, le=100_000)
    tolerance: float = param(1e-6, "stop when the duality gap is below this share of the objective", ge=0.0, le=1.0)
