"""Tiny fakes of the migration study's kinds, for tests and for plugin authors.

:class:`FixedRoundsStrategy` runs a fixed number of pre-copy rounds and then stops and copies;
:class:`ConstantWorkload` writes (and optionally reads) uniformly random pages at a constant rate.
Both are small enough to read in one glance, make no decision worth studying, and need nothing but
the public verbs, so a test of a new workload can pair it with the fake strategy (and a test of a
new strategy with the fake workload) without importing any plugin. Cheap to import: no numba.

Examples:
    >>> from distlab.migration import ConstantWorkload, ConstantWorkloadParams, FixedRoundsParams, FixedRoundsStrategy
    >>> strategy = FixedRoundsStrategy(FixedRoundsParams(rounds=2))
    >>> workload = ConstantWorkload(ConstantWorkloadParams(write_rate_pages_s=500.0))
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from distlab.params import param

if TYPE_CHECKING:
    from distlab.migration.guest import Guest
    from distlab.migration.session import Session

__all__ = ["ConstantWorkload", "ConstantWorkloadParams", "FixedRoundsParams", "FixedRoundsStrategy"]


@dataclasses.dataclass(frozen=True)
class FixedRoundsParams:
    """A fixed number of pre-copy rounds, then stop-and-copy."""

    rounds: int = param(3, "pre-copy rounds before the stop-and-copy (0: plain stop-and-copy)", ge=0)


class FixedRoundsStrategy:
    """``rounds`` pre-copy rounds, then stop-and-copy, whatever is still dirty.

    Args:
        params: its parameters.
    """

    def __init__(self, params: FixedRoundsParams | None = None) -> None:
        self.params = params or FixedRoundsParams()

    def migrate(self, session: Session) -> None:
        """Run the rounds, then end the migration with a stop-and-copy.

        Args:
            session: the migration to drive.
        """
        for _ in range(self.params.rounds):
            session.precopy_round()
        # A fixed count has no stop condition to miss, so the migration counts as converged.
        session.stop_and_copy(converged=True)


@dataclasses.dataclass(frozen=True)
class ConstantWorkloadParams:
    """Writes and reads to uniformly random pages at constant rates (guest time)."""

    write_rate_pages_s: float = param(1000.0, "page writes per second of guest time", ge=0.0)
    read_rate_pages_s: float = param(0.0, "page reads per second of guest time", ge=0.0)


class ConstantWorkload:
    """Constant-rate accesses to pages drawn uniformly from all of memory.

    Args:
        params: its parameters.
    """

    def __init__(self, params: ConstantWorkloadParams | None = None) -> None:
        self.params = params or ConstantWorkloadParams()

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        """Issue the accesses of guest time ``[t0, t1)``.

        Args:
            guest: the guest's verbs.
            t0: start of the interval (guest time, seconds).
            t1: its end (exclusive).
        """
        guest.uniform(self.params.write_rate_pages_s, t0, t1)
        guest.uniform(self.params.read_rate_pages_s, t0, t1, read=True)
