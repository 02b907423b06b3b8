"""Pre-copy, then a brief stop-and-copy when a stop policy fires: QEMU's, Xen's, or a fixed round count.

- ``qemu`` (migration/migration.c, ``migration_iteration_run``): stop when the bytes still dirty fit in
  the downtime limit at the bandwidth measured in the last round, i.e. ``remaining <= bandwidth x
  downtime_limit``; pre-copy runs under ``max-bandwidth`` (128 MiB/s by default) and the final copy at
  the full link.
- ``xen``: Xen's save loop with its dynamic rate limit, in one of two rules (``xen_rate_rule``, see
  :class:`XenRate`), and the skip of pages written again during a round (on unless ``skip_redirtied``
  is false). Rates are in Xen's Mbit/s of 2**20 bit/s: xc_linux_save.c enforces ``mbit_rate`` as a
  100 KiB burst every ``RATE_TO_BTU / mbit_rate`` microseconds, with RATE_TO_BTU = 781250.
- ``rounds``: stop after ``rounds`` rounds (or earlier if nothing is dirty).

Not modelled for Xen: its pseudo-random scan order (pages go in ascending order), its page-table
canonicalisation and "fix-up" pages, and the burst granularity of its rate limiter (a round runs at a
constant rate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distlab_migration.strategies.common import AutoConverge, configure

if TYPE_CHECKING:
    from distlab.migration import Round, Session

    from distlab_migration.strategies.params import HybridParams

__all__ = ["XEN_MBIT_S", "Hybrid", "XenRate", "qemu_should_stop", "xen_dirty_rate"]

_MIB_S_TO_MBIT_S = 8 * 1048576 / 1e6

XEN_MBIT_S = 2**20 / 1e6
"""One of Xen's Mbit/s in the study's Mbit/s (10**6 bit/s): xc_linux_save.c's limiter sends a 100 KiB burst
(819,200 bits) every ``781250 / mbit_rate`` microseconds, i.e. ``mbit_rate * 2**20`` bit/s."""

_PAPER_REMAINING_BYTES = 256 * 1024
"""Clark et al. 2005, section 5.3: pre-copy ends "when less than 256 KB remains to be transferred"."""


def qemu_should_stop(rnd: Round, downtime_limit_ms: float) -> bool:
    """QEMU's rule: the remaining bytes can be sent within the downtime limit at the measured bandwidth."""
    bandwidth_bytes_s = rnd.bytes_sent / rnd.duration_s if rnd.duration_s > 0 else rnd.rate_mbit_s * 1e6 / 8
    return bool(rnd.bytes_dirty <= bandwidth_bytes_s * downtime_limit_ms / 1e3)


def xen_dirty_rate(rnd: Round, page_size_bytes: int) -> int:
    """The dirtying rate of a round as Xen's ``print_stats`` measures it (whole 10**6 bit/s).

    ``dirty_count * PAGE_SIZE / (wall_delta * 125)``, in integers, with the round's wall time in whole
    milliseconds (at least 1): bytes per 125 ms-units, i.e. bits per microsecond.
    """
    wall_ms = max(1, int(rnd.duration_s * 1e3))
    return int(rnd.pages_dirty * page_size_bytes // (wall_ms * 125))


class XenRate:
    """Xen's dynamic rate limit and stop test, by one of two rules.

    ``code`` (tools/libxc/xc_linux_save.c, ``print_stats`` and the end of the save loop): the limit
    starts at ``xen_rate_start_mbit_s``; after each round, if the round's dirtying rate exceeds the
    limit, the limit becomes that rate plus ``xen_rate_step_mbit_s``, at most ``xen_rate_max_mbit_s``
    (otherwise it stays). Pre-copy stops when a round run at the maximum sent more pages than the one
    before it, when a round's pages to send (sent plus skipped) were fewer than ``xen_min_dirty_pages``,
    after ``xen_max_iterations``, or once more than ``xen_max_sent_factor`` times memory was sent. The
    final iteration runs at the limit as updated from the last round (the limiter stays on).

    ``paper`` (Clark et al., "Live Migration of Virtual Machines", NSDI 2005, section 5.3): the first
    round runs at the start rate; each next round's limit is the previous round's dirtying rate plus
    the step, at least the start rate. Pre-copy stops when that computed rate exceeds the maximum, or
    when less than 256 KiB remains (and on the code's iteration and sent-factor bounds, which the paper's
    implementation has); the final stop-and-copy runs at the maximum rate.

    Both measure the dirtying rate as the code does (:func:`xen_dirty_rate`). Rates are in Xen's Mbit/s.
    In the xc_linux_save.c read for this model the limiter is compiled only with ``ADAPTIVE_SAVE``;
    without it Xen writes at full speed and its "sent more at the maximum" test never fires (use
    ``stop_policy=rounds`` or ``qemu`` with no cap for that build).
    """

    def __init__(self, params: HybridParams) -> None:
        self.params = params
        self.limit = float(params.xen_rate_start_mbit_s)
        # Xen "pretends we sent all the pages last iteration" before the first one.
        self.sent_last: int | None = None

    @property
    def rate_mbit_s(self) -> float:
        """The current limit in the study's Mbit/s (10**6 bit/s)."""
        return self.limit * XEN_MBIT_S

    def after_round(self, session: Session, rnd: Round) -> tuple[bool, bool]:
        """Update the limit from ``rnd``; return (stop pre-copy now, the stop is convergence)."""
        p = self.params
        dirty_rate = xen_dirty_rate(rnd, session.page_size_bytes)
        bounds = rnd.index >= p.xen_max_iterations or session.total_pages_sent > p.xen_max_sent_factor * session.pages
        if p.xen_rate_rule == "code":
            sent_last = session.pages if self.sent_last is None else self.sent_last
            at_max = self.limit == p.xen_rate_max_mbit_s
            few = rnd.pages_sent + rnd.pages_skipped < p.xen_min_dirty_pages
            stop = (rnd.pages_sent > sent_last and at_max) or bounds or few
            if dirty_rate > self.limit:
                self.limit = min(dirty_rate + p.xen_rate_step_mbit_s, p.xen_rate_max_mbit_s)
            self.sent_last = rnd.pages_sent
            return stop, few
        computed = dirty_rate + p.xen_rate_step_mbit_s
        small = rnd.bytes_dirty < _PAPER_REMAINING_BYTES
        stop = computed > p.xen_rate_max_mbit_s or small or bounds
        self.limit = p.xen_rate_max_mbit_s if stop else max(float(p.xen_rate_start_mbit_s), computed)
        return stop, small


class Hybrid:
    """Pre-copy rounds until the stop policy fires, then stop-and-copy."""

    def __init__(self, params: HybridParams) -> None:
        self.params = params
        self.auto_converge = AutoConverge(params)

    def _bound(self) -> int:
        p = self.params
        return {"qemu": p.max_rounds, "xen": p.xen_max_iterations, "rounds": p.rounds}[p.stop_policy]

    def migrate(self, session: Session) -> None:
        p = self.params
        configure(session, p, skip_redirtied_default=p.stop_policy == "xen")
        xen = XenRate(p) if p.stop_policy == "xen" else None
        cap = None
        if p.stop_policy == "qemu" and p.bandwidth_cap_mib_s is not None:
            cap = p.bandwidth_cap_mib_s * _MIB_S_TO_MBIT_S
        for index in range(1, self._bound() + 1):
            rnd = session.precopy_round(xen.rate_mbit_s if xen is not None else cap)
            if xen is not None:
                stop, converged = xen.after_round(session, rnd)
            elif p.stop_policy == "qemu":
                stop = qemu_should_stop(rnd, p.downtime_limit_ms)
                converged = stop
            else:
                stop = rnd.pages_dirty == 0 or index >= p.rounds
                converged = True  # stopping after a fixed count is this policy's own condition
            if stop:
                session.stop_and_copy(converged=converged, rate_limit_mbit_s=xen.rate_mbit_s if xen else None)
                return
            self.auto_converge.after_round(session, rnd)
        session.stop_and_copy(converged=False, rate_limit_mbit_s=xen.rate_mbit_s if xen else None)
