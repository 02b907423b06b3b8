"""Pre-copy, then a brief stop-and-copy when a stop policy fires: QEMU's, Xen's, or a fixed round count.

- ``qemu`` (migration/migration.c, ``migration_iteration_run``): stop when the bytes still dirty fit in
  the downtime limit at the bandwidth measured in the last round, i.e. ``remaining <= bandwidth x
  downtime_limit``; pre-copy runs under ``max-bandwidth`` (128 MiB/s by default).
- ``xen`` (tools/libxc/xc_domain_save.c): stop after ``xen_max_iterations`` iterations, or when fewer than
  ``xen_min_dirty_pages`` pages are dirty, or once more than ``xen_max_sent_factor`` times memory has been
  sent; each round's rate limit starts at 100 Mbit/s and grows by 50 Mbit/s up to 500 Mbit/s.
- ``rounds``: stop after ``rounds`` rounds (or earlier if nothing is dirty).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distlab_migration.strategies.common import AutoConverge, configure

if TYPE_CHECKING:
    from distlab.migration import Round, Session

    from distlab_migration.strategies.params import HybridParams

__all__ = ["Hybrid", "qemu_should_stop", "xen_should_stop"]

_MIB_S_TO_MBIT_S = 8 * 1048576 / 1e6


def qemu_should_stop(rnd: Round, downtime_limit_ms: float) -> bool:
    """QEMU's rule: the remaining bytes can be sent within the downtime limit at the measured bandwidth."""
    bandwidth_bytes_s = rnd.bytes_sent / rnd.duration_s if rnd.duration_s > 0 else rnd.rate_mbit_s * 1e6 / 8
    return bool(rnd.bytes_dirty <= bandwidth_bytes_s * downtime_limit_ms / 1e3)


def xen_should_stop(rnd: Round, total_pages_sent: int, pages: int, params: HybridParams) -> bool:
    """Xen's rule, checked after iteration ``rnd.index``."""
    return (
        rnd.index >= params.xen_max_iterations
        or rnd.pages_dirty < params.xen_min_dirty_pages
        or total_pages_sent > params.xen_max_sent_factor * pages
    )


class Hybrid:
    """Pre-copy rounds until the stop policy fires, then stop-and-copy."""

    def __init__(self, params: HybridParams) -> None:
        self.params = params
        self.auto_converge = AutoConverge(params)

    def _rate(self, index: int) -> float | None:
        p = self.params
        if p.stop_policy == "qemu":
            return None if p.bandwidth_cap_mib_s is None else p.bandwidth_cap_mib_s * _MIB_S_TO_MBIT_S
        if p.stop_policy == "xen":
            return min(p.xen_rate_start_mbit_s + (index - 1) * p.xen_rate_step_mbit_s, p.xen_rate_max_mbit_s)
        return None

    def _bound(self) -> int:
        p = self.params
        return {"qemu": p.max_rounds, "xen": p.xen_max_iterations, "rounds": p.rounds}[p.stop_policy]

    def migrate(self, session: Session) -> None:
        p = self.params
        configure(session, p)
        for index in range(1, self._bound() + 1):
            rnd = session.precopy_round(self._rate(index))
            if p.stop_policy == "qemu":
                stop = qemu_should_stop(rnd, p.downtime_limit_ms)
                converged = stop
            elif p.stop_policy == "xen":
                stop = xen_should_stop(rnd, session.total_pages_sent, session.pages, p)
                # Only the dirty-page test is convergence; the other two are bounds giving up.
                converged = rnd.pages_dirty < p.xen_min_dirty_pages
            else:
                stop = rnd.pages_dirty == 0 or index >= p.rounds
                converged = True  # stopping after a fixed count is this policy's own condition
            if stop:
                session.stop_and_copy(converged=converged)
                return
            self.auto_converge.after_round(session, rnd)
        session.stop_and_copy(converged=False)
