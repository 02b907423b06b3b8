"""Minimum mean delay routing by flow deviation: the lower bound every other algorithm is measured against.

The flow deviation method (Fratta, Gerla & Kleinrock, "The flow deviation method", Networks 3, 1973;
Bertsekas & Gallager, *Data Networks*, 2nd ed., 1992, sec. 5.6) is the Frank-Wolfe method on the
total delay ``sum_a f_a (L / (C_a - f_a) + P_a)`` of M/M/1 arcs (Kleinrock's independence model),
which is the demand-weighted mean delay times the total rate: each iteration routes all demand on
shortest paths under the *marginal* delays ``L C_a / (C_a - f_a)^2 + P_a`` and moves the flow toward
them by the step that minimises the total (a bisection on the derivative: the total is convex). Flows
are kept per destination, so the result is a split every node can forward with. Near and above
capacity the delay is continued by its second-order Taylor polynomial at ``0.99 C`` (as Bertsekas &
Gallager suggest), so that an overloaded start still has a finite, convex cost.

It knows the epoch's demand (an oracle, not a protocol): it is the floor the report plots.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distlab.routing import EpochState, flows, next_hops, split_from_next_hop, tail_incidence
from distlab_routing.params import OptimalParams

__all__ = ["Optimal", "total_delay"]

_EDGE = 0.99


def total_delay(flow: Any, capacity: Any, prop: Any, packet_bits: float) -> tuple[float, Any]:
    """The M/M/1 total delay of arc flows (rate x seconds) and its gradient (the marginal delays).

    Examples:
        >>> import numpy as np
        >>> d, g = total_delay(np.array([500.0]), np.array([1000.0]), np.array([0.0]), 1.0)
        >>> round(d, 6), round(float(g[0]), 6)  # 500 / 500; 1000 / 500**2
        (1.0, 0.004)
    """
    f = np.asarray(flow, dtype=np.float64)
    c = capacity
    x0 = _EDGE * c
    inside = f < x0
    fi = np.where(inside, f, 0.0)
    t = fi * packet_bits / (c - fi)
    g = packet_bits * c / (c - fi) ** 2
    # Taylor continuation at x0: value, slope and curvature of L f / (C - f).
    v0 = packet_bits * x0 / (c - x0)
    d1 = packet_bits * c / (c - x0) ** 2
    d2 = 2 * packet_bits * c / (c - x0) ** 3
    dx = f - x0
    t = np.where(inside, t, v0 + d1 * dx + 0.5 * d2 * dx**2)
    g = np.where(inside, g, d1 + d2 * dx)
    return float(np.sum(t + f * prop)), g + prop


class Optimal:
    """Flow deviation (Fratta, Gerla & Kleinrock 1973) on this epoch's demand, warm-started from the last epoch.

    Args:
        params: its parameters.
    """

    def __init__(self, params: OptimalParams | None = None) -> None:
        self.params = params or OptimalParams()
        self.last: tuple[Any, Any, Any] | None = None

    def _tree(self, state: EpochState, weights: Any) -> Any:
        net = state.network
        _, nxt = next_hops(net, weights, state.up)
        split = split_from_next_hop(net, nxt)
        per = np.zeros((net.nodes, net.arcs))
        flows(split, state.demand_bps, net.tail, net.head, net.arc_ptr, net.arc_order, per)
        return per, split

    def route(self, state: EpochState) -> Any:
        """The split of the (near-)optimal flows."""
        net = state.network
        cap, prop = net.capacity_bps, net.prop_s
        # One packet's transmission time at idle is L / C: recover L from what the world shows.
        bits = float(np.median((state.idle_delay_s - prop) * cap))
        x, split = self._tree(state, state.idle_delay_s)
        if self.last is not None and np.array_equal(self.last[0], state.up) and np.array_equal(self.last[1], state.demand_bps):
            x = self.last[2]  # the same problem as last epoch: start from its answer
        for _ in range(self.params.iterations):
            f = x.sum(axis=0)
            value, grad = total_delay(f, cap, prop, bits)
            y, _ = self._tree(state, np.maximum(grad, 1e-15))
            direction = y - x
            fd = direction.sum(axis=0)
            gap = -float(np.dot(grad, fd))
            if gap <= self.params.tolerance * max(value, 1e-300):
                break
            lo, hi = 0.0, 1.0
            for _ in range(40):
                mid = (lo + hi) / 2
                _, g = total_delay(f + mid * fd, cap, prop, bits)
                if float(np.dot(g, fd)) > 0:
                    hi = mid
                else:
                    lo = mid
            x = x + lo * direction
        self.last = (state.up.copy(), state.demand_bps.copy(), x)
        return self._split(state, x, split)

    @staticmethod
    def _split(state: EpochState, x: Any, fallback: Any) -> Any:
        net = state.network
        # Mixing trees can send one destination's flow both ways over a link: cancel the common part,
        # which only lowers every arc's load (and so the total delay), and leaves no two-arc loops.
        both = np.minimum(x[:, 0::2], x[:, 1::2])
        x = x.copy()
        x[:, 0::2] -= both
        x[:, 1::2] -= both
        out = np.asarray(x @ tail_incidence(net))  # [d, u]: flow for d leaving u
        through = out[:, net.tail]
        split = np.where(through > 0, x / np.where(through > 0, through, 1.0), fallback)
        # Where a node carries nothing for a destination, its shares come from the first tree, whole.
        idle = np.zeros((net.nodes, net.nodes), dtype=bool)
        idle[:] = out <= 0
        split = np.where(idle[:, net.tail], fallback, split)
        return split
