"""Topologies: real networks from topohub's embedded data, and synthetic ones.

Real topologies are read with ``topohub.get(key)`` (NetworkX node-link dictionaries bundled with the
package: SNDlib, the Internet Topology Zoo with its ARPANET snapshots, Gabriel graphs, backbones);
topohub's download-based generators are never called. A link's length is topohub's ``dist`` (km)
when it has one, else the great-circle distance between its ends.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from distlab.routing import Network, RoutingWorld, UnknownTopologyError, haversine_km, network_from_links
from distlab_routing.params import GabrielParams, GridParams, RingParams, TopohubParams, WaxmanParams

__all__ = ["SHORTCUTS", "Gabriel", "Grid", "Ring", "Topohub", "Waxman", "topohub_keys"]

SHORTCUTS = {
    "abilene": "sndlib/abilene",
    "geant": "sndlib/geant",
    "nobel_eu": "sndlib/nobel-eu",
    "nobel_us": "sndlib/nobel-us",
    "germany50": "sndlib/germany50",
    "polska": "sndlib/polska",
    "cost266": "sndlib/cost266",
    "janos_us": "sndlib/janos-us",
    "arpanet": "topozoo/Arpanet19728",
}
"""Short component names and the topohub keys they stand for."""


@functools.lru_cache(maxsize=1)
def topohub_keys() -> tuple[str, ...]:
    """Every topohub key embedded in the installed package (``group/name``), sorted."""
    import importlib.resources

    import topohub.data

    root = importlib.resources.files(topohub.data)
    keys: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".json"):
                keys.append(prefix + child.name[: -len(".json")])

    walk(root, "")
    return tuple(sorted(keys))


def _load(key: str, world: RoutingWorld) -> Network:
    import topohub

    if key not in topohub_keys():
        raise UnknownTopologyError(key, [*SHORTCUTS, *topohub_keys()], list(SHORTCUTS))
    topo = topohub.get(key)
    index = {node["id"]: i for i, node in enumerate(topo["nodes"])}
    names = [str(node.get("name", node["id"])) for node in topo["nodes"]]
    pos = [node.get("pos") for node in topo["nodes"]]
    geographic = not key.startswith("gabriel/")
    links, lengths = [], []
    for edge in topo["edges"]:
        u, v = index[edge["source"]], index[edge["target"]]
        d = edge.get("dist")
        if d is None and pos[u] is not None and pos[v] is not None:
            (x1, y1), (x2, y2) = pos[u], pos[v]
            d = haversine_km(x1, y1, x2, y2) if geographic else math.hypot(x2 - x1, y2 - y1)
        links.append((u, v))
        lengths.append(float(d) if d is not None else 0.0)
    demands = None
    raw = topo["graph"].get("demands") or {}
    if raw:
        demands = np.zeros((len(names), len(names)))
        for s, row in raw.items():
            for t, rate in row.items():
                if s in index and t in index:
                    demands[index[s], index[t]] += float(rate)
                elif int(s) < len(names) and int(t) < len(names):
                    demands[int(s), int(t)] += float(rate)
        np.fill_diagonal(demands, 0.0)
    return network_from_links(key, names, links, lengths, world, demands)


class Topohub:
    """Any topology embedded in topohub, by key; an unknown key is refused when the component is made.

    Args:
        params: its parameters.

    Raises:
        UnknownTopologyError: the key is not embedded (with the nearest few keys).
    """

    def __init__(self, params: TopohubParams | None = None, key: str | None = None) -> None:
        self.key = key or (params or TopohubParams()).key
        if self.key not in topohub_keys():
            raise UnknownTopologyError(self.key, [*SHORTCUTS, *topohub_keys()], list(SHORTCUTS))

    def build(self, world: RoutingWorld, rng: np.random.Generator) -> Network:
        """The topology, with the world's capacities and propagation delays."""
        return _load(self.key, world)


class Ring:
    """A ring of equal links: two disjoint paths between every pair, the longer one idle under fewest hops.

    Args:
        params: its parameters.
    """

    def __init__(self, params: RingParams | None = None) -> None:
        self.params = params or RingParams()

    def build(self, world: RoutingWorld, rng: np.random.Generator) -> Network:
        """The ring."""
        n = self.params.nodes
        return network_from_links(f"ring{n}", [f"r{i}" for i in range(n)], [(i, (i + 1) % n) for i in range(n)],
                                  [self.params.length_km] * n, world)


class Grid:
    """A rows x cols mesh (Manhattan street network): many equal-hop paths, ECMP's best case.

    Args:
        params: its parameters.
    """

    def __init__(self, params: GridParams | None = None) -> None:
        self.params = params or GridParams()

    def build(self, world: RoutingWorld, rng: np.random.Generator) -> Network:
        """The grid."""
        r, c = self.params.rows, self.params.cols
        links = [(i * c + j, i * c + j + 1) for i in range(r) for j in range(c - 1)]
        links += [(i * c + j, (i + 1) * c + j) for i in range(r - 1) for j in range(c)]
        return network_from_links(f"grid{r}x{c}", [f"g{i}_{j}" for i in range(r) for j in range(c)], links,
                                  [self.params.length_km] * len(links), world)


def _points(n: int, side: float, seed: int) -> Any:
    return np.random.default_rng(seed).uniform(0.0, side, size=(n, 2))


class Waxman:
    """Waxman's random graph (Waxman, "Routing of multipoint connections", IEEE JSAC 6(9), 1988), on
    points uniform in a square; may be disconnected (then some demand is unserved).

    Args:
        params: its parameters.
    """

    def __init__(self, params: WaxmanParams | None = None) -> None:
        self.params = params or WaxmanParams()

    def build(self, world: RoutingWorld, rng: np.random.Generator) -> Network:
        """The graph, drawn from the component's own seed."""
        p = self.params
        pts = _points(p.nodes, p.side_km, p.seed)
        d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        prob = p.beta * np.exp(-d / (p.alpha * max(float(d.max()), 1e-9)))
        draw = np.random.default_rng([p.seed, 1]).uniform(size=d.shape)
        u, v = np.nonzero(np.triu(draw < prob, k=1))
        return network_from_links(f"waxman{p.nodes}", [f"w{i}" for i in range(p.nodes)], list(zip(u, v)),
                                  list(d[u, v]), world)


class Gabriel:
    """The Gabriel graph of random points (Gabriel & Sokal 1969): a Delaunay edge is kept iff no other
    point lies strictly inside the circle with it as diameter (SciPy's Delaunay and KD-tree).

    Args:
        params: its parameters.
    """

    def __init__(self, params: GabrielParams | None = None) -> None:
        self.params = params or GabrielParams()

    def build(self, world: RoutingWorld, rng: np.random.Generator) -> Network:
        """The graph, drawn from the component's own seed."""
        from scipy.spatial import Delaunay, cKDTree

        p = self.params
        pts = _points(p.nodes, p.side_km, p.seed)
        tri = Delaunay(pts)
        edges = {tuple(sorted((int(s[i]), int(s[j])))) for s in tri.simplices for i, j in ((0, 1), (1, 2), (0, 2))}
        tree = cKDTree(pts)
        links, lengths = [], []
        for u, v in sorted(edges):
            mid, r = (pts[u] + pts[v]) / 2, float(np.hypot(*(pts[u] - pts[v]))) / 2
            inside = [w for w in tree.query_ball_point(mid, r * (1 - 1e-9)) if w not in (u, v)]
            if not inside:
                links.append((u, v))
                lengths.append(2 * r)
        return network_from_links(f"gabriel{p.nodes}", [f"q{i}" for i in range(p.nodes)], links, lengths, world)
