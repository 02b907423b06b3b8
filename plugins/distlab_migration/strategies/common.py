"""What every pre-copy-based strategy shares: the encodings it asks for and QEMU's auto-converge policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distlab.migration import Round, Session

    from distlab_migration.strategies.params import PrecopyOptions

__all__ = ["AutoConverge", "configure"]


def configure(session: Session, params: PrecopyOptions, *, skip_redirtied_default: bool = False) -> None:
    """Ask the session for the encodings the parameters enable.

    Args:
        session: the migration.
        params: the strategy's options.
        skip_redirtied_default: whether to skip re-dirtied pages when ``params.skip_redirtied`` is null
            (the strategy's own default: on for Xen's policy).
    """
    skip = params.skip_redirtied
    session.configure(
        skip_zero_pages=params.skip_zero_pages,
        xbzrle_cache_mib=params.xbzrle_cache_mib if params.xbzrle else None,
        xbzrle_compressed_fraction=params.xbzrle_compressed_fraction,
        skip_redirtied=skip_redirtied_default if skip is None else skip,
    )


class AutoConverge:
    """QEMU's auto-converge (migration/ram.c, ``migration_trigger_throttle``).

    At each bitmap sync QEMU compares the bytes dirtied since the previous sync with the bytes
    transferred in that period; when the dirtied bytes exceed ``throttle_trigger_fraction`` of the
    transferred ones for the second time, it throttles the guest down (``mig_throttle_guest_down``):
    first to ``throttle_initial``, then ``throttle_increment`` more each time, at most ``throttle_max``,
    and the count of high-dirty periods starts again.
    """

    def __init__(self, params: PrecopyOptions) -> None:
        self.params = params
        self.high_count = 0

    def after_round(self, session: Session, rnd: Round) -> None:
        """Look at one round's figures and throttle the guest further if the rule says so."""
        p = self.params
        if not p.auto_converge:
            return
        if rnd.bytes_dirty > p.throttle_trigger_fraction * rnd.bytes_sent:
            self.high_count += 1
            if self.high_count >= 2:
                self.high_count = 0
                if session.throttle == 0.0:
                    session.set_throttle(p.throttle_initial)
                else:
                    session.set_throttle(min(session.throttle + p.throttle_increment, p.throttle_max))
