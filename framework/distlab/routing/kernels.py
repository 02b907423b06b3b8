"""Numba kernels of the routing engine: route every destination's traffic over a split, and read back
per-pair delays. Their plain-Python twins are in :mod:`distlab.routing.reference` (tested equal).

:func:`flows` and :func:`pair_stats` take any split (``nodes x arcs`` shares). :func:`tree_flows` and
:func:`tree_pair_stats` are the same two walks for a single-path routing given as its next arcs
(``nodes x nodes``, :class:`distlab.routing.kinds.SinglePath`): a node has at most one arc to look at
instead of scanning a row of ``arcs`` shares, so an epoch costs O(nodes^2), not O(nodes x arcs). They
visit the nodes in the same order and add the same terms in the same order as the split kernels do
on that routing's split (a share of 1.0 multiplies exactly), so their results are bit-identical.

Both walk, for each destination, the nodes in a topological order of the split's arcs (Kahn's
algorithm). A forwarding loop stalls that order; the kernel then drops the lowest-numbered node still
waiting, which ends the loop there: its traffic is lost, as a TTL would lose it, and the loop's arcs
are loaded once, not forever. Cost: O(nodes x (nodes + arcs)) per epoch, no allocation per destination.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["HIST_BINS", "HIST_LO", "HIST_STEP", "flows", "mask_next_arcs", "next_arcs_of_predecessors", "pair_stats",
           "tree_flows", "tree_pair_stats"]

HIST_LO = -3.0
"""log10 of the smallest delay (ms) the delay histogram resolves (1 us)."""
HIST_STEP = 0.005
"""Width of one histogram bin in decades (a 1.16 % step in delay)."""
HIST_BINS = 2400
"""Bins of the delay histogram: 12 decades, 1 us to 10^6 s."""


@njit(cache=True)
def flows(split, demand, tail, head, arc_ptr, arc_order, dest_load):  # type: ignore[no-untyped-def]
    """Route every destination's demand over ``split``.

    Args:
        split: ``[d, a]`` share of the traffic for ``d`` at ``tail[a]`` sent on ``a``.
        demand: ``[s, d]`` offered rate.
        tail, head, arc_ptr, arc_order: the network's arcs (see :class:`distlab.routing.world.Network`).
        dest_load: a ``nodes x arcs`` array filled with each destination's arc loads, or a
            ``0 x 0`` array to skip that.

    Returns:
        ``(load, order, dropped)``: each arc's load, the order the nodes were visited in per
        destination (``-(u + 1)`` for a dropped node), and the rate dropped (no route, or a loop).
    """
    n = demand.shape[0]
    # Each destination reads one column of demand; a row-major copy of its transpose reads it contiguously.
    demand_to = np.ascontiguousarray(demand.T)
    narcs = tail.shape[0]
    load = np.zeros(narcs)
    order = np.empty((n, n), dtype=np.int64)
    indeg = np.empty(n, dtype=np.int64)
    inflow = np.empty(n)
    done = np.empty(n, dtype=np.bool_)
    queue = np.empty(n, dtype=np.int64)
    keep = dest_load.shape[0] > 0
    dropped = 0.0
    for d in range(n):
        indeg[:] = 0
        for a in range(narcs):
            if split[d, a] > 0.0 and tail[a] != d:
                indeg[head[a]] += 1
        inflow[:] = 0.0
        done[:] = False
        qh = 0
        qt = 0
        for u in range(n):
            if indeg[u] == 0:
                queue[qt] = u
                qt += 1
        scan = 0
        for count in range(n):
            drop = False
            if qh == qt:
                while done[scan]:
                    scan += 1
                u = scan
                drop = u != d
            else:
                u = queue[qh]
                qh += 1
            done[u] = True
            order[d, count] = -(u + 1) if drop else u
            if u == d:
                continue
            f = inflow[u] + demand_to[d, u]
            total = 0.0
            for i in range(arc_ptr[u], arc_ptr[u + 1]):
                a = arc_order[i]
                s = split[d, a]
                if s > 0.0:
                    h = head[a]
                    if not drop:
                        load[a] += f * s
                        inflow[h] += f * s
                        total += s
                        if keep:
                            dest_load[d, a] += f * s
                        if done[h] and h != d:
                            dropped += f * s  # into a node dropped to end a loop: lost there
                    indeg[h] -= 1
                    if indeg[h] == 0 and not done[h]:
                        queue[qt] = h
                        qt += 1
            if total < 1.0:
                dropped += f * (1.0 - total)
    return load, order, dropped


@njit(cache=True)
def pair_stats(split, demand, head, arc_ptr, arc_order, order, arc_delay_s):  # type: ignore[no-untyped-def]
    """Per-pair delivery, delay and hops, summed with demand weights, and the delay histogram.

    Args:
        split, demand, head, arc_ptr, arc_order: as for :func:`flows`.
        order: the visiting order :func:`flows` returned.
        arc_delay_s: each arc's mean delay.

    Returns:
        ``(delivered, delay_sum, hop_sum, hist)``: the rate delivered, the sums over pairs of
        delivered rate times mean delay (s) and times mean hops, and the delivered rate per
        log-delay bin (see :data:`HIST_LO`).
    """
    n = demand.shape[0]
    demand_to = np.ascontiguousarray(demand.T)  # as in flows: destination-major reads
    reach = np.empty(n)
    delay = np.empty(n)
    hops = np.empty(n)
    hist = np.zeros(HIST_BINS)
    delivered = 0.0
    delay_sum = 0.0
    hop_sum = 0.0
    for d in range(n):
        reach[:] = 0.0
        delay[:] = 0.0
        hops[:] = 0.0
        reach[d] = 1.0
        for i in range(n - 1, -1, -1):
            code = order[d, i]
            if code < 0 or code == d:
                continue
            u = code
            p = 0.0
            ds = 0.0
            hs = 0.0
            for j in range(arc_ptr[u], arc_ptr[u + 1]):
                a = arc_order[j]
                s = split[d, a]
                if s > 0.0:
                    h = head[a]
                    q = s * reach[h]
                    p += q
                    ds += q * (arc_delay_s[a] + delay[h])
                    hs += q * (1.0 + hops[h])
            reach[u] = p
            if p > 0.0:
                delay[u] = ds / p
                hops[u] = hs / p
        for u in range(n):
            w = demand_to[d, u]
            if u != d and w > 0.0 and reach[u] > 0.0:
                got = w * min(reach[u], 1.0)
                delivered += got
                delay_sum += got * delay[u]
                hop_sum += got * hops[u]
                b = int(math.floor((math.log10(max(delay[u] * 1e3, 1e-300)) - HIST_LO) / HIST_STEP))
                b = min(max(b, 0), HIST_BINS - 1)
                hist[b] += got
    return delivered, delay_sum, hop_sum, hist


@njit(cache=True)
def next_arcs_of_predecessors(pred, arc_of):  # type: ignore[no-untyped-def]
    """The next arc of every (destination, node) from Dijkstra's predecessors on the reversed graph.

    One loop, where NumPy's fancy indexing made four ``nodes x nodes`` temporaries and cost about
    3 ms at 500 nodes (a fifth of the Dijkstra it follows).

    Args:
        pred: ``[d, u]`` the predecessor of ``u`` on the reversed graph from ``d``, i.e. the next
            node from ``u`` towards ``d``; negative for none (SciPy's -9999).
        arc_of: ``u * nodes + v`` -> the arc from ``u`` to ``v``, or -1.

    Returns:
        ``[d, u]`` the arc from ``u`` to its next node, -1 where there is none.
    """
    n = pred.shape[0]
    out = np.empty((n, n), dtype=np.int64)
    for d in range(n):
        for u in range(n):
            p = pred[d, u]
            out[d, u] = arc_of[u * n + p] if p >= 0 else -1
    return out


@njit(cache=True)
def mask_next_arcs(next_arc, tail, up):  # type: ignore[no-untyped-def]
    """A checked copy of a single-path routing's next arcs, with every down arc replaced by -1.

    Args:
        next_arc: ``[d, u]`` the arc ``u`` forwards traffic for ``d`` on, or -1 (int64).
        tail: each arc's tail.
        up: one boolean per arc.

    Returns:
        ``(masked, bad)``: the copy, and ``-1`` if every entry is -1 or an arc out of its own node,
        else the flat index ``d * nodes + u`` of the first that is not (the caller raises; a kernel
        cannot raise a helpful error cheaply).
    """
    n = next_arc.shape[0]
    narcs = tail.shape[0]
    masked = np.empty((n, n), dtype=np.int64)
    for d in range(n):
        for u in range(n):
            a = next_arc[d, u]
            if a < 0:
                masked[d, u] = -1
            elif a >= narcs or tail[a] != u:
                return masked, d * n + u
            else:
                masked[d, u] = a if up[a] else -1  # traffic sent onto a failed link is lost
    return masked, -1


@njit(cache=True)
def tree_flows(next_arc, demand, head):  # type: ignore[no-untyped-def]
    """:func:`flows` for a single-path routing: route every destination's demand along ``next_arc``.

    The same Kahn walk as :func:`flows` on the split that puts 1.0 on each ``next_arc[d, u]``: the
    same visiting order, the same loop breaking, the same sums in the same order (``f * 1.0`` is
    ``f``), so the same bits. ``next_arc`` must come from :func:`mask_next_arcs` (every arc leaves
    its own node and is up); an entry on the diagonal is ignored, as :func:`flows` ignores arcs
    out of the destination.

    Args:
        next_arc: ``[d, u]`` the arc ``u`` forwards traffic for ``d`` on, or -1 (no route: dropped).
        demand: ``[s, d]`` offered rate.
        head: each arc's head.

    Returns:
        ``(load, order, dropped)`` as :func:`flows` returns them.
    """
    n = demand.shape[0]
    demand_to = np.ascontiguousarray(demand.T)  # destination-major reads, as in flows
    load = np.zeros(head.shape[0])
    order = np.empty((n, n), dtype=np.int64)
    indeg = np.empty(n, dtype=np.int64)
    inflow = np.empty(n)
    done = np.empty(n, dtype=np.bool_)
    queue = np.empty(n, dtype=np.int64)
    dropped = 0.0
    for d in range(n):
        indeg[:] = 0
        for u in range(n):
            a = next_arc[d, u]
            if a >= 0 and u != d:
                indeg[head[a]] += 1
        inflow[:] = 0.0
        done[:] = False
        qh = 0
        qt = 0
        for u in range(n):
            if indeg[u] == 0:
                queue[qt] = u
                qt += 1
        scan = 0
        for count in range(n):
            drop = False
            if qh == qt:
                # A loop stalls the walk: drop the lowest-numbered waiting node, as flows does.
                while done[scan]:
                    scan += 1
                u = scan
                drop = u != d
            else:
                u = queue[qh]
                qh += 1
            done[u] = True
            order[d, count] = -(u + 1) if drop else u
            if u == d:
                continue
            f = inflow[u] + demand_to[d, u]
            total = 0.0
            a = next_arc[d, u]
            if a >= 0:
                h = head[a]
                if not drop:
                    load[a] += f
                    inflow[h] += f
                    total = 1.0
                    if done[h] and h != d:
                        dropped += f  # into a node dropped to end a loop: lost there
                indeg[h] -= 1
                if indeg[h] == 0 and not done[h]:
                    queue[qt] = h
                    qt += 1
            if total < 1.0:
                dropped += f * (1.0 - total)  # the same product flows adds (f * 1.0)
    return load, order, dropped


@njit(cache=True)
def tree_pair_stats(next_arc, demand, head, order, arc_delay_s):  # type: ignore[no-untyped-def]
    """:func:`pair_stats` for a single-path routing: walk each destination's tree back from it.

    In reverse visiting order every node's next hop is done before it, so its delay is the next hop's
    plus its arc's (written as :func:`pair_stats` computes it with a share of 1.0, to give the same bits).

    Args:
        next_arc: as for :func:`tree_flows`.
        demand, head: as for :func:`tree_flows`.
        order: the visiting order :func:`tree_flows` returned.
        arc_delay_s: each arc's mean delay.

    Returns:
        ``(delivered, delay_sum, hop_sum, hist)`` as :func:`pair_stats` returns them.
    """
    n = demand.shape[0]
    demand_to = np.ascontiguousarray(demand.T)
    reach = np.empty(n)
    delay = np.empty(n)
    hops = np.empty(n)
    hist = np.zeros(HIST_BINS)
    delivered = 0.0
    delay_sum = 0.0
    hop_sum = 0.0
    for d in range(n):
        reach[:] = 0.0
        delay[:] = 0.0
        hops[:] = 0.0
        reach[d] = 1.0
        for i in range(n - 1, -1, -1):
            code = order[d, i]
            if code < 0 or code == d:
                continue
            u = code
            a = next_arc[d, u]
            if a < 0:
                reach[u] = 0.0
                continue
            h = head[a]
            q = reach[h]  # share 1.0 times the next hop's reach
            reach[u] = q
            if q > 0.0:
                # pair_stats computes (0 + q * x) / (0 + q): the same operations, so the same bits.
                delay[u] = (q * (arc_delay_s[a] + delay[h])) / q
                hops[u] = (q * (1.0 + hops[h])) / q
        for u in range(n):
            w = demand_to[d, u]
            if u != d and w > 0.0 and reach[u] > 0.0:
                got = w * min(reach[u], 1.0)
                delivered += got
                delay_sum += got * delay[u]
                hop_sum += got * hops[u]
                b = int(math.floor((math.log10(max(delay[u] * 1e3, 1e-300)) - HIST_LO) / HIST_STEP))
                b = min(max(b, 0), HIST_BINS - 1)
                hist[b] += got
    return delivered, delay_sum, hop_sum, hist
