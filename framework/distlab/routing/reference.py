"""Plain-Python twins of :mod:`distlab.routing.kernels`, for differential tests and the benchmark.

The same algorithm, written with Python lists and no Numba, so that a kernel bug and a twin bug
have to coincide to go unseen.

Both walk, for each destination, the nodes in a topological order of the split's arcs (Kahn's
algorithm). A forwarding loop stalls that order; the kernel then drops the lowest-numbered node still
waiting, which ends the loop there: its traffic is lost, as a TTL would lose it, and the loop's arcs
are loaded once, not forever. Cost: O(nodes x (nodes + arcs)) per epoch, no allocation per destination.
The ``tree_`` twins do the same walks for a single-path routing given as its next arcs.
"""

from __future__ import annotations

import math

import numpy as np

from distlab.routing.kernels import HIST_BINS, HIST_LO, HIST_STEP

__all__ = ["flows", "mask_next_arcs", "next_arcs_of_predecessors", "pair_stats", "tree_flows", "tree_pair_stats"]


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
    narcs = tail.shape[0]
    load = np.zeros(narcs)
    order = np.empty((n, n), dtype=np.int64)
    indeg = [0] * n
    inflow = [0.0] * n
    done = [False] * n
    queue = [0] * n
    keep = dest_load.shape[0] > 0
    dropped = 0.0
    for d in range(n):
        indeg = [0] * n
        for a in range(narcs):
            if split[d, a] > 0.0 and tail[a] != d:
                indeg[head[a]] += 1
        inflow = [0.0] * n
        done = [False] * n
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
            f = inflow[u] + demand[u, d]
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
    hist = np.zeros(HIST_BINS)
    delivered = 0.0
    delay_sum = 0.0
    hop_sum = 0.0
    for d in range(n):
        reach = [0.0] * n
        delay = [0.0] * n
        hops = [0.0] * n
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
            w = demand[u, d]
            if u != d and w > 0.0 and reach[u] > 0.0:
                got = w * min(reach[u], 1.0)
                delivered += got
                delay_sum += got * delay[u]
                hop_sum += got * hops[u]
                b = int(math.floor((math.log10(max(delay[u] * 1e3, 1e-300)) - HIST_LO) / HIST_STEP))
                b = min(max(b, 0), HIST_BINS - 1)
                hist[b] += got
    return delivered, delay_sum, hop_sum, hist


def next_arcs_of_predecessors(pred, arc_of):  # type: ignore[no-untyped-def]
    """``[d, u]`` the arc from ``u`` to its predecessor ``pred[d, u]`` (-1 where that is negative)."""
    n = pred.shape[0]
    out = np.full((n, n), -1, dtype=np.int64)
    for d in range(n):
        for u in range(n):
            if pred[d, u] >= 0:
                out[d, u] = arc_of[u * n + int(pred[d, u])]
    return out


def mask_next_arcs(next_arc, tail, up):  # type: ignore[no-untyped-def]
    """A checked copy of the next arcs with down arcs replaced by -1, and the first bad entry's flat index (or -1)."""
    n = next_arc.shape[0]
    masked = np.full((n, n), -1, dtype=np.int64)
    for d in range(n):
        for u in range(n):
            a = int(next_arc[d, u])
            if a < 0:
                continue
            if a >= len(tail) or tail[a] != u:
                return masked, d * n + u
            if up[a]:
                masked[d, u] = a
    return masked, -1


def tree_flows(next_arc, demand, head):  # type: ignore[no-untyped-def]
    """:func:`flows` for a single-path routing given as ``next_arc[d, u]`` (-1: none)."""
    n = demand.shape[0]
    load = np.zeros(len(head))
    order = np.empty((n, n), dtype=np.int64)
    dropped = 0.0
    for d in range(n):
        indeg = [0] * n
        for u in range(n):
            a = next_arc[d, u]
            if a >= 0 and u != d:
                indeg[head[a]] += 1
        inflow = [0.0] * n
        done = [False] * n
        queue = [u for u in range(n) if indeg[u] == 0]
        qh = 0
        scan = 0
        for count in range(n):
            drop = False
            if qh == len(queue):
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
            f = inflow[u] + demand[u, d]
            a = next_arc[d, u]
            sent = False
            if a >= 0:
                h = head[a]
                if not drop:
                    load[a] += f
                    inflow[h] += f
                    sent = True
                    if done[h] and h != d:
                        dropped += f
                indeg[h] -= 1
                if indeg[h] == 0 and not done[h]:
                    queue.append(h)
            if not sent:
                dropped += f * 1.0
    return load, order, dropped


def tree_pair_stats(next_arc, demand, head, order, arc_delay_s):  # type: ignore[no-untyped-def]
    """:func:`pair_stats` for a single-path routing given as ``next_arc[d, u]``."""
    n = demand.shape[0]
    hist = np.zeros(HIST_BINS)
    delivered = 0.0
    delay_sum = 0.0
    hop_sum = 0.0
    for d in range(n):
        reach = [0.0] * n
        delay = [0.0] * n
        hops = [0.0] * n
        reach[d] = 1.0
        for i in range(n - 1, -1, -1):
            u = order[d, i]
            if u < 0 or u == d or next_arc[d, u] < 0:
                continue
            a = next_arc[d, u]
            h = head[a]
            reach[u] = reach[h]
            if reach[u] > 0.0:
                delay[u] = (reach[u] * (arc_delay_s[a] + delay[h])) / reach[u]
                hops[u] = (reach[u] * (1.0 + hops[h])) / reach[u]
        for u in range(n):
            w = demand[u, d]
            if u != d and w > 0.0 and reach[u] > 0.0:
                got = w * min(reach[u], 1.0)
                delivered += got
                delay_sum += got * delay[u]
                hop_sum += got * hops[u]
                b = int(math.floor((math.log10(max(delay[u] * 1e3, 1e-300)) - HIST_LO) / HIST_STEP))
                b = min(max(b, 0), HIST_BINS - 1)
                hist[b] += got
    return delivered, delay_sum, hop_sum, hist
