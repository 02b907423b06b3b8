"""Static and slowly adapting algorithms: fewest hops, least propagation delay, ECMP, long-term average delay.

All are link-state shortest-path routing (every node knows the whole topology, as in the ARPANET's SPF,
McQuillan et al. 1980, sec. II); they differ only in the link cost. Routes follow the working links of
each epoch: a failure is known at once (flooding is fast next to an epoch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distlab.routing import EpochState, SinglePath, ecmp_split, next_hops
from distlab_routing.params import AvgDelayParams, EcmpParams, MinDelayParams, MinHopParams

__all__ = ["AvgDelay", "Ecmp", "MinDelay", "MinHop", "shortest"]

# Ties between equal costs are broken towards fewer hops by a cost far below any real difference.
_HOP_TIEBREAK = 1e-9


def shortest(state: EpochState, cost: Any) -> Any:
    """Shortest paths on ``cost`` (per arc) over the working arcs, as next arcs (the split they stand for
    is ``np.asarray`` of the result; the engine routes next arcs without building it)."""
    _, nxt = next_hops(state.network, np.asarray(cost, dtype=np.float64) + _HOP_TIEBREAK, state.up)
    return SinglePath(nxt, state.network.arcs)


class MinHop:
    """Fewest hops: every link costs 1 (the course's first answer, and not always the best one).

    Args:
        params: its parameters.
    """

    def __init__(self, params: MinHopParams | None = None) -> None:
        self.params = params or MinHopParams()

    def route(self, state: EpochState) -> Any:
        """Fewest-hop paths."""
        return shortest(state, np.ones(state.network.arcs))


class MinDelay:
    """Least delay at no load: a link costs its propagation plus one packet's transmission (static).

    Args:
        params: its parameters.
    """

    def __init__(self, params: MinDelayParams | None = None) -> None:
        self.params = params or MinDelayParams()

    def route(self, state: EpochState) -> Any:
        """Shortest paths on idle delay."""
        return shortest(state, state.idle_delay_s)


class Ecmp:
    """Equal-cost multipath: an even split over every next hop that starts a shortest path (RFC 2992's
    per-flow hashing, taken as a fluid split).

    Args:
        params: its parameters.
    """

    def __init__(self, params: EcmpParams | None = None) -> None:
        self.params = params or EcmpParams()

    def route(self, state: EpochState) -> Any:
        """The even split."""
        cost = np.ones(state.network.arcs) if self.params.metric == "hops" else state.idle_delay_s
        return ecmp_split(state.network, cost, state.up)


class AvgDelay:
    """Routes on a long-term average of measured delay: an exponential moving average (weight ``alpha``
    per epoch), routes recomputed every ``update_epochs`` epochs. Slow enough to follow trends, not the
    noise or its own effect (the course's "long-term average network conditions").

    Args:
        params: its parameters.
    """

    def __init__(self, params: AvgDelayParams | None = None) -> None:
        self.params = params or AvgDelayParams()
        self.average: Any = None
        self.split: Any = None
        self.up: Any = None

    def route(self, state: EpochState) -> Any:
        """The routes of the last update (recomputed at once when a link fails or returns)."""
        p = self.params
        if self.average is None:
            self.average = state.idle_delay_s.copy()
        elif state.epoch > 0:
            self.average = (1 - p.alpha) * self.average + p.alpha * state.delay_s
        changed = self.up is None or not np.array_equal(self.up, state.up)
        if changed or state.epoch % p.update_epochs == 0 or self.split is None:
            self.split = shortest(state, self.average)
            self.up = state.up.copy()
        return self.split
