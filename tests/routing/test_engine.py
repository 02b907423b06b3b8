"""The routing world and engine: kernels against their twins, paths against networkx, bad input."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from distlab.errors import ConfigError, ParameterError
from distlab.routing import (
    EvenTraffic,
    EvenTrafficParams,
    FewestHops,
    LineTopology,
    LineTopologyParams,
    RoutingWorld,
    network_from_links,
    next_hops,
    simulate,
)
from distlab.routing import kernels, reference
from distlab.routing.queueing import arc_delay
from distlab.routing.testing import conservation_error, small_network, small_world


def _random_split(net, rng):
    split = np.zeros((net.nodes, net.arcs))
    for d in range(net.nodes):
        for u in range(net.nodes):
            arcs = net.arc_order[net.arc_ptr[u]:net.arc_ptr[u + 1]]
            w = rng.uniform(size=len(arcs)) * (rng.uniform(size=len(arcs)) < 0.6)
            if w.sum() > 0:
                split[d, arcs] = w / w.sum() * rng.choice([1.0, 0.8])
    return split


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernels_equal_their_python_twins(seed):
    rng = np.random.default_rng(seed)
    net = small_network()
    split = _random_split(net, rng)  # loops included: both must drop the same nodes
    demand = rng.uniform(size=(6, 6))
    np.fill_diagonal(demand, 0)
    args = (split, demand, net.tail, net.head, net.arc_ptr, net.arc_order)
    k = kernels.flows(*args, np.zeros((0, 0)))
    r = reference.flows(*args, np.zeros((0, 0)))
    assert np.allclose(k[0], r[0]) and np.array_equal(k[1], r[1]) and k[2] == pytest.approx(r[2])
    delay = rng.uniform(0.001, 0.1, net.arcs)
    ks = kernels.pair_stats(split, demand, net.head, net.arc_ptr, net.arc_order, k[1], delay)
    rs = reference.pair_stats(split, demand, net.head, net.arc_ptr, net.arc_order, r[1], delay)
    assert all(np.allclose(a, b) for a, b in zip(ks, rs))
    assert conservation_error(net, split, demand) < 1e-12


@pytest.mark.parametrize("key", ["sndlib/abilene", "sndlib/geant", "topozoo/Arpanet19728"])
def test_path_costs_equal_networkx(key):
    from distlab_routing.topologies import Topohub

    net = Topohub(key=key).build(RoutingWorld(), np.random.default_rng(0))
    w = np.random.default_rng(1).uniform(0.5, 2.0, net.arcs)
    dist, nxt = next_hops(net, w)
    g = nx.DiGraph()
    for a in range(net.arcs):
        u, v = int(net.tail[a]), int(net.head[a])
        if not g.has_edge(u, v) or g[u][v]["weight"] > w[a]:
            g.add_edge(u, v, weight=w[a])
    ref = dict(nx.all_pairs_dijkstra_path_length(g))
    for d in range(net.nodes):
        for u in range(net.nodes):
            assert dist[d, u] == pytest.approx(ref[u].get(d, np.inf))
            if u != d:  # the next arc starts a shortest path
                a = nxt[d, u]
                assert w[a] + dist[d, net.head[a]] == pytest.approx(dist[d, u])


def test_mm1_and_mm1k_agree_at_light_load_and_mm1k_stays_finite():
    cap, prop = np.array([1e6, 1e6]), np.zeros(2)
    d1, _ = arc_delay(np.array([1e5, 2e6]), cap, prop, 1000.0, "mm1")
    dk, loss = arc_delay(np.array([1e5, 2e6]), cap, prop, 1000.0, "mm1k", 1000)
    assert dk[0] == pytest.approx(d1[0], rel=1e-9)
    assert np.isfinite(dk[1]) and loss[1] == pytest.approx(0.5, rel=1e-2)


def test_disconnected_demand_is_unserved_not_a_crash():
    world = small_world(epochs=2)

    class Two:
        def build(self, world, rng):
            return network_from_links("split", list("abcd"), [(0, 1), (2, 3)], [100.0, 100.0], world)

    m = simulate(world, Two(), EvenTraffic(), FewestHops(), 0).metrics()
    assert m["unserved_fraction"] == pytest.approx(8 / 12)  # 8 of the 12 ordered pairs cross the gap
    assert np.isfinite(m["mean_delay_ms"])


def test_failed_link_cuts_a_chain():
    world = small_world(epochs=4, fail_link=1, fail_at_s=20.0)
    sim = simulate(world, LineTopology(LineTopologyParams(3)), EvenTraffic(), FewestHops(), 0)
    assert [r["unserved_fraction"] for r in sim.rows] == pytest.approx([0, 0, 4 / 6, 4 / 6])


def test_bad_input_is_refused_before_running():
    with pytest.raises(ConfigError, match="outside"):
        simulate(small_world(), LineTopology(), EvenTraffic(EvenTrafficParams(load=0.5)).__class__(
            type("P", (), {"load": 11.0})()), FewestHops(), 0)
    with pytest.raises(ParameterError):
        from distlab.params import build

        build(RoutingWorld, {"capacity_mbit_s": 0})


def test_unknown_topology_suggests_the_nearest_keys():
    from distlab.routing import UnknownTopologyError
    from distlab_routing.topologies import Topohub

    with pytest.raises(UnknownTopologyError) as err:
        Topohub(key="arpanet19728")
    assert "topozoo/Arpanet19728" in str(err.value)
    with pytest.raises(UnknownTopologyError, match="sndlib/abilene"):
        Topohub(key="sndlib/abilen")


def _random_next_arcs(net, rng, none=0.1):
    """A next arc out of every node for every destination, at random: loops and dead ends included."""
    nxt = np.full((net.nodes, net.nodes), -1, dtype=np.int64)
    for d in range(net.nodes):
        for u in range(net.nodes):
            arcs = net.arc_order[net.arc_ptr[u]:net.arc_ptr[u + 1]]
            if u != d and len(arcs) and rng.uniform() > none:
                nxt[d, u] = rng.choice(arcs)
    return nxt


def _mesh(n, rng):
    links = [(i, (i + 1) % n) for i in range(n)] + [tuple(rng.choice(n, 2, replace=False)) for _ in range(n)]
    return network_from_links("mesh", [f"m{i}" for i in range(n)], links, list(rng.uniform(10, 900, len(links))),
                              small_world())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_tree_kernels_equal_their_python_twins_and_the_split_kernels_bits(seed):
    from distlab.routing import SinglePath

    rng = np.random.default_rng(seed)
    net = small_network() if seed < 2 else _mesh(25, rng)
    nxt = _random_next_arcs(net, rng)
    up = rng.uniform(size=net.arcs) > 0.15
    demand = rng.uniform(size=(net.nodes, net.nodes)) * 1e6
    np.fill_diagonal(demand, 0)
    km, kbad = kernels.mask_next_arcs(nxt, net.tail, up)
    rm, rbad = reference.mask_next_arcs(nxt, net.tail, up)
    assert kbad == rbad == -1 and np.array_equal(km, rm)
    assert np.array_equal(km, np.where((nxt >= 0) & up[np.maximum(nxt, 0)], nxt, -1))
    k = kernels.tree_flows(km, demand, net.head)
    r = reference.tree_flows(km, demand, net.head)
    split = SinglePath(km, net.arcs).split()
    s = kernels.flows(split, demand, net.tail, net.head, net.arc_ptr, net.arc_order, np.zeros((0, 0)))
    for other in (r, s):  # the same bits, not merely close
        assert np.array_equal(k[0], other[0]) and np.array_equal(k[1], other[1]) and k[2] == other[2]
    delay = rng.uniform(0.001, 0.1, net.arcs)
    ks = kernels.tree_pair_stats(km, demand, net.head, k[1], delay)
    rs = reference.tree_pair_stats(km, demand, net.head, k[1], delay)
    ss = kernels.pair_stats(split, demand, net.head, net.arc_ptr, net.arc_order, s[1], delay)
    for other in (rs, ss):
        assert all(np.array_equal(a, b) for a, b in zip(ks, other))


def test_next_arcs_out_of_another_node_are_refused():
    net = small_network()
    nxt = np.full((net.nodes, net.nodes), -1, dtype=np.int64)
    nxt[0, 2] = net.arc_order[net.arc_ptr[1]]  # an arc out of node 1, given for node 2
    up = np.ones(net.arcs, dtype=bool)
    assert kernels.mask_next_arcs(nxt, net.tail, up)[1] == reference.mask_next_arcs(nxt, net.tail, up)[1] == 2

    class Bad:
        def route(self, state):
            from distlab.routing import SinglePath

            return SinglePath(nxt, net.arcs)

    class Net:
        def build(self, world, rng):
            return net

    with pytest.raises(ValueError, match="destination 0 at node 2"):
        simulate(small_world(epochs=1), Net(), EvenTraffic(), Bad(), 0)


def test_an_epoch_of_next_arcs_gives_the_numbers_of_its_split():
    from distlab.routing import SinglePath

    class Wandering:
        """Random next arcs every epoch (loops, dead ends, route changes); as next arcs, as a split, or mixed."""

        def __init__(self, form):
            self.form, self.rng = form, np.random.default_rng(7)

        def route(self, state):
            routes = SinglePath(_random_next_arcs(state.network, self.rng, none=0.05), state.network.arcs)
            as_split = self.form == "split" or (self.form == "mixed" and state.epoch % 3 == 1)
            return np.asarray(routes) if as_split else routes

    class Mesh:
        def build(self, world, rng):
            return _mesh(12, np.random.default_rng(5))

    world = small_world(epochs=8, fail_link=3, fail_at_s=30.0, restore_at_s=60.0)
    runs = {form: simulate(world, Mesh(), EvenTraffic(EvenTrafficParams(load=0.9)), Wandering(form), 0)
            for form in ("split", "next_arcs", "mixed")}
    base = runs["split"]
    assert sum(r["route_changes"] for r in base.rows) > 0 and base.metrics()["unserved_fraction"] > 0
    for sim in runs.values():
        assert sim.rows == base.rows and np.array_equal(sim.hist, base.hist)
        assert sim.metrics() == base.metrics()


@pytest.mark.parametrize("seed", [0, 1])
def test_next_arcs_of_predecessors_equal_their_twin_and_numpy(seed):
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    rng = np.random.default_rng(seed)
    net = _mesh(30, rng)
    up = rng.uniform(size=net.arcs) > 0.3  # disconnected parts: SciPy's -9999 for no predecessor
    n = net.nodes
    graph = csr_matrix((rng.uniform(1, 2, up.sum()), (net.head[up], net.tail[up])), shape=(n, n))
    _, pred = dijkstra(graph, directed=True, return_predecessors=True)
    assert np.any(pred < 0)
    arc_of = np.full(n * n, -1, dtype=np.int64)
    arc_of[net.tail[up] * n + net.head[up]] = np.flatnonzero(up)
    k = kernels.next_arcs_of_predecessors(pred, arc_of)
    expected = np.where(pred >= 0, arc_of[np.arange(n)[None, :] * n + np.maximum(pred, 0)], -1)
    assert np.array_equal(k, reference.next_arcs_of_predecessors(pred, arc_of)) and np.array_equal(k, expected)
