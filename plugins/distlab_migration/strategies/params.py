"""Parameters of the built-in migration strategies (cheap to import: dataclasses only).

Constants taken from the systems they model, with where they come from:

- QEMU (migration/options.c, migration/ram.c): ``downtime-limit`` 300 ms (DEFAULT_MIGRATE_SET_DOWNTIME),
  ``max-bandwidth`` 128 MiB/s (MAX_THROTTLE), ``cpu-throttle-initial`` 20 %, ``cpu-throttle-increment``
  10 %, ``max-cpu-throttle`` 99 %, ``throttle-trigger-threshold`` 50 %, and an XBZRLE cache of 64 MiB
  (DEFAULT_MIGRATE_XBZRLE_CACHE_SIZE).
- Xen (tools/libxc/xc_linux_save.c, later xc_domain_save.c): DEF_MAX_ITERS 29, DEF_MAX_FACTOR 3, the
  "fewer than 50 pages" test, START_MBIT_RATE 100 and MAX_MBIT_RATE 500 (in Xen's Mbit of 2**20 bits:
  RATE_TO_BTU 781250 turns a 100 KiB burst into microseconds), the step of 50 and the skip of re-dirtied
  pages (its ``to_skip`` bitmap, peeked once per batch of 1024 pages). The two rate rules,
  ``xen_rate_rule``: ``code``, the save loop's (raise the limit to the last round's dirtying rate plus
  50 only when that rate exceeds it; stop when a round at the maximum sent more pages than the one
  before), and ``paper``, Clark et al., "Live Migration of Virtual Machines", NSDI 2005, section 5.3
  (each round's limit is the previous round's dirtying rate plus 50, at least 100; stop when that
  exceeds the maximum or less than 256 KiB remains; the final copy at the maximum).

Upper bounds: at most :data:`MAX_ROUNDS` pre-copy rounds (each round may re-send the whole memory, and
``bytes_sent`` is an int64 column: with the world's largest VM, 10**4 full copies stay far below 2**63),
page counts at most the world's ``MAX_PAGES``, and an XBZRLE cache no larger than the world's largest VM.
"""

from __future__ import annotations

import dataclasses

from distlab import param
from distlab.migration import MAX_PAGES, VM

MAX_ROUNDS = 10_000
"""The most pre-copy rounds a strategy may be told to run."""
# The XBZRLE cache may be as large as the largest VM (a larger one behaves the same).
_MAX_CACHE_MIB: int = next(f for f in dataclasses.fields(VM) if f.name == "memory_mib").metadata["le"]

__all__ = [
    "MAX_ROUNDS",
    "HybridParams",
    "PostcopyParams",
    "PrecopyOptions",
    "PrecopyParams",
    "PrecopyPostcopyParams",
    "StopAndCopyParams",
]


@dataclasses.dataclass(frozen=True)
class StopAndCopyParams:
    """Stop the VM, copy all of its memory, resume it at the destination."""

    skip_zero_pages: bool = param(True, "send an all-zero page as a 9-byte header")


@dataclasses.dataclass(frozen=True)
class PrecopyOptions:
    """Options every pre-copy-based strategy shares: encodings and auto-converge."""

    skip_zero_pages: bool = param(True, "send an all-zero page as a 9-byte header")
    xbzrle: bool = param(False, "delta-compress re-sent pages found in the XBZRLE page cache")
    xbzrle_cache_mib: int = param(64, "XBZRLE page cache size (QEMU's default: 64 MiB)", gt=0, le=_MAX_CACHE_MIB)
    xbzrle_compressed_fraction: float = param(
        0.25, "size of a delta-encoded page, as a fraction of a page", gt=0.0, le=1.0
    )
    auto_converge: bool = param(False, "throttle the guest's CPU when it dirties memory faster than it is sent")
    throttle_initial: float = param(0.20, "first throttle fraction (QEMU: 20%)", gt=0.0, lt=1.0)
    throttle_increment: float = param(0.10, "throttle added each time it triggers again (QEMU: 10%)", gt=0.0, lt=1.0)
    throttle_max: float = param(0.99, "largest throttle fraction (QEMU: 99%)", gt=0.0, lt=1.0)
    throttle_trigger_fraction: float = param(
        0.50, "throttle when a round dirties more than this fraction of the bytes it sent (QEMU: 50%)", gt=0.0
    )
    skip_redirtied: bool | None = param(
        None, "do not send in a round a page written again since it began (Xen's to_skip); null: on for "
        "hybrid's xen policy, off otherwise"
    )

    def __post_init__(self) -> None:
        if self.throttle_initial > self.throttle_max:
            raise ValueError(
                f"throttle_initial ({self.throttle_initial}) must not exceed throttle_max ({self.throttle_max})"
            )


@dataclasses.dataclass(frozen=True)
class PrecopyParams(PrecopyOptions):
    """Pure pre-copy: iterate until no page is dirty (no service is lost), at most max_rounds rounds."""

    max_rounds: int = param(30, "pre-copy rounds before giving up with a stop-and-copy of what remains", ge=1,
                            le=MAX_ROUNDS)


@dataclasses.dataclass(frozen=True)
class PostcopyParams:
    """Pure post-copy: move CPU and device state, resume at the destination, fetch pages on demand."""

    skip_zero_pages: bool = param(True, "send an all-zero page as a 9-byte header")
    prepage_pages: int = param(
        0, "missing pages sent right after each faulting one: the nearest, in the order p+1, p-1, p+2, ...", ge=0,
        le=MAX_PAGES,
    )
    background_push: bool = param(
        True, "push untouched pages in the background (false: pages move only on faults, pure on-demand)"
    )
    push_restart: bool = param(
        True, "after a fault, the push goes on from the requested page (QEMU); false: ascending order throughout"
    )


@dataclasses.dataclass(frozen=True)
class HybridParams(PrecopyOptions):
    """Pre-copy rounds, then a brief stop-and-copy when a stop policy (QEMU's, Xen's, or a fixed count) fires."""

    stop_policy: str = param("qemu", "when to stop pre-copy", choices=("qemu", "xen", "rounds"))
    downtime_limit_ms: float = param(300.0, "qemu: the largest acceptable downtime (QEMU: 300 ms)", gt=0.0)
    bandwidth_cap_mib_s: float | None = param(
        128.0, "qemu: pre-copy rate cap in MiB/s (QEMU's max-bandwidth: 128 MiB/s); null for none", gt=0.0
    )
    max_rounds: int = param(30, "qemu: rounds before giving up (QEMU itself never gives up)", ge=1, le=MAX_ROUNDS)
    xen_max_iterations: int = param(29, "xen: pre-copy iterations at most (DEF_MAX_ITERS)", ge=1, le=MAX_ROUNDS)
    xen_min_dirty_pages: int = param(50, "xen: stop when fewer pages than this are dirty", ge=0, le=MAX_PAGES)
    xen_max_sent_factor: float = param(3.0, "xen: stop once more than this many times memory was sent", gt=0.0)
    xen_rate_rule: str = param(
        "code", "xen: how the rate limit adapts: the save loop's rule (code) or Clark et al. 2005's (paper)",
        choices=("code", "paper"),
    )
    xen_rate_start_mbit_s: float = param(100.0, "xen: rate limit of the first round, in Xen's Mbit/s (2^20 bit/s)",
                                         gt=0.0)
    xen_rate_step_mbit_s: float = param(50.0, "xen: added to the measured dirtying rate, in Xen's Mbit/s", ge=0.0)
    xen_rate_max_mbit_s: float = param(500.0, "xen: largest rate limit, in Xen's Mbit/s (2^20 bit/s)", gt=0.0)
    rounds: int = param(5, "rounds: pre-copy rounds before the stop-and-copy", ge=1, le=MAX_ROUNDS)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.xen_rate_start_mbit_s > self.xen_rate_max_mbit_s:
            raise ValueError(
                f"xen_rate_start_mbit_s ({self.xen_rate_start_mbit_s}) must not exceed "
                f"xen_rate_max_mbit_s ({self.xen_rate_max_mbit_s})"
            )


@dataclasses.dataclass(frozen=True)
class PrecopyPostcopyParams(PrecopyOptions):
    """Pre-copy rounds, then a switch to post-copy for the pages still dirty (QEMU's postcopy-ram)."""

    precopy_rounds: int = param(2, "pre-copy rounds before switching to post-copy", ge=1, le=MAX_ROUNDS)
    prepage_pages: int = param(
        0, "missing pages sent right after each faulting one: the nearest, in the order p+1, p-1, p+2, ...", ge=0,
        le=MAX_PAGES,
    )
    push_restart: bool = param(
        True, "after a fault, the push goes on from the requested page (QEMU); false: ascending order throughout"
    )
