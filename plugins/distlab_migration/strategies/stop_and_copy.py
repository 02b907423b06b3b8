"""Stop-and-copy: the VM stops, all of its memory moves, it resumes at the destination."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distlab.migration import Session

    from distlab_migration.strategies.params import StopAndCopyParams


class StopAndCopy:
    """No pre-copy at all: the downtime is the whole transfer."""

    def __init__(self, params: StopAndCopyParams) -> None:
        self.params = params

    def migrate(self, session: Session) -> None:
        session.configure(skip_zero_pages=self.params.skip_zero_pages)
        session.stop_and_copy()
