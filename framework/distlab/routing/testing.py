"""Contract checks of the routing study's kinds: run a topology, a traffic or an algorithm through them.

The kinds declare these checks (:attr:`distlab.component.Kind.check`), so
:func:`distlab.testing.check_component` runs them too. Each takes a component in any of the forms
of :func:`distlab.testing.make_factory` and raises :class:`AssertionError` saying what broke::

    from distlab.routing.testing import check_algorithm
    from my_plugin.component import MyAlgorithm, MyParams

    def test_contract():
        check_algorithm(MyAlgorithm, MyParams())

The contracts (the kinds' Protocol docstrings say them in full):

- **algorithm** (:func:`check_algorithm`): on a ring with a chord, at light and heavy load, with a
  link failing half-way, every split has the right shape, shares in [0, 1] summing to at most 1 per
  (destination, node); flow is conserved at every node for every destination
  (:func:`conservation_error`); and the same seed gives the same metrics twice.
- **topology** (:func:`check_topology`): builds a network with consistent arcs, positive capacities
  and lengths, the same one twice from the same seed.
- **traffic** (:func:`check_traffic`): a finite non-negative square matrix with a zero diagonal,
  ``load`` in (0, 10], a pattern (if any) of one finite non-negative factor per epoch; same seed,
  same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from distlab.routing.world import Network, RoutingWorld, network_from_links
from distlab.testing import make_factory

__all__ = ["check_algorithm", "check_topology", "check_traffic", "conservation_error", "small_network", "small_world"]


def small_world(**overrides: Any) -> RoutingWorld:
    """The world the checks run in: 12 epochs of 10 s, T1-like 1.544 Mbit/s links.

    Examples:
        >>> small_world(epochs=3).epochs
        3
    """
    return RoutingWorld(**{"epochs": 12, "capacity_mbit_s": 1.544, **overrides})


def small_network(world: RoutingWorld | None = None) -> Network:
    """A ring of six nodes with one chord (0-3), links 100 to 600 km long: two paths for most pairs."""
    links = [(i, (i + 1) % 6) for i in range(6)] + [(0, 3)]
    return network_from_links("ring6+chord", [f"r{i}" for i in range(6)], links,
                              [100.0 * (i + 1) for i in range(7)], world or small_world())


class _Fixed:
    def __init__(self, network: Network) -> None:
        self.network = network

    def build(self, world: RoutingWorld, rng: np.random.Generator) -> Network:
        return self.network


class _Gravity:
    def __init__(self, load: float) -> None:
        self.load = load

    def matrix(self, network: Network, rng: np.random.Generator) -> Any:
        mass = rng.uniform(0.5, 1.5, network.nodes)
        m = np.outer(mass, mass)
        np.fill_diagonal(m, 0.0)
        return m


def conservation_error(network: Network, split: Any, demand: Any) -> float:
    """How far the routed flow is from conserved, relative to the total demand (0: conserved).

    For every destination ``d`` and node ``u`` it routes the demand (:func:`distlab.routing.kernels.flows`)
    and takes ``through = inflow + demand[u, d]``. Flow is conserved when: no node sends more than
    passes through it; every arc out of a node that is not dropped carries exactly ``through`` times
    its share; and what passes through but is not sent on, summed, is what the kernel reports dropped.

    Args:
        network: the network.
        split: a ``nodes x arcs`` split.
        demand: a ``nodes x nodes`` demand.

    Returns:
        The largest violation, over nodes, arcs and destinations, divided by the total demand.
    """
    from distlab.routing import kernels

    n = network.nodes
    split = np.asarray(split, dtype=np.float64)
    demand = np.asarray(demand, dtype=np.float64)
    per_dest = np.zeros((n, network.arcs))
    _, order, dropped = kernels.flows(split, demand, network.tail, network.head, network.arc_ptr,
                                      network.arc_order, per_dest)
    inflow = np.zeros((n, n))
    outflow = np.zeros((n, n))
    for a in range(network.arcs):
        inflow[:, network.head[a]] += per_dest[:, a]
        outflow[:, network.tail[a]] += per_dest[:, a]
    worst = 0.0
    gaps = 0.0
    for d in range(n):
        through = inflow[d] + demand[:, d]
        gap = through - outflow[d]
        gap[d] = 0.0
        worst = max(worst, float(-gap.min()), float(outflow[d, d]))
        gaps += float(gap.sum())
        live = np.ones(n, dtype=bool)
        live[[-c - 1 for c in order[d] if c < 0]] = False
        arcs = live[network.tail] & (network.tail != d)
        expected = through[network.tail] * split[d]
        worst = max(worst, float(np.max(np.abs(per_dest[d] - expected)[arcs], initial=0.0)))
    worst = max(worst, abs(gaps - float(dropped)))
    return worst / max(float(demand.sum()), 1e-300)


def check_algorithm(algorithm: Any, params: Any = None, *, seeds: Sequence[int] = (0, 1),
                    loads: Sequence[float] = (0.3, 0.95)) -> None:
    """Check an algorithm against the contract of the kind ``algorithm``.

    Args:
        algorithm: a registered name, Component, factory or made algorithm.
        params: its parameters (see :func:`distlab.testing.make_factory`).
        seeds: the trial seeds to run.
        loads: the loads to run at.

    Raises:
        AssertionError: naming the broken part, the load and the seed.
    """
    from distlab.routing.engine import simulate

    make = make_factory("algorithm", algorithm, params, method="route")
    world = small_world(fail_link=6, fail_at_s=60.0)
    network = small_network(world)
    for load in loads:
        for seed in seeds:
            where = f"(load {load}, seed {seed})"
            algo = make()
            original = algo.route
            splits: list[tuple[Any, Any]] = []

            def route(state: Any, _orig: Any = original, _keep: list[tuple[Any, Any]] = splits) -> Any:
                split = _orig(state)
                _keep.append((np.array(split, dtype=np.float64), state.demand_bps))
                return split

            algo.route = route
            sim = simulate(world, _Fixed(network), _Gravity(load), algo, seed)
            for epoch, (split, demand) in enumerate(splits):
                at = f"{where} at epoch {epoch}"
                assert split.shape == (network.nodes, network.arcs), f"split of shape {split.shape} {at}"
                assert np.all(np.isfinite(split)) and split.min() >= 0 and split.max() <= 1 + 1e-9, \
                    f"split shares outside [0, 1] {at}"
                sums = split @ np.eye(network.nodes)[network.tail]
                assert sums.max() <= 1 + 1e-6, f"shares out of one node sum to {sums.max():.6g} > 1 {at}"
                err = conservation_error(network, split, demand)
                assert err < 1e-9, f"flow not conserved (imbalance {err:.3g} of the demand) {at}"
            again = simulate(world, _Fixed(network), _Gravity(load), make(), seed).metrics()
            first = sim.metrics()
            assert _same(first, again), f"the same seed gave different metrics {where}: {first} vs {again}"


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all((x != x and y != y) or x == y for x, y in ((a[k], b[k]) for k in a))


def check_topology(topology: Any, params: Any = None, *, seeds: Sequence[int] = (0, 1)) -> None:
    """Check a topology against the contract of the kind ``topology``.

    Raises:
        AssertionError: naming the broken part and the seed.
    """
    make = make_factory("topology", topology, params, method="build")
    world = small_world()
    for seed in seeds:
        net = make().build(world, np.random.default_rng(seed))
        again = make().build(world, np.random.default_rng(seed))
        assert isinstance(net, Network), f"build returned {type(net).__name__}, not a Network (seed {seed})"
        n = net.nodes
        assert net.arcs == 2 * net.links and np.all((net.tail >= 0) & (net.tail < n)), "arcs out of range"
        assert np.all(net.capacity_bps > 0) and np.all(net.length_km > 0), f"non-positive capacity or length (seed {seed})"
        assert np.array_equal(net.link_u, again.link_u) and np.array_equal(net.link_v, again.link_v), \
            f"the same seed built different links (seed {seed})"


def check_traffic(traffic: Any, params: Any = None, *, seeds: Sequence[int] = (0, 1)) -> None:
    """Check a traffic component against the contract of the kind ``traffic``.

    Raises:
        AssertionError: naming the broken part and the seed.
    """
    make = make_factory("traffic", traffic, params, method="matrix")
    world = small_world()
    network = small_network(world)
    times = np.arange(world.epochs) * world.epoch_s
    for seed in seeds:
        t = make()
        assert 0 < float(t.load) <= 10, f"load {t.load!r} outside (0, 10]"
        m = np.asarray(t.matrix(network, np.random.default_rng(seed)), dtype=np.float64)
        m2 = np.asarray(make().matrix(network, np.random.default_rng(seed)), dtype=np.float64)
        assert m.shape == (6, 6) and np.all(np.isfinite(m)) and m.min() >= 0, f"bad matrix (seed {seed})"
        assert np.all(np.diag(m) == 0), f"non-zero diagonal (seed {seed})"
        assert np.array_equal(m, m2), f"the same seed gave different matrices (seed {seed})"
        pattern = getattr(t, "pattern", None)
        if pattern is not None:
            p = np.asarray(pattern(times, np.random.default_rng(seed)), dtype=np.float64)
            assert p.shape == times.shape and np.all(np.isfinite(p)) and p.min() >= 0, f"bad pattern (seed {seed})"
