"""The parameters of the migration world: the VM that moves and the link it moves over.

Upper bounds, and where they come from:

- the result columns are int64 and float64: a VM of at most :data:`MAX_MEMORY_MIB` (32 TiB) in pages of at
  most :data:`MAX_PAGE_SIZE_BYTES` (1 GiB, x86's largest huge page), with CPU and device state of at most
  :data:`MAX_STATE_BYTES` (1 TiB) each, keeps ``bytes_sent`` far below 2**63 even when every page is
  re-sent in each of a strategy's at most 10,000 rounds (2**45 bytes * 10**4 < 2**59);
- the simulator holds per-page state in RAM: at most :data:`MAX_PAGES` pages;
- the clock: ``max_time_s`` at most :data:`MAX_TIME_S` (10**8 s, about three years), so that a workload's
  rate (at most 10**7 accesses per second) times the time stays below 2**53 and every access keeps an exact
  guest time; a latency must be shorter than ``max_time_s`` (a migration takes at least one latency);
- rates: at most :data:`MAX_BANDWIDTH_MBIT_S` (10**9 Mbit/s, a petabit per second).
"""

from __future__ import annotations

import dataclasses

from distlab.errors import ParameterError
from distlab.params import param

__all__ = ["MAX_BANDWIDTH_MBIT_S", "MAX_MEMORY_MIB", "MAX_PAGES", "MAX_PAGE_SIZE_BYTES", "MAX_STATE_BYTES",
           "MAX_TIME_S", "Link", "MigrationWorld", "VM"]


MAX_PAGES = 2**28
"""The most pages a VM may have (1 TiB of 4 KiB pages)."""
MAX_MEMORY_MIB = 2**25
"""The largest VM memory in MiB (32 TiB; with 4 KiB pages, :data:`MAX_PAGES` allows 1 TiB)."""
MAX_PAGE_SIZE_BYTES = 2**30
"""The largest page (1 GiB, x86's largest huge page)."""
MAX_STATE_BYTES = 2**40
"""The largest CPU state, and the largest device state (1 TiB each)."""
MAX_BANDWIDTH_MBIT_S = 1e9
"""The largest link bandwidth or rate limit (a petabit per second)."""
MAX_TIME_S = 1e8
"""The longest simulated-time horizon (about three years)."""


@dataclasses.dataclass(frozen=True)
class VM:
    """The virtual machine being migrated."""

    memory_mib: int = param(1024, "guest memory in MiB", gt=0, le=MAX_MEMORY_MIB)
    page_size_bytes: int = param(4096, "page size; must divide the memory", power_of_two=True, ge=512,
                                 le=MAX_PAGE_SIZE_BYTES)
    cpu_state_bytes: int = param(65536, "CPU state (registers, etc.), sent during downtime", ge=0, le=MAX_STATE_BYTES)
    device_state_bytes: int = param(262144, "device state, sent during downtime", ge=0, le=MAX_STATE_BYTES)
    zero_page_fraction: float = param(0.0, "fraction of pages that are all zeros at the start", ge=0.0, le=1.0)
    # 0 by default, so that downtime is what the link carries (the textbook's and QEMU's downtime rule,
    # which the study reproduces): a fixed cost measured on one 2005 testbed would otherwise be added to
    # every strategy alike and hide the differences the study is about. Set it to 9 or 40 to use the
    # values Clark et al. (NSDI 2005) measured for suspending, handing over and resuming a Xen guest.
    resume_ms: float = param(
        0.0, "fixed time to suspend, transfer control and resume the VM, counted in downtime (Clark et al. "
        "2005 measured 9 and 40 ms)", ge=0.0, lt=MAX_TIME_S * 1e3,
    )

    def __post_init__(self) -> None:
        # Memory must be a whole number of pages, so that a full copy sends exactly memory_mib MiB (the
        # textbook's memory / bandwidth) and no page is cut short.
        memory_bytes = self.memory_mib << 20
        largest = memory_bytes & -memory_bytes  # the largest power of two dividing the memory
        if self.page_size_bytes > largest:
            raise ParameterError(
                "page_size_bytes",
                self.page_size_bytes,
                f"a power of two >= 512 that divides the VM's memory (memory_mib={self.memory_mib}), "
                f"i.e. at most {largest} bytes",
            )
        # The engine keeps an eighth of a byte per page (the packed dirty bitmap), up to 9 more when a
        # configuration asks (zero flags, index scratch and a record of pages sent for rounds that skip
        # re-dirtied pages), a workload up to 16 more (Zipf's table) and post-copy 8 more (arrival
        # times): see PEAK_MEMORY in distlab.migration.session for what 2**28 pages take. Past that, a
        # trial would die of MemoryError after the sweep had started, rather than be refused here.
        pages = memory_bytes // self.page_size_bytes
        if pages > MAX_PAGES:
            raise ParameterError(
                "memory_mib",
                self.memory_mib,
                f"at most {MAX_PAGES} pages of {self.page_size_bytes} bytes, i.e. memory_mib <= "
                f"{(MAX_PAGES * self.page_size_bytes) >> 20} (the simulator holds per-page state in RAM; "
                "a larger page_size_bytes allows more memory)",
            )


@dataclasses.dataclass(frozen=True)
class Link:
    """The network link between the source and the destination host."""

    bandwidth_mbit_s: float = param(1000.0, "link bandwidth in Mbit/s (10^6 bit/s)", gt=0.0, le=MAX_BANDWIDTH_MBIT_S)
    latency_ms: float = param(0.5, "one-way latency; less than world.max_time_s", ge=0.0, lt=MAX_TIME_S * 1e3)
    precopy_rate_limit_mbit_s: float | None = param(
        None, "cap on the rate of live (pre-copy) transfer; null for the full link", gt=0.0, le=MAX_BANDWIDTH_MBIT_S
    )
    limit_stop_copy: bool = param(
        False, "apply the pre-copy rate cap to the final stop-and-copy too (QEMU does not)"
    )


@dataclasses.dataclass(frozen=True)
class MigrationWorld:
    """Everything about the world a migration strategy acts in."""

    vm: VM = param(default_factory=VM, doc="the virtual machine")
    link: Link = param(default_factory=Link, doc="the network link")
    max_time_s: float = param(
        86400.0, "simulated-time horizon; a migration still running then fails as a case", gt=0.0, le=MAX_TIME_S
    )

    def __post_init__(self) -> None:
        # A migration ends at least one latency after it starts, so a latency at or past the horizon
        # can only time out; refused here, before any trial runs, rather than failed in each.
        if self.link.latency_ms / 1e3 >= self.max_time_s:
            raise ParameterError(
                "link.latency_ms",
                self.link.latency_ms,
                f"less than world.max_time_s={self.max_time_s:g} s, i.e. < {self.max_time_s * 1e3:g} ms "
                "(a migration takes at least one latency)",
            )
