"""Pure pre-copy: copy while the guest runs, again and again, until nothing is dirty.

Ending only when no page is dirty means the switch-over moves nothing but CPU and device state, so
service is (almost) never lost. A guest that dirties pages as fast as they are sent never gets there:
after ``max_rounds`` rounds the strategy gives up (``converged`` is false) and stops and copies what
remains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distlab_migration.strategies.common import AutoConverge, configure

if TYPE_CHECKING:
    from distlab.migration import Session

    from distlab_migration.strategies.params import PrecopyParams


class Precopy:
    """Iterate until no page is dirty, at most ``max_rounds`` rounds."""

    def __init__(self, params: PrecopyParams) -> None:
        self.params = params
        self.auto_converge = AutoConverge(params)

    def migrate(self, session: Session) -> None:
        configure(session, self.params)
        # The throttling rule only when it is on (a call a round saved otherwise).
        after_round = self.auto_converge.after_round if self.params.auto_converge else None
        precopy_round = session.precopy_round
        for _ in range(self.params.max_rounds):
            rnd = precopy_round()
            if rnd.pages_dirty == 0:
                session.stop_and_copy(converged=True)
                return
            if after_round is not None:
                after_round(session, rnd)
        session.stop_and_copy(converged=False)
