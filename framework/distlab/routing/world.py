"""The routing world: its parameters (:class:`RoutingWorld`) and the network a topology builds (:class:`Network`).

A network is an undirected graph of full-duplex links; each link is two *arcs* (one per direction),
each with its own capacity and queue. Arcs are numbered so that arc ``2 * i`` runs from
``link_u[i]`` to ``link_v[i]`` and arc ``2 * i + 1`` back; :attr:`Network.arc_ptr` lists them by tail
node as well (a CSR layout), which the kernels walk.

Upper bounds, and where they come from:

- at most :data:`MAX_NODES` nodes: the engine keeps per-destination state of ``nodes x arcs`` floats
  (about 0.5 GiB at 4096 nodes of degree 4);
- at most :data:`MAX_EPOCHS` epochs of at most :data:`MAX_EPOCH_S` seconds (the trace is one row per
  epoch);
- rates at most :data:`MAX_CAPACITY_MBIT_S` (a petabit per second), so that loads in bit/s stay exact
  in float64 sums;
- a finite buffer of at most :data:`MAX_BUFFER_PACKETS` packets (the M/M/1/K formulas are evaluated in
  a form that does not overflow, but a larger buffer is an infinite one for every purpose here).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from distlab.errors import ConfigError, ParameterError
from distlab.params import param

__all__ = ["MAX_BUFFER_PACKETS", "MAX_CAPACITY_MBIT_S", "MAX_EPOCHS", "MAX_EPOCH_S", "MAX_NODES", "Network",
           "RoutingWorld", "haversine_km", "network_from_links"]

MAX_NODES = 4096
"""The most nodes a topology may have."""
MAX_EPOCHS = 10_000
"""The most epochs a trial may simulate."""
MAX_EPOCH_S = 86_400.0
"""The longest epoch (a day)."""
MAX_CAPACITY_MBIT_S = 1e9
"""The largest link capacity (a petabit per second)."""
MAX_BUFFER_PACKETS = 100_000
"""The largest finite buffer of the M/M/1/K queue."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclasses.dataclass(frozen=True)
class RoutingWorld:
    """Everything about the world a routing algorithm acts in: time, links and queues, failures.

    Delay of an arc = propagation (``us_per_km`` times the link's length) + the mean time a packet
    spends in the arc's queue and on the wire (M/M/1 sojourn, or M/M/1/K with a finite buffer).
    """

    epochs: int = param(60, "epochs per trial", ge=1, le=MAX_EPOCHS)
    epoch_s: float = param(10.0, "epoch length in seconds (D-SPF's 10 s measurement period)", gt=0.0, le=MAX_EPOCH_S)
    capacity_mbit_s: float = param(100.0, "link capacity per direction (the base of the capacity rule)", gt=0.0,
                                   le=MAX_CAPACITY_MBIT_S)
    capacity_rule: str = param("uniform", "uniform: every link the base; degree: base x sqrt(deg u x deg v) / "
                               "mean degree; distance: base x mean length / length, clipped to [1/4, 4]",
                               choices=("uniform", "degree", "distance"))
    us_per_km: float = param(5.0, "propagation delay per km of link (5 us/km: light in fibre)", ge=0.0, le=1e6)
    min_length_km: float = param(1.0, "length of a link whose topology gives none or zero", gt=0.0, le=1e5)
    packet_bytes: float = param(1000.0, "mean packet size (service time = packet / capacity)", gt=0.0, le=1e9)
    queue: str = param("mm1k", "queueing model of an arc: mm1 (infinite buffer; the excess of an overloaded "
                       "arc is lost) or mm1k (finite buffer, blocking probability lost)", choices=("mm1", "mm1k"))
    buffer_packets: int = param(100, "the M/M/1/K buffer, packets in the system", ge=1, le=MAX_BUFFER_PACKETS)
    fail_link: int = param(-1, "index of a link that fails (topology order; -1: none)", ge=-1, lt=MAX_NODES**2)
    fail_at_s: float = param(0.0, "time the link fails", ge=0.0, le=MAX_EPOCHS * MAX_EPOCH_S)
    restore_at_s: float = param(-1.0, "time it comes back (negative: never)", le=MAX_EPOCHS * MAX_EPOCH_S)

    @property
    def duration_s(self) -> float:
        """The simulated time of a trial."""
        return self.epochs * self.epoch_s

    def __post_init__(self) -> None:
        if self.restore_at_s >= 0 and self.fail_link >= 0 and self.restore_at_s <= self.fail_at_s:
            raise ParameterError("world.restore_at_s", self.restore_at_s,
                                 f"a time after world.fail_at_s={self.fail_at_s:g} s, or negative for never")


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km between two (longitude, latitude) points, on a sphere of radius 6371 km.

    Examples:
        >>> round(haversine_km(0.0, 0.0, 0.0, 1.0), 1)
        111.2
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


@dataclasses.dataclass(frozen=True)
class Network:
    """A built topology: nodes, full-duplex links, and their arcs with capacity and propagation delay.

    Attributes:
        name: the topology's name.
        names: one name per node.
        link_u, link_v: the two ends of each link (``u < v`` is not required).
        length_km: each link's length.
        capacity_bps: capacity of each arc (bit/s), ``2 * links`` values.
        prop_s: propagation delay of each arc (s).
        tail, head: each arc's ends.
        arc_ptr: arcs by tail: ``arc_order[arc_ptr[u]:arc_ptr[u + 1]]`` are the arcs out of ``u``.
        arc_order: arc ids sorted by tail.
        demands_bps: the topology's own demand matrix (SNDlib's), or None.
    """

    name: str
    names: tuple[str, ...]
    link_u: IntArray
    link_v: IntArray
    length_km: FloatArray
    capacity_bps: FloatArray
    prop_s: FloatArray
    tail: IntArray
    head: IntArray
    arc_ptr: IntArray
    arc_order: IntArray
    demands_bps: FloatArray | None = None

    @property
    def nodes(self) -> int:
        """Number of nodes."""
        return len(self.names)

    @property
    def links(self) -> int:
        """Number of full-duplex links."""
        return len(self.link_u)

    @property
    def arcs(self) -> int:
        """Number of arcs (two per link)."""
        return len(self.tail)

    def arc_index(self) -> IntArray:
        """A ``nodes x nodes`` table: the arc from ``u`` to ``v``, or -1 (parallel links: the first)."""
        table = np.full((self.nodes, self.nodes), -1, dtype=np.int64)
        for a in range(self.arcs - 1, -1, -1):
            table[self.tail[a], self.head[a]] = a
        return table

    def with_capacity(self, capacity_bps: FloatArray) -> Network:
        """The same network with other arc capacities."""
        return dataclasses.replace(self, capacity_bps=np.asarray(capacity_bps, dtype=np.float64))


def network_from_links(
    name: str,
    names: Sequence[str],
    links: Sequence[tuple[int, int]],
    length_km: Sequence[float],
    world: RoutingWorld,
    demands_bps: FloatArray | None = None,
) -> Network:
    """Build a :class:`Network` from a link list, with the world's capacity rule and propagation delay.

    Self-loops are dropped; a zero or missing length becomes ``world.min_length_km``.

    Args:
        name: the topology's name.
        names: one name per node.
        links: ``(u, v)`` node indices of each full-duplex link.
        length_km: each link's length.
        world: the world (capacity rule, ``us_per_km``).
        demands_bps: the topology's own demand matrix, if it has one.

    Returns:
        The network.

    Raises:
        ConfigError: fewer than two nodes, no links, or too many nodes.
    """
    n = len(names)
    if n < 2 or n > MAX_NODES:
        raise ConfigError(f"topology {name!r} has {n} nodes; a routing world needs 2 to {MAX_NODES}")
    kept = [(int(u), int(v), float(d)) for (u, v), d in zip(links, length_km) if int(u) != int(v)]
    if not kept:
        raise ConfigError(f"topology {name!r} has no links")
    lu = np.array([k[0] for k in kept], dtype=np.int64)
    lv = np.array([k[1] for k in kept], dtype=np.int64)
    length = np.array([k[2] if k[2] > 0 and math.isfinite(k[2]) else world.min_length_km for k in kept])
    degree = np.bincount(np.concatenate([lu, lv]), minlength=n).astype(np.float64)
    base = world.capacity_mbit_s * 1e6
    if world.capacity_rule == "degree":
        cap = base * np.sqrt(degree[lu] * degree[lv]) / max(float(degree.mean()), 1e-9)
    elif world.capacity_rule == "distance":
        cap = base * np.clip(float(length.mean()) / length, 0.25, 4.0)
    else:
        cap = np.full(len(kept), base)
    tail = np.empty(2 * len(kept), dtype=np.int64)
    head = np.empty_like(tail)
    tail[0::2], head[0::2], tail[1::2], head[1::2] = lu, lv, lv, lu
    order = np.argsort(tail, kind="stable").astype(np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=ptr[1:])
    return Network(
        name=name, names=tuple(str(s) for s in names), link_u=lu, link_v=lv, length_km=length,
        capacity_bps=np.repeat(cap, 2), prop_s=np.repeat(length * world.us_per_km * 1e-6, 2),
        tail=tail, head=head, arc_ptr=ptr, arc_order=order, demands_bps=demands_bps,
    )
