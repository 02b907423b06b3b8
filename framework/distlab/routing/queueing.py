"""The delay of one arc: propagation plus the sojourn of an M/M/1 or M/M/1/K queue.

Sojourn (waiting + transmission) of M/M/1: ``1 / (mu - lambda)`` with ``mu = C / L`` packets per
second (Kleinrock, *Queueing Systems* vol. 1, 1975, sec. 3.2). M/M/1/K: ``N / (lambda (1 - P_K))`` with
the blocking probability ``P_K = (1 - rho) rho^K / (1 - rho^(K+1))`` and the mean number in system
``N = rho / (1 - rho) - (K + 1) rho^(K+1) / (1 - rho^(K+1))`` (ibid., sec. 3.6), evaluated for
``rho > 1`` in powers of ``1 / rho`` so that nothing overflows. With an infinite buffer an
overloaded arc (``rho >= 1``) carries its capacity and loses the excess; its delay is taken at
``rho = 0.999`` (finite, and far above every stable arc's).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["RHO_CAP", "arc_delay"]

FloatArray = npt.NDArray[np.float64]

RHO_CAP = 0.999
"""The utilisation at which an infinite-buffer arc's delay is evaluated when it is overloaded."""


def arc_delay(load_bps: FloatArray, capacity_bps: FloatArray, prop_s: FloatArray, packet_bits: float,
              model: str = "mm1k", buffer_packets: int = 100) -> tuple[FloatArray, FloatArray]:
    """Mean delay per packet and the share of traffic lost, for every arc.

    Args:
        load_bps: offered load of each arc.
        capacity_bps: capacity of each arc.
        prop_s: propagation delay of each arc.
        packet_bits: mean packet size.
        model: ``"mm1"`` or ``"mm1k"``.
        buffer_packets: K of M/M/1/K.

    Returns:
        ``(delay_s, loss)``: propagation + sojourn, and the share of the offered load that is lost.

    Examples:
        >>> import numpy as np
        >>> d, loss = arc_delay(np.array([0.5e6]), np.array([1e6]), np.array([0.0]), 1000.0, "mm1")
        >>> float(d[0]), float(loss[0])  # 1 / (1000 - 500) packets/s
        (0.002, 0.0)
    """
    mu = capacity_bps / packet_bits
    rho = load_bps / capacity_bps
    if model == "mm1":
        r = np.minimum(rho, RHO_CAP)
        sojourn = 1.0 / (mu * (1.0 - r))
        loss = np.where(rho > 1.0, 1.0 - 1.0 / np.maximum(rho, 1.0), 0.0)
        return prop_s + sojourn, loss
    k = float(buffer_packets)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        below = rho < 1.0 - 1e-9
        above = rho > 1.0 + 1e-9
        lo = np.where(below, rho, 0.5)
        rk = lo ** (k + 1)
        p_lo = (1 - lo) * lo**k / (1 - rk)
        n_lo = lo / (1 - lo) - (k + 1) * rk / (1 - rk)
        hi = np.where(above, rho, 2.0)
        s = 1.0 / hi
        sk = s ** (k + 1)
        p_hi = (1 - s) / (1 - sk)
        n_hi = hi / (1 - hi) + (k + 1) / (1 - sk)
        p = np.where(below, p_lo, np.where(above, p_hi, 1.0 / (k + 1)))
        n = np.where(below, n_lo, np.where(above, n_hi, k / 2.0))
        lam = rho * mu
        carried = lam * (1 - p)
        sojourn = np.where(carried > 0, n / np.where(carried > 0, carried, 1.0), 1.0 / mu)
    return prop_s + sojourn, np.where(rho > 0, p, 0.0)
