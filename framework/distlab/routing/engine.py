"""The routing engine: epoch by epoch, route the demands, load the arcs, queue, and measure.

One epoch (:meth:`Simulation.step`): the algorithm returns its split (:class:`~distlab.routing.kinds.Algorithm`);
:func:`distlab.routing.kernels.flows` routes every destination's demand over it and sums the arc
loads; :func:`distlab.routing.queueing.arc_delay` turns loads into each arc's delay and loss;
:func:`distlab.routing.kernels.pair_stats` reads back each pair's mean delay (propagation + queueing +
transmission, averaged over the split's paths) and hop count. A single-path algorithm may return its
next arcs instead (:class:`~distlab.routing.kinds.SinglePath`); the ``tree_`` kernels then do the same
two walks in O(nodes^2) without a ``nodes x arcs`` split, with bit-identical results. What the
algorithm observes in the next epoch is what this one measured (each arc's mean delay and
utilisation): the feedback loop of every adaptive scheme, and of the 1979 ARPANET's oscillation.

Demand that is not carried is counted, never hidden: demand with no route (a disconnected network, a
failed link, a forwarding loop) and the share lost at overloaded queues both go to ``unserved_fraction``.
Losses at a queue are charged to the offered rate and do not thin the traffic downstream (a fluid
approximation that slightly overstates downstream load at overload).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from distlab.errors import ConfigError
from distlab.routing.kinds import Algorithm, EpochState, SinglePath, Topology, Traffic
from distlab.routing.paths import next_hops, tail_incidence
from distlab.routing.queueing import arc_delay
from distlab.routing.world import Network, RoutingWorld
from distlab.study import TrialResult

__all__ = ["CHANGE_SHARE", "MAX_LOAD", "Simulation", "check_case", "fewest_hop_loads", "run_trial", "scaled_demand",
           "simulate"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_LOAD = 10.0
"""The largest ``load`` a traffic component may ask for (the busiest fewest-hop arc at 10x capacity)."""
CHANGE_SHARE = 0.05
"""A (node, destination) counts as a route change when more than this share of its traffic moves."""


def fewest_hop_loads(network: Network, demand: FloatArray) -> FloatArray:
    """Each arc's load when ``demand`` follows fewest-hop paths (all arcs up; ties as Dijkstra breaks them)."""
    from distlab.routing import kernels

    _, nxt = next_hops(network, np.ones(network.arcs))
    # The tree kernel gives the bits flows gives on split_from_next_hop(network, nxt), without the split.
    load, _, _ = kernels.tree_flows(nxt, demand, network.head)
    return np.asarray(load, dtype=np.float64)


def scaled_demand(network: Network, traffic: Traffic, rng: np.random.Generator) -> FloatArray:
    """The traffic's matrix, scaled so that the busiest arc under fewest-hop routing runs at ``traffic.load``.

    Raises:
        ConfigError: a load outside (0, 10], or a matrix that is negative, not square or not finite.
    """
    load = float(traffic.load)
    if not 0.0 < load <= MAX_LOAD:
        raise ConfigError(f"traffic load {load!r} is outside (0, {MAX_LOAD:g}]: it is the utilisation of the busiest "
                          "link under fewest-hop routing")
    base = np.array(traffic.matrix(network, rng), dtype=np.float64)
    n = network.nodes
    if base.shape != (n, n) or not np.all(np.isfinite(base)) or np.any(base < 0):
        raise ConfigError(f"the traffic matrix must be a finite non-negative {n} x {n} array; got shape {base.shape}")
    np.fill_diagonal(base, 0.0)
    util = fewest_hop_loads(network, base) / network.capacity_bps
    peak = float(util.max()) if util.size else 0.0
    return base * (load / peak) if peak > 0 else base


@dataclasses.dataclass
class Simulation:
    """One trial in progress: the network, the demand and what was measured so far.

    Args:
        world: the world's parameters.
        network: the built network.
        demand_bps: the scaled demand matrix (factor 1.0 of the pattern).
        pattern: one demand factor per epoch.
        algorithm: the routing algorithm.
    """

    world: RoutingWorld
    network: Network
    demand_bps: FloatArray
    pattern: FloatArray
    algorithm: Algorithm
    rows: list[dict[str, float]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        net = self.network
        self._incidence = tail_incidence(net)
        self._packet_bits = self.world.packet_bytes * 8.0
        idle, _ = arc_delay(np.zeros(net.arcs), net.capacity_bps, net.prop_s, self._packet_bits, self.world.queue,
                            self.world.buffer_packets)
        self._delay = idle
        self._idle = idle
        self._util = np.zeros(net.arcs)
        self._prev: FloatArray | IntArray | None = None  # last epoch's split, or next arcs
        self.hist = np.zeros(0)
        self.totals = dict.fromkeys(("offered", "delivered", "unserved", "delay_sum", "hop_sum", "util_sum",
                                     "max_util_sum", "changes"), 0.0)

    def up_at(self, time_s: float) -> npt.NDArray[np.bool_]:
        """The working arcs at ``time_s`` (the world's failure event)."""
        up = np.ones(self.network.arcs, dtype=bool)
        w = self.world
        if w.fail_link >= 0 and time_s >= w.fail_at_s and not (0 <= w.restore_at_s <= time_s):
            up[2 * w.fail_link: 2 * w.fail_link + 2] = False
        return up

    def step(self, epoch: int) -> dict[str, float]:
        """Simulate one epoch and return its trace row."""
        from distlab.routing import kernels

        net, world = self.network, self.world
        t = epoch * world.epoch_s
        up = self.up_at(t)
        demand = self.demand_bps * float(self.pattern[epoch])
        state = EpochState(epoch=epoch, time_s=t, network=net, up=up, demand_bps=demand, delay_s=self._delay.copy(),
                           utilization=self._util.copy(), idle_delay_s=self._idle)
        routes = self.algorithm.route(state)
        current: FloatArray | IntArray
        if isinstance(routes, SinglePath):
            current = self._next_arcs(routes, up)
            load, order, dropped = kernels.tree_flows(current, demand, net.head)
        else:
            current = np.array(routes, dtype=np.float64)
            if current.shape != (net.nodes, net.arcs):
                raise ValueError(f"the algorithm returned a split of shape {current.shape}; expected "
                                 f"{(net.nodes, net.arcs)}")
            current[:, ~up] = 0.0  # traffic sent onto a failed link is lost (counted by flows as dropped)
            load, order, dropped = kernels.flows(current, demand, net.tail, net.head, net.arc_ptr, net.arc_order,
                                                 np.zeros((0, 0)))
        delay, loss = arc_delay(load, net.capacity_bps, net.prop_s, self._packet_bits, world.queue,
                                world.buffer_packets)
        if isinstance(routes, SinglePath):
            delivered, delay_sum, hop_sum, hist = kernels.tree_pair_stats(current, demand, net.head, order, delay)
        else:
            delivered, delay_sum, hop_sum, hist = kernels.pair_stats(current, demand, net.head, net.arc_ptr,
                                                                     net.arc_order, order, delay)
        offered = float(demand.sum())
        unserved = min(offered, float(dropped) + float(np.dot(load, loss)))
        util = np.where(up, load / net.capacity_bps, 0.0)
        changes = 0.0
        if self._prev is not None:
            changes = self._route_changes(self._prev, current)
        self._prev = current
        # What the algorithm observes next epoch; a failed arc reports its idle delay (nothing measured).
        self._delay = np.where(up, delay, self._idle)
        self._util = util
        self.hist = hist if not self.hist.size else self.hist + hist
        max_util = float(util.max()) if util.size else 0.0
        tot = self.totals
        for key, value in (("offered", offered), ("delivered", float(delivered)), ("unserved", unserved),
                           ("delay_sum", float(delay_sum)), ("hop_sum", float(hop_sum)),
                           ("util_sum", float(util[up].mean()) if up.any() else 0.0), ("max_util_sum", max_util),
                           ("changes", changes)):
            tot[key] += value
        row = {"epoch": float(epoch), "time_s": t,
               "mean_delay_ms": float(delay_sum / delivered * 1e3) if delivered > 0 else float("nan"),
               "max_utilization": max_util, "route_changes": changes,
               "unserved_fraction": unserved / offered if offered > 0 else 0.0}
        self.rows.append(row)
        return row

    def _next_arcs(self, routes: SinglePath, up: npt.NDArray[np.bool_]) -> IntArray:
        """The routes' next arcs, checked, as int64, with the down arcs' entries -1 (a copy)."""
        from distlab.routing import kernels

        net = self.network
        nxt = np.asarray(routes.next_arc)
        if nxt.shape != (net.nodes, net.nodes) or routes.arcs != net.arcs or not np.issubdtype(nxt.dtype, np.integer):
            raise ValueError(f"the algorithm returned next arcs of shape {nxt.shape} and dtype {nxt.dtype} for "
                             f"{routes.arcs} arcs; expected integers of shape {(net.nodes, net.nodes)} for {net.arcs}")
        masked, bad = kernels.mask_next_arcs(nxt.astype(np.int64, copy=False), net.tail, up)
        if bad >= 0:
            d, u = divmod(int(bad), net.nodes)
            raise ValueError(f"the algorithm's next arc for destination {d} at node {u} is {int(nxt[d, u])}, "
                             f"not an arc out of node {u}")
        return np.asarray(masked, dtype=np.int64)

    def _route_changes(self, prev: FloatArray | IntArray, current: FloatArray | IntArray) -> float:
        """How many (node, destination) moved more than :data:`CHANGE_SHARE` of their traffic since last epoch.

        Two single-path epochs compare next arcs: a changed arc moves a share of 1 or 2 (more than
        ``2 * CHANGE_SHARE``), an unchanged one 0, so the count is the one the splits would give.
        """
        if prev.dtype == np.int64 and current.dtype == np.int64:
            return float(np.count_nonzero(prev != current))
        arcs = self.network.arcs
        old, new = (SinglePath(np.asarray(x, dtype=np.int64), arcs).split() if x.dtype == np.int64 else x
                    for x in (prev, current))
        moved = np.asarray(np.abs(new - old) @ self._incidence)  # [d, u]: L1 change of the shares
        return float(np.count_nonzero(moved > 2 * CHANGE_SHARE))

    def metrics(self) -> dict[str, Any]:
        """The trial's metrics (see :data:`distlab.routing.study.METRICS`)."""
        from distlab.routing import kernels

        tot, epochs = self.totals, max(len(self.rows), 1)
        delivered = tot["delivered"]

        def quantile(q: float) -> float:
            if delivered <= 0 or not self.hist.size:
                return float("nan")
            cum = np.cumsum(self.hist)
            b = int(np.searchsorted(cum, q * cum[-1]))
            return float(10 ** (kernels.HIST_LO + (b + 1) * kernels.HIST_STEP))  # the bin's upper edge

        stats = getattr(self.algorithm, "protocol_stats", None)
        rounds, messages = stats() if stats is not None else (0, 0)
        return {
            "mean_delay_ms": tot["delay_sum"] / delivered * 1e3 if delivered > 0 else float("nan"),
            "p95_delay_ms": quantile(0.95),
            "p99_delay_ms": quantile(0.99),
            "mean_hops": tot["hop_sum"] / delivered if delivered > 0 else float("nan"),
            "max_utilization": tot["max_util_sum"] / epochs,
            "mean_utilization": tot["util_sum"] / epochs,
            "unserved_fraction": tot["unserved"] / tot["offered"] if tot["offered"] > 0 else 0.0,
            "route_changes": tot["changes"] / max(epochs - 1, 1),
            "convergence_rounds": int(rounds),
            "messages": int(messages),
        }


def _pattern(world: RoutingWorld, traffic: Traffic, rng: np.random.Generator) -> FloatArray:
    times = np.arange(world.epochs) * world.epoch_s
    pattern = getattr(traffic, "pattern", None)
    if pattern is None:
        return np.ones(world.epochs)
    factors = np.asarray(pattern(times, rng), dtype=np.float64)
    if factors.shape != (world.epochs,) or not np.all(np.isfinite(factors)) or np.any(factors < 0):
        raise ConfigError(f"the traffic pattern must give {world.epochs} finite non-negative factors")
    return factors


def simulate(world: RoutingWorld, topology: Topology, traffic: Traffic, algorithm: Algorithm, seed: int) -> Simulation:
    """Run one trial and return the finished :class:`Simulation` (its ``rows`` are the trace).

    The topology, the demand matrix and its pattern draw from independent streams of the trial's seed,
    so every algorithm of a case meets the same network and demand.
    """
    topo_rng, traffic_rng, pattern_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    network = topology.build(world, topo_rng)
    _check_network(world, network)
    demand = scaled_demand(network, traffic, traffic_rng)
    sim = Simulation(world, network, demand, _pattern(world, traffic, pattern_rng), algorithm)
    for epoch in range(world.epochs):
        sim.step(epoch)
    return sim


def _check_network(world: RoutingWorld, network: Network) -> None:
    if np.any(network.capacity_bps <= 0) or not np.all(np.isfinite(network.capacity_bps)):
        raise ConfigError(f"topology {network.name!r} has a link of zero, negative or non-finite capacity")
    if world.fail_link >= network.links:
        raise ConfigError(f"world.fail_link={world.fail_link} but topology {network.name!r} has {network.links} links "
                          f"(0 to {network.links - 1}, or -1 for none)")


def run_trial(world: RoutingWorld, components: Mapping[str, Any], seed: int) -> TrialResult:
    """The routing study's runner: ``components`` holds a created ``topology``, ``traffic`` and ``algorithm``."""
    import polars as pl

    sim = simulate(world, components["topology"], components["traffic"], components["algorithm"], seed)
    return TrialResult(sim.metrics(), pl.DataFrame(sim.rows).with_columns(pl.col("epoch").cast(pl.Int64)))


def check_case(world: RoutingWorld, components: Mapping[str, Any]) -> None:
    """Preflight's check of a case: the topology builds, fits the world, and the load is in range.

    Raises:
        ConfigError: an unknown or unbuildable topology, a failed link index past its links, zero
            capacity, or a load outside (0, 10].
    """
    traffic = components["traffic"]
    load = float(getattr(traffic, "load", 1.0))
    if not 0.0 < load <= MAX_LOAD:
        raise ConfigError(f"traffic.load={load!r} is outside (0, {MAX_LOAD:g}]")
    network = components["topology"].build(world, np.random.default_rng(0))
    _check_network(world, network)
    scaled_demand(network, traffic, np.random.default_rng(0))  # a traffic that needs what the topology lacks
