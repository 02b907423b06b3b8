"""The plugin kinds of the routing study: topology, traffic and algorithm (contracts only; cheap to import).

A **topology** builds the network (nodes, links, lengths); the world turns lengths into propagation
delay and applies its capacity rule. A **traffic** component says how much each node sends to each
other node, and how that varies over time. An **algorithm** owns one decision procedure: which
arcs carry the traffic for each destination, given what it can observe of the network (the state of
the links and what it measured in the last epoch). The engine owns the queues, the clock, the
failures and the metrics.

All three are created fresh for every trial by their component's factory, from their parameters.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from distlab.routing.world import Network, RoutingWorld

__all__ = ["Algorithm", "EpochState", "SinglePath", "Topology", "Traffic"]

FloatArray = npt.NDArray[np.float64]
"""An array of float64 (rates, delays, shares)."""
IntArray = npt.NDArray[np.int64]
"""An array of int64 (arc ids)."""


@runtime_checkable
class Topology(Protocol):
    """Builds the network a trial routes over.

    Required:
        ``build(world, rng) -> Network``: the nodes, links and link lengths, made into a
        :class:`~distlab.routing.world.Network` with
        :func:`~distlab.routing.world.network_from_links` (which applies the world's capacity rule and
        propagation delay). A synthetic topology draws from its own ``seed`` parameter (so every trial
        sees the same graph) or from ``rng`` (the trial's), as it documents. A disconnected result is
        allowed: demand between its parts is reported as unserved.
    """

    def build(self, world: RoutingWorld, rng: np.random.Generator) -> Network:
        """Build the network."""


@runtime_checkable
class Traffic(Protocol):
    """How much each node sends to each other node, and how it varies over the epochs.

    Required:
        ``matrix(network, rng) -> ndarray``: a ``nodes x nodes`` matrix of non-negative rates (any unit:
        the engine scales it), zero on the diagonal.
        ``load``: an attribute, the utilisation of the busiest arc when the matrix is routed on
        fewest-hop paths; the engine scales the matrix to it (0 < load <= 10).

    Optional:
        ``pattern(times_s, rng) -> ndarray``: one factor per epoch start time (1.0: the scaled matrix);
        without it, demand is constant.
    """

    load: float

    def matrix(self, network: Network, rng: np.random.Generator) -> FloatArray:
        """The demand matrix, before scaling."""


@dataclasses.dataclass(frozen=True)
class EpochState:
    """What an algorithm may observe when it routes one epoch.

    Attributes:
        epoch: the epoch's index (0 first).
        time_s: the epoch's start time.
        network: the network (arcs, capacities, propagation delays).
        up: one boolean per arc: the arc is working in this epoch.
        demand_bps: the demand matrix of this epoch (bit/s); only ``optimal`` (the lower bound, which
            knows the future) and protocols modelling end-to-end measurement should look at it.
        delay_s: each arc's mean delay measured over the last epoch (propagation + queueing +
            transmission); the idle delay in the first epoch.
        utilization: each arc's utilisation over the last epoch (0 in the first epoch).
        idle_delay_s: each arc's delay with no load: propagation + one packet's transmission.
    """

    epoch: int
    time_s: float
    network: Network
    up: npt.NDArray[np.bool_]
    demand_bps: FloatArray
    delay_s: FloatArray
    utilization: FloatArray
    idle_delay_s: FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class SinglePath:
    """A single-path routing, given by its next arcs: what an algorithm may return instead of its split.

    It stands for the split with 1.0 on ``next_arc[d, u]`` for every (destination ``d``, node ``u``)
    (:func:`distlab.routing.paths.split_from_next_hop`), and is that split to NumPy
    (``np.asarray(routes)``). The engine routes it without building the ``nodes x arcs`` split, with
    kernels that give the same bits (:func:`distlab.routing.kernels.tree_flows`); that is the point:
    an epoch of a shortest-path algorithm then costs little more than its Dijkstra.

    Attributes:
        next_arc: ``[destination, node]`` the arc the node forwards on (its tail must be that node),
            or -1 for none (the traffic is dropped: no route).
        arcs: the network's number of arcs (the split's width).

    Examples:
        >>> import numpy as np
        >>> routes = SinglePath(np.array([[-1, 1], [0, -1]]), arcs=2)  # nodes 0 and 1, arcs 0->1 and 1->0
        >>> np.asarray(routes).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """

    next_arc: IntArray
    arcs: int

    @property
    def shape(self) -> tuple[int, int]:
        """The shape of the split it stands for: ``(nodes, arcs)``."""
        return (int(self.next_arc.shape[0]), int(self.arcs))

    def split(self) -> FloatArray:
        """The ``nodes x arcs`` split it stands for."""
        nxt = np.asarray(self.next_arc)
        split = np.zeros(self.shape, dtype=np.float64)
        d, u = np.nonzero(nxt >= 0)
        split[d, nxt[d, u]] = 1.0
        return split

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None) -> npt.NDArray[np.generic]:
        """The split (so that code written for splits, e.g. ``np.array(routes)``, keeps working)."""
        split = self.split()
        return split if dtype is None else split.astype(dtype)


@runtime_checkable
class Algorithm(Protocol):
    """Decides which arcs carry the traffic for each destination, epoch by epoch.

    Required:
        ``route(state) -> ndarray``: the *split* of this epoch, a ``nodes x arcs`` array whose entry
        ``[d, a]`` is the share of the traffic for destination ``d`` at arc ``a``'s tail that goes on
        arc ``a``. Each row's shares out of one node sum to at most 1 (the rest is dropped: no route);
        a single-path algorithm puts 1.0 on one arc per (destination, node)
        (:func:`distlab.routing.paths.split_from_next_hop`), or, much faster to route, returns those
        arcs as a :class:`SinglePath` (the same results to the bit). Shares on a down arc are lost. Traffic
        caught in a forwarding loop is dropped where the loop closes (its TTL would drop it). Called
        once per epoch, in order; the algorithm may keep state between calls.

    Optional:
        ``protocol_stats() -> (rounds, messages)``: for a distance-vector protocol, the exchange rounds
        until its tables last stopped changing after the last topology change, and the messages sent
        then (the study's ``convergence_rounds`` and ``messages``; 0 for algorithms without it).
    """

    def route(self, state: EpochState) -> FloatArray | SinglePath:
        """The split of this epoch."""
