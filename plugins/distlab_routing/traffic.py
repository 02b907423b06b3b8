"""Traffic: demand matrices (uniform, gravity, hotspot, SNDlib's measured ones) and how they vary in time.

Every traffic component carries ``load``: the engine scales its matrix so that the busiest link under
fewest-hop routing runs at that utilisation, which makes loads comparable across topologies. The
patterns (``step``, ``diurnal``, ``random_walk``) multiply the whole matrix, epoch by epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distlab import ConfigError
from distlab.routing import Network
from distlab_routing.params import GravityParams, HotspotParams, SndlibParams, UniformParams

__all__ = ["Gravity", "Hotspot", "Sndlib", "Uniform"]


class _Patterned:
    def __init__(self, params: Any) -> None:
        self.params = params
        self.load = float(params.load)

    def pattern(self, times_s: Any, rng: np.random.Generator) -> Any:
        """One demand factor per epoch start time."""
        p = self.params
        t = np.asarray(times_s, dtype=np.float64)
        if p.pattern == "step":
            return np.where(t >= p.step_at_s, p.step_factor, 1.0)
        if p.pattern == "diurnal":
            return 1.0 + p.amplitude * np.sin(2 * np.pi * t / p.period_s)
        if p.pattern == "random_walk":
            steps = rng.normal(0.0, p.walk_sigma, size=len(t))
            steps[0] = 0.0
            return np.clip(np.exp(np.cumsum(steps)), 0.25, 4.0)
        return np.ones(len(t))


class Uniform(_Patterned):
    """The same rate between every ordered pair of nodes.

    Args:
        params: its parameters.
    """

    def __init__(self, params: UniformParams | None = None) -> None:
        super().__init__(params or UniformParams())

    def matrix(self, network: Network, rng: np.random.Generator) -> Any:
        """Ones off the diagonal."""
        n = network.nodes
        return np.ones((n, n)) - np.eye(n)


class Gravity(_Patterned):
    """The gravity model: rate(s, d) proportional to mass(s) x mass(d) (e.g. Roughan, "Simplifying the
    synthesis of Internet traffic matrices", SIGCOMM CCR 35(5), 2005); the mass is a node's degree or a
    lognormal draw.

    Args:
        params: its parameters.
    """

    def __init__(self, params: GravityParams | None = None) -> None:
        super().__init__(params or GravityParams())

    def matrix(self, network: Network, rng: np.random.Generator) -> Any:
        """The outer product of the masses, zero on the diagonal."""
        if self.params.mass == "random":
            mass = rng.lognormal(0.0, 1.0, network.nodes)
        else:
            mass = np.bincount(np.concatenate([network.link_u, network.link_v]),
                               minlength=network.nodes).astype(np.float64)
        m = np.outer(mass, mass)
        np.fill_diagonal(m, 0.0)
        return m


class Hotspot(_Patterned):
    """Uniform background traffic plus a share of all traffic sent to the highest-degree nodes.

    Args:
        params: its parameters.
    """

    def __init__(self, params: HotspotParams | None = None) -> None:
        super().__init__(params or HotspotParams())

    def matrix(self, network: Network, rng: np.random.Generator) -> Any:
        """Background and hot columns, in the proportion ``share``."""
        n = network.nodes
        k = min(self.params.hotspots, n)
        degree = np.bincount(np.concatenate([network.link_u, network.link_v]), minlength=n)
        hot = np.argsort(-degree, kind="stable")[:k]
        background = np.ones((n, n)) - np.eye(n)
        spot = np.zeros((n, n))
        spot[:, hot] = 1.0
        np.fill_diagonal(spot, 0.0)
        share = self.params.share
        return (1 - share) * background / background.sum() + share * spot / max(spot.sum(), 1e-300)


class Sndlib(_Patterned):
    """The topology's own demand matrix (SNDlib's, as topohub embeds it), scaled to ``load``.

    Args:
        params: its parameters.

    Raises:
        ConfigError: when the topology has no demand matrix (only ``sndlib/*`` topologies have one).
    """

    def __init__(self, params: SndlibParams | None = None) -> None:
        super().__init__(params or SndlibParams())

    def matrix(self, network: Network, rng: np.random.Generator) -> Any:
        """SNDlib's demands."""
        if network.demands_bps is None or not np.any(network.demands_bps > 0):
            raise ConfigError(f"traffic=sndlib needs a topology with SNDlib demands (sndlib/* in topohub: abilene, "
                              f"geant, nobel_eu, ...); {network.name!r} has none. Use gravity, uniform or hotspot.")
        return network.demands_bps.copy()
