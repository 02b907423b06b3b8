"""Shortest paths and splits: what the single-path and equal-cost algorithms route with.

Shortest paths come from :func:`scipy.sparse.csgraph.dijkstra` (a well-kept library; nothing here is
a hand-written path search). Distances *to* each destination are one all-sources run on the reversed
graph: its predecessor of ``u`` from source ``d`` is the next node from ``u`` towards ``d``.
SciPy's ``bellman_ford`` is not used: with ``directed=False`` it wrongly reports negative cycles on
float weights (the graph here is always passed directed, symmetrised by its two arcs per link).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from distlab.routing.world import Network

__all__ = ["best_arcs", "ecmp_split", "next_hops", "split_from_next_hop", "tail_incidence"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def best_arcs(network: Network, weights: FloatArray, up: BoolArray) -> tuple[IntArray, FloatArray]:
    """Among parallel arcs, the cheapest working one per (tail, head).

    Returns:
        ``(arcs, w)``: the kept arc ids and their weights, one per distinct (tail, head) pair.
    """
    ids = np.flatnonzero(up)
    ids = ids[np.lexsort((weights[ids], network.head[ids], network.tail[ids]))]
    pairs = network.tail[ids] * network.nodes + network.head[ids]
    first = np.ones(len(ids), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    kept = ids[first]
    return kept.astype(np.int64), weights[kept].astype(np.float64)


def next_hops(network: Network, weights: FloatArray, up: BoolArray | None = None) -> tuple[FloatArray, IntArray]:
    """Distances to every destination and the next arc on a shortest path.

    Args:
        network: the network.
        weights: one positive cost per arc.
        up: working arcs (None: all).

    Returns:
        ``(dist, next_arc)``, both ``nodes x nodes`` and indexed ``[destination, node]``: the cost from
        ``node`` to ``destination`` (inf if unreachable) and the first arc of one shortest path (-1 at
        the destination and where unreachable).
    """
    n = network.nodes
    up = np.ones(network.arcs, dtype=bool) if up is None else up
    arcs, w = best_arcs(network, np.maximum(weights, 1e-12), up)
    # Reversed graph (head -> tail): Dijkstra from d gives distances of every node *to* d.
    graph = csr_matrix((w, (network.head[arcs], network.tail[arcs])), shape=(n, n))
    from distlab.routing import kernels

    dist, pred = dijkstra(graph, directed=True, return_predecessors=True)
    lookup = np.full(n * n, -1, dtype=np.int64)
    lookup[network.tail[arcs] * n + network.head[arcs]] = arcs
    nxt = kernels.next_arcs_of_predecessors(pred, lookup)
    return np.asarray(dist, dtype=np.float64), np.asarray(nxt, dtype=np.int64)


def split_from_next_hop(network: Network, next_arc: IntArray) -> FloatArray:
    """The split of a single-path routing: 1.0 on the next arc of each (destination, node).

    Args:
        network: the network.
        next_arc: ``[destination, node]`` arc ids, -1 for none.

    Returns:
        The ``nodes x arcs`` split.
    """
    n = network.nodes
    split = np.zeros((n, network.arcs), dtype=np.float64)
    d, u = np.nonzero(next_arc >= 0)
    split[d, next_arc[d, u]] = 1.0
    return split


def tail_incidence(network: Network) -> csr_matrix:
    """The ``arcs x nodes`` 0/1 matrix of each arc's tail (row sums of a split per node: ``split @ T``)."""
    return csr_matrix((np.ones(network.arcs), (np.arange(network.arcs), network.tail)),
                      shape=(network.arcs, network.nodes))


def ecmp_split(network: Network, weights: FloatArray, up: BoolArray | None = None, rtol: float = 1e-9) -> FloatArray:
    """Even split over every arc that starts a shortest path (equal-cost multipath).

    An arc ``u -> v`` carries traffic for ``d`` iff ``dist(u, d) = w(u, v) + dist(v, d)`` (to a
    relative tolerance ``rtol``); each such arc out of ``u`` gets an equal share.

    Args:
        network: the network.
        weights: one positive cost per arc.
        up: working arcs (None: all).
        rtol: the tolerance of "equal cost".

    Returns:
        The ``nodes x arcs`` split.
    """
    up = np.ones(network.arcs, dtype=bool) if up is None else up
    w = np.maximum(weights, 1e-12)
    dist, _ = next_hops(network, w, up)
    du, dv = dist[:, network.tail], dist[:, network.head]
    on = np.isfinite(du) & (np.abs(du - (w[None, :] + dv)) <= rtol * np.maximum(du, 1.0)) & up[None, :]
    on &= network.tail[None, :] != np.arange(network.nodes)[:, None]
    counts = np.asarray(on.astype(np.float64) @ tail_incidence(network))  # [d, u]
    share = np.where(on, 1.0 / np.maximum(counts[:, network.tail], 1.0), 0.0)
    return share
