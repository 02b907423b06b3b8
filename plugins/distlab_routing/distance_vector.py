"""Distance vector: Bellman-Ford by message exchange between neighbours, as RIP does it.

No library simulates the protocol's dynamics, so they are written here. The model follows RIP
(RFC 2453): hop counts, infinity 16 (sec. 3.4.1 and 3.6); each round every node sends its whole
vector to each working neighbour (the periodic update, sec. 3.8); a receiver adopts ``1 + metric`` if
the sender is its current next hop (even when worse) or if it is better than what it has (sec. 3.9.2);
a route not refreshed by its next hop for ``timeout_rounds`` rounds becomes unreachable (sec. 3.8);
a link that fails makes every route through it unreachable at once. Rounds are synchronous: every
message of a round is built from the tables as they were at its start.

Split horizon leaves a route out of the vector sent to its next hop; poisoned reverse sends it as
infinity instead (sec. 3.4.3). On a chain the first ends the count to infinity after a failure; on a
loop of three or more routers neither does (Tanenbaum, *Computer Networks*, sec. 5.2.5; RFC 2453
sec. 3.4.3 says so).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distlab.routing import EpochState, SinglePath
from distlab_routing.params import DistanceVectorParams

__all__ = ["DistanceVector"]


class DistanceVector:
    """RIP-like distance vector, ``rounds_per_epoch`` exchange rounds per epoch; the tables persist.

    Attributes:
        dist: ``[node, destination]`` hop counts (``infinity``: unreachable).
        via: ``[node, destination]`` the next-hop node, or -1.
        rounds: rounds run since the last topology change.
        last_change: the round (since that change) in which a table last changed.
        messages: messages sent in the rounds up to ``last_change``.

    Args:
        params: its parameters.
    """

    def __init__(self, params: DistanceVectorParams | None = None) -> None:
        self.params = params or DistanceVectorParams()
        self.dist: Any = None
        self.via: Any = None
        self.age: Any = None
        self.up: Any = None
        self.rounds = 0
        self.last_change = 0
        self.messages = 0
        self._sent = 0

    def start(self, n: int) -> None:
        """Empty tables: each node knows only itself."""
        inf = self.params.infinity
        self.dist = np.full((n, n), inf, dtype=np.int64)
        np.fill_diagonal(self.dist, 0)
        self.via = np.full((n, n), -1, dtype=np.int64)
        self.age = np.zeros((n, n), dtype=np.int64)

    def link_change(self, tail: Any, head: Any, up: Any) -> None:
        """A topology change: routes through a failed arc become unreachable; the round count restarts."""
        inf = self.params.infinity
        for a in np.flatnonzero(~up):
            lost = self.via[tail[a]] == head[a]
            self.dist[tail[a], lost] = inf
            self.via[tail[a], lost] = -1
        self.rounds = self.last_change = self.messages = self._sent = 0

    def exchange(self, tail: Any, head: Any, up: Any) -> bool:
        """One synchronous round; returns whether any table changed."""
        p = self.params
        inf = p.infinity
        n = self.dist.shape[0]
        old_dist, old_via = self.dist.copy(), self.via.copy()
        dist, via = self.dist, self.via
        refreshed = np.zeros((n, n), dtype=bool)
        adverts = []
        for a in np.flatnonzero(up):
            u, v = tail[a], head[a]  # u advertises to v
            vector = old_dist[u].copy()
            omit = np.zeros(n, dtype=bool)
            if p.poisoned_reverse:
                vector[old_via[u] == v] = inf
            elif p.split_horizon:
                omit = old_via[u] == v
            omit[v] = True
            adverts.append((u, v, np.minimum(vector + 1, inf), omit))
        # A round's messages arrive together: the next hop's word is taken first (even when worse), then
        # any better offer. So a router that loses its route takes a neighbour's stale one in the same
        # round, as it does when the messages race (the triangle's count to infinity).
        for u, v, cand, omit in adverts:
            take = (old_via[v] == u) & ~omit
            dist[v, take] = cand[take]
            via[v, take] = np.where(cand[take] >= inf, -1, u)
            refreshed[v, take] = True
        for u, v, cand, omit in adverts:
            take = (cand < dist[v]) & ~omit
            dist[v, take] = cand[take]
            via[v, take] = u
            refreshed[v, take] = True
        sent = len(adverts)
        self.age = np.where(refreshed, 0, self.age + 1)
        expired = (self.age >= p.timeout_rounds) & (via >= 0)
        dist[expired] = inf
        via[expired] = -1
        self._sent += sent
        self.rounds += 1
        changed = bool(np.any(dist != old_dist) or np.any(via != old_via))
        if changed:
            self.last_change = self.rounds
            self.messages = self._sent
        return changed

    def route(self, state: EpochState) -> Any:
        """Run this epoch's rounds (to convergence in the first epoch), then forward on the tables."""
        net = state.network
        if self.dist is None:
            self.start(net.nodes)
            self.up = state.up.copy()
            for _ in range(max(64, 4 * self.params.infinity)):
                if not self.exchange(net.tail, net.head, state.up) and self.rounds > self.params.timeout_rounds:
                    break
        else:
            if not np.array_equal(self.up, state.up):
                self.link_change(net.tail, net.head, state.up)
                self.up = state.up.copy()
            for _ in range(self.params.rounds_per_epoch):
                self.exchange(net.tail, net.head, state.up)
        return SinglePath(self.next_arcs(net, state.up), net.arcs)  # next arcs: routed without a split

    def next_arcs(self, net: Any, up: Any) -> Any:
        """``[destination, node]`` the arc to the next hop (-1 where unreachable)."""
        n = net.nodes
        lookup = np.full(n * n, -1, dtype=np.int64)
        ups = np.flatnonzero(up)[::-1]
        lookup[net.tail[ups] * n + net.head[ups]] = ups
        via = self.via
        reach = (self.dist < self.params.infinity) & (via >= 0)
        arcs = np.where(reach, lookup[np.arange(n)[:, None] * n + np.maximum(via, 0)], -1)
        return arcs.T.copy()

    def protocol_stats(self) -> tuple[int, int]:
        """Rounds from the last topology change until the tables last changed, and the messages sent then."""
        return self.last_change, self.messages
