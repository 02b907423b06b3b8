"""Pure post-copy: move CPU and device state first, resume at the destination, fetch pages on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distlab.migration import Session

    from distlab_migration.strategies.params import PostcopyParams


class Postcopy:
    """Every page is sent exactly once; the guest pays a round trip on each first touch of a missing page.

    With ``background_push`` (QEMU's behaviour) the source also pushes the pages in ascending order,
    restarting after each requested page unless ``push_restart`` is false (QEMU's postcopy.rst: "the
    dirty page scanning restarts from the requested location"), so the migration ends after about
    memory / bandwidth; without it (the textbook "on demand"), a page
    moves only when the guest touches it, and the source must stay up until it has touched them all.
    """

    def __init__(self, params: PostcopyParams) -> None:
        self.params = params

    def migrate(self, session: Session) -> None:
        session.configure(skip_zero_pages=self.params.skip_zero_pages)
        session.postcopy(prepage_pages=self.params.prepage_pages, background_push=self.params.background_push,
                         push_restart=self.params.push_restart)
