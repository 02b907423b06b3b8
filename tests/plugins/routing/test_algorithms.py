"""The built-in routing components: their contracts and the textbook and historical results."""

from __future__ import annotations

import numpy as np
import pytest

from distlab.routing import EvenTraffic, RoutingWorld, network_from_links, simulate
from distlab.routing.testing import check_algorithm, check_topology, check_traffic, conservation_error
from distlab_routing.adaptive import AdaptiveDelay, HnSpf
from distlab_routing.distance_vector import DistanceVector
from distlab_routing.params import DistanceVectorParams, GravityParams
from distlab_routing.shortcuts import abilene
from distlab_routing.traffic import Gravity

ALGORITHMS = ["min_hop", "min_delay", "ecmp", "avg_delay", "adaptive_delay", "hn_spf", "distance_vector", "optimal"]


@pytest.mark.parametrize("name", ALGORITHMS)
def test_algorithm_contract_and_flow_conservation(name):
    check_algorithm(name, seeds=(0,), loads=(0.4, 1.1))


@pytest.mark.parametrize("name", ["abilene", "ring", "mesh", "waxman", "gabriel", "topohub"])
def test_topology_contract(name):
    check_topology(name)


@pytest.mark.parametrize("name,params", [("uniform", {"pattern": "step"}), ("gravity", {"mass": "random"}),
                                         ("hotspot", {"pattern": "diurnal"}), ("gravity", {"pattern": "random_walk"})])
def test_traffic_contract(name, params):
    check_traffic(name, params)


def _fixed(links, n):
    class Fixed:
        def build(self, world, rng):
            return network_from_links("t", [chr(97 + i) for i in range(n)], links, [100.0] * len(links), world)
    return Fixed()


def _dv_after_failure(links, n, fail, **params):
    # Rounds run fast next to the epochs here (1,000 per epoch): the trial measures the protocol alone.
    world = RoutingWorld(epochs=3, fail_link=fail, fail_at_s=10.0, capacity_mbit_s=1.544)
    dv = DistanceVector(DistanceVectorParams(rounds_per_epoch=1000, **params))
    simulate(world, _fixed(links, n), EvenTraffic(), dv, 0)
    return dv


def test_distance_vector_counts_to_infinity_on_a_chain_and_split_horizon_stops_it():
    chain = [(0, 1), (1, 2)]  # a - b - c; the far link b-c fails
    plain = _dv_after_failure(chain, 3, fail=1)
    split = _dv_after_failure(chain, 3, fail=1, split_horizon=True)
    assert plain.dist[0, 2] == 16 and split.dist[0, 2] == 16
    assert plain.protocol_stats()[0] >= 12  # a and b bounce the route up to 16
    assert split.protocol_stats()[0] <= 2
    assert plain.protocol_stats()[1] > split.protocol_stats()[1]


def test_a_triangle_defeats_split_horizon():
    # a, b, c in a triangle, d hangs off c; c-d fails.
    tri = [(0, 1), (1, 2), (0, 2), (2, 3)]
    for params in ({"split_horizon": True}, {"poisoned_reverse": True}):
        dv = _dv_after_failure(tri, 4, fail=3, **params)
        assert dv.dist[0, 3] == 16
        assert dv.protocol_stats()[0] >= 6, params  # not the chain's couple of rounds


def test_conservation_holds_for_ecmp_on_a_mesh():
    from distlab.routing import ecmp_split
    from distlab_routing.topologies import Grid

    net = Grid().build(RoutingWorld(), np.random.default_rng(0))
    split = ecmp_split(net, np.ones(net.arcs))
    assert np.any((split > 0) & (split < 1))  # really multipath
    demand = np.ones((net.nodes, net.nodes)) - np.eye(net.nodes)
    assert conservation_error(net, split, demand) < 1e-12


@pytest.mark.parametrize("load", [0.5, 0.9])
def test_optimal_is_a_floor(load):
    from distlab.host import get_registry

    world = RoutingWorld(epochs=6, capacity_mbit_s=1.544, queue="mm1")
    reg = get_registry()
    delays = {}
    for name in ALGORITHMS:
        comp = reg.component("algorithm", name)
        algo = comp.create(comp.params())
        delays[name] = simulate(world, abilene(), Gravity(GravityParams(load=load)), algo, 0).metrics()["mean_delay_ms"]
    for name, d in delays.items():
        assert delays["optimal"] <= d * (1 + 1e-6), (name, delays)


def test_adaptive_delay_oscillates_where_hn_spf_is_stable():
    world = RoutingWorld(epochs=30, capacity_mbit_s=1.544)
    changes = {}
    for algo in (AdaptiveDelay(), HnSpf()):
        sim = simulate(world, abilene(), Gravity(GravityParams(load=0.9)), algo, 0)
        changes[type(algo).__name__] = [r["route_changes"] for r in sim.rows[10:]]
    adaptive, hn = np.mean(changes["AdaptiveDelay"]), np.mean(changes["HnSpf"])
    assert adaptive > 20 and adaptive > 5 * max(hn, 0.1), changes
