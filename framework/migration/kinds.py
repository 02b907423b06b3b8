"""The plugin kinds of the migration study (contracts; refined by the engine's author)."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Strategy", "Workload"]


class Strategy(Protocol):
    """Decides when to send which pages, and when to switch over."""

    def migrate(self, session: Any) -> None:
        """Drive one migration through the session's verbs."""


class Workload(Protocol):
    """How the guest reads and writes its memory over time."""

    def accesses(self, t0: float, t1: float) -> Any:
        """The guest's page accesses in guest time [t0, t1)."""
