"""The ARPANET's two delay-driven link metrics for SPF routing: D-SPF (1979) and HN-SPF (1987).

Both compute shortest paths on link costs every node floods; they differ in the cost.

- **D-SPF** (McQuillan, Richer & Rosen, "The new routing algorithm for the ARPANET", IEEE Trans.
  Commun. 28(5), 1980, sec. III): a link's cost is its packet delay (queueing + transmission +
  propagation) averaged over a 10 s period; a node reports a new cost when it differs from the last
  reported one by more than a threshold that falls with the time since that report (so that a cost is
  reported at least every 50 s), and every node recomputes its routes on every update. Under heavy
  load all nodes see the same loaded links at once and move their traffic together, so the loaded
  and the unloaded links swap roles each period: the oscillation Khanna & Zinky describe (1989, sec. 3).
- **HN-SPF** (Khanna & Zinky, "The revised ARPANET routing metric", SIGCOMM 1989, sec. 4): the
  measured delay is turned into a utilisation with the M/M/1 formula, averaged with the last value
  (a low-pass filter), mapped to a cost that is flat (the idle cost) at low utilisation and rises to
  at most ``ceiling`` (about 3) times the idle cost; a cost may move by at most about half a hop per
  update, and changes below a minimum are not reported. Idle costs differ by line type; here the idle
  cost grows with a link's idle delay, within a factor 7/3, so that the dearest cost (3 x 7/3) is at
  most 7 times the cheapest (the paper's range of costs between line types). A few links move at a
  time, so routes shift gradually and settle near an equilibrium instead of oscillating.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distlab.routing import EpochState
from distlab_routing.params import AdaptiveDelayParams, HnSpfParams
from distlab_routing.static import shortest

__all__ = ["AdaptiveDelay", "HnSpf", "hn_cost"]


class AdaptiveDelay:
    """D-SPF (McQuillan et al. 1980, sec. III): routes on the measured delay of the last 10 s period.

    The epoch is the measurement period (the world's ``epoch_s``, 10 s by default). A link's cost is
    re-reported when it changed by more than ``threshold_ms`` minus ``decay_ms_per_s`` per second since
    its last report; routes are recomputed at every epoch with the reported costs.

    Args:
        params: its parameters.
    """

    def __init__(self, params: AdaptiveDelayParams | None = None) -> None:
        self.params = params or AdaptiveDelayParams()
        self.reported: Any = None
        self.since: Any = None
        self.last_time = 0.0

    def route(self, state: EpochState) -> Any:
        """Shortest paths on the last reported delays."""
        if self.reported is None:
            self.reported = state.delay_s.copy()
            self.since = np.zeros(state.network.arcs)
        else:
            self.since += state.time_s - self.last_time
            threshold = np.maximum(0.0, self.params.threshold_ms - self.params.decay_ms_per_s * self.since) * 1e-3
            report = np.abs(state.delay_s - self.reported) > threshold
            report |= self.since >= self.params.threshold_ms / max(self.params.decay_ms_per_s, 1e-300)
            self.reported = np.where(report, state.delay_s, self.reported)
            self.since = np.where(report, 0.0, self.since)
        self.last_time = state.time_s
        return shortest(state, self.reported)


def hn_cost(utilization: Any, idle: Any, knee: float, full: float, ceiling: float) -> Any:
    """HN-SPF's cost curve (Khanna & Zinky 1989, sec. 4): ``idle`` up to ``knee``, rising linearly to
    ``ceiling x idle`` at ``full`` and flat beyond.

    Examples:
        >>> float(hn_cost(0.3, 1.0, 0.5, 0.9, 3.0)), float(hn_cost(0.7, 1.0, 0.5, 0.9, 3.0)), float(hn_cost(1.0, 1.0, 0.5, 0.9, 3.0))
        (1.0, 2.0, 3.0)
    """
    rise = np.clip((np.asarray(utilization) - knee) / max(full - knee, 1e-12), 0.0, 1.0)
    return idle * (1.0 + (ceiling - 1.0) * rise)


class HnSpf:
    """HN-SPF (Khanna & Zinky 1989): a bounded, damped, utilisation-based cost for SPF routing.

    Each epoch: the measured delay ``D`` of a link becomes a utilisation ``1 - S / (D - P)`` (M/M/1, with
    ``S`` one packet's transmission and ``P`` the propagation), is averaged with the last average
    (half each), mapped by :func:`hn_cost`, limited to ``max_up``/``max_down`` hops of change from the
    last reported cost, and reported only if it moved by at least ``min_change`` hops. A hop is the
    cheapest idle cost (1.0).

    Args:
        params: its parameters.
    """

    def __init__(self, params: HnSpfParams | None = None) -> None:
        self.params = params or HnSpfParams()
        self.util: Any = None
        self.cost: Any = None
        self.idle: Any = None

    def route(self, state: EpochState) -> Any:
        """Shortest paths on the revised costs."""
        p = self.params
        net = state.network
        if self.cost is None:
            # Idle cost by "line type": 1 hop for the fastest, shortest links, up to 7/3 for slow or long ones.
            idle = state.idle_delay_s / float(np.min(state.idle_delay_s))
            self.idle = np.clip(idle, 1.0, 7.0 / 3.0)
            self.cost = self.idle.copy()
            self.util = np.zeros(net.arcs)
        else:
            service = state.idle_delay_s - net.prop_s
            queue = np.maximum(state.delay_s - net.prop_s, service)
            measured = np.clip(1.0 - service / queue, 0.0, 1.0)
            self.util = 0.5 * measured + 0.5 * self.util
            target = hn_cost(self.util, self.idle, p.knee, p.full, p.ceiling)
            step = np.clip(target - self.cost, -p.max_down, p.max_up)
            self.cost = np.where(np.abs(step) >= p.min_change, self.cost + step, self.cost)
        return shortest(state, self.cost)
