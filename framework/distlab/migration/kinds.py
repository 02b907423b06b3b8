"""The plugin kinds of the migration study: a strategy and a workload (contracts only; cheap to import).

A **strategy** owns one decision procedure: when to stop pre-copy, how fast to send, whether to
throttle the guest, when to switch to post-copy and how far to pre-page. It acts only through the
verbs of a :class:`distlab.migration.session.Session`; the engine owns the memory, the dirty bitmap,
the link, the clock, the encodings (zero pages, XBZRLE) and the metrics.

A **workload** owns which pages the guest touches and when. It acts only through the verbs of a
:class:`distlab.migration.guest.Guest`, which turn its decisions into marks in the dirty bitmap (while
the guest runs at the source) or into faults (while it runs at the destination during post-copy).
Workloads are written in *guest time*: a guest that is throttled or stalled on a fault runs its
workload more slowly in real time, never faster.

Both are created fresh for every trial by their component's factory, from their parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from distlab.migration.guest import Guest
    from distlab.migration.session import Session

__all__ = ["Strategy", "Workload"]


@runtime_checkable
class Strategy(Protocol):
    """Decides when to send which pages, and when to switch over.

    Required:
        ``migrate(session)``: drive one migration through the session's verbs and end it with exactly
        one of ``session.stop_and_copy()`` or ``session.postcopy()``. Typical verbs:
        ``session.configure(...)`` (encodings), ``session.precopy_round(rate_limit_mbit_s)`` (one
        pre-copy iteration, returns a :class:`~distlab.migration.session.Round`),
        ``session.set_throttle(fraction)`` (auto-converge), and the read-only ``session.dirty_pages``,
        ``session.clock_s``, ``session.rounds``, ``session.total_pages_sent``.

    A strategy must not touch the engine's arrays; it only decides.
    """

    def migrate(self, session: Session) -> None:
        """Drive one migration through the session's verbs."""


@runtime_checkable
class Workload(Protocol):
    """How the guest reads and writes its memory over guest time.

    Required:
        ``run(guest, t0, t1)``: issue every access of guest time ``[t0, t1)`` through the guest's verbs
        (``guest.uniform``, ``guest.hotset``, ``guest.zipf``, ``guest.sequential``, ``guest.accesses``).
        Called with consecutive, non-overlapping intervals starting at 0. The result must not depend
        on how time is cut into intervals (the verbs take a rate and the interval, and place the k-th
        access of a rate-r stream at guest time k/r, which makes this easy).

    Optional:
        ``start(guest)``: called once before the migration, to build per-trial state (tables,
        permutations, offsets) from ``guest.pages`` and the seeded ``guest.rng``; raise
        :class:`distlab.errors.ConfigError` (e.g. ``AccessLogError``) if the workload does not fit
        the VM.
    """

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        """Issue the guest's page accesses in guest time [t0, t1)."""
