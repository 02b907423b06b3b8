"""Speed of one routing epoch on a 500-node topology, next to one all-pairs SciPy Dijkstra and to networkx.

Benchmarks (``run`` returns one dict per comparison, see :mod:`distlab.bench`), on topohub's
embedded Gabriel graph of 500 nodes (``gabriel/500/0``, 982 links) with demand between all pairs:

1. ``epoch vs all-pairs Dijkstra``: one epoch of fewest-hop routing (:class:`distlab.routing.FewestHops`:
   shortest paths (one all-pairs Dijkstra with predecessors, turned into next arcs), the flow and delay
   kernels on those next arcs (:func:`distlab.routing.kernels.tree_flows`, as the study's shortest-path
   algorithms route), the queueing model) against one all-pairs :func:`scipy.sparse.csgraph.dijkstra`
   on the same graph. The ratio is Dijkstra's time over the epoch's; the goal is at least 0.5 (an
   epoch costs at most 2x one Dijkstra).
2. ``epoch vs networkx``: the same epoch computed with networkx (all-pairs Dijkstra paths, then each
   pair's demand walked along its path in Python); goal 20x.

Timings are the best of a few repeats; the Numba kernels are compiled (or loaded from cache) first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distlab.bench import best_time

__all__ = ["run"]




def _network(nodes: int) -> Any:
    import topohub

    from distlab.routing.world import RoutingWorld, network_from_links

    topo = topohub.get(f"gabriel/{nodes}/0")
    index = {n["id"]: i for i, n in enumerate(topo["nodes"])}
    links = [(index[e["source"]], index[e["target"]]) for e in topo["edges"]]
    return network_from_links(f"gabriel/{nodes}/0", [str(n["id"]) for n in topo["nodes"]], links,
                              [float(e.get("dist", 1.0)) for e in topo["edges"]], RoutingWorld(epochs=1))


def _networkx_epoch(net: Any, demand: Any) -> float:
    import networkx as nx

    g = nx.DiGraph()
    g.add_edges_from((int(net.tail[a]), int(net.head[a])) for a in range(net.arcs))
    load: dict[tuple[int, int], float] = {}
    for s, paths in nx.all_pairs_dijkstra_path(g):
        for d, path in paths.items():
            for u, v in zip(path, path[1:]):
                load[u, v] = load.get((u, v), 0.0) + float(demand[s, d])
    return max(load.values())


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run the routing benchmarks; ``quick`` uses the 100-node Gabriel graph (a smoke test, not the goals)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from distlab.routing.engine import Simulation
    from distlab.routing.fakes import FewestHops
    from distlab.routing.world import RoutingWorld

    nodes = 100 if quick else 500
    net = _network(nodes)
    demand = np.ones((nodes, nodes)) - np.eye(nodes)
    demand *= 0.5 * net.capacity_bps[0] / (nodes * nodes)
    world = RoutingWorld(epochs=1)

    def epoch() -> None:
        Simulation(world, net, demand, np.ones(1), FewestHops()).step(0)

    graph = csr_matrix((np.ones(net.arcs), (net.tail, net.head)), shape=(nodes, nodes))
    epoch()  # compile or load the kernels
    repeats = 3 if quick else 5
    t_epoch = t_dijkstra = float("inf")
    for _ in range(repeats):
        t_epoch = min(t_epoch, best_time(epoch, 1))
        t_dijkstra = min(t_dijkstra, best_time(lambda: dijkstra(graph, directed=True), 1))
    t_nx = best_time(lambda: _networkx_epoch(net, demand), 1)
    size = f"{nodes} nodes, {net.links} links, all-pairs demand"
    return [
        {"name": f"routing epoch vs one all-pairs scipy Dijkstra ({size}; goal: epoch <= 2x)", "seconds": t_epoch,
         "baseline": "scipy dijkstra", "baseline_seconds": t_dijkstra, "ratio": t_dijkstra / t_epoch, "goal": 0.5},
        {"name": f"routing epoch vs the same epoch in networkx ({size})", "seconds": t_epoch,
         "baseline": "networkx", "baseline_seconds": t_nx, "ratio": t_nx / t_epoch, "goal": 20.0},
    ]
