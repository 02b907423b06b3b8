"""Pre-copy for a few rounds, then post-copy for what is still dirty (QEMU's postcopy-ram after a warm-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from distlab_migration.strategies.common import AutoConverge, configure

if TYPE_CHECKING:
    from distlab.migration import Session

    from distlab_migration.strategies.params import PrecopyPostcopyParams


class PrecopyPostcopy:
    """``precopy_rounds`` pre-copy rounds (fewer if nothing is dirty), then a switch to post-copy."""

    def __init__(self, params: PrecopyPostcopyParams) -> None:
        self.params = params
        self.auto_converge = AutoConverge(params)

    def migrate(self, session: Session) -> None:
        configure(session, self.params)
        for _ in range(self.params.precopy_rounds):
            rnd = session.precopy_round()
            if rnd.pages_dirty == 0:
                break
            self.auto_converge.after_round(session, rnd)
        session.postcopy(prepage_pages=self.params.prepage_pages, push_restart=self.params.push_restart)
