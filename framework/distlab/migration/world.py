"""The parameters of the migration world: the VM that moves and the link it moves over."""

from __future__ import annotations

import dataclasses

from distlab.errors import ParameterError
from distlab.params import param

__all__ = ["MAX_PAGES", "Link", "MigrationWorld", "VM"]


MAX_PAGES = 2**28
"""The most pages a VM may have (1 TiB of 4 KiB pages)."""


@dataclasses.dataclass(frozen=True)
class VM:
    """The virtual machine being migrated."""

    memory_mib: int = param(1024, "guest memory in MiB", gt=0)
    page_size_bytes: int = param(4096, "page size; must divide the memory", power_of_two=True, ge=512)
    cpu_state_bytes: int = param(65536, "CPU state (registers, etc.), sent during downtime", ge=0)
    device_state_bytes: int = param(262144, "device state, sent during downtime", ge=0)
    zero_page_fraction: float = param(0.0, "fraction of pages that are all zeros at the start", ge=0.0, le=1.0)

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
        # The engine keeps about 15 bytes of state per page (dirty bitmap, zero flags, send counts,
        # index scratch) and 8 more while it draws the zero pages, so 2**28 pages need about 6 GB of
        # RAM: past that a trial would die of MemoryError after the sweep had started, rather than
        # be refused here.
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

    bandwidth_mbit_s: float = param(1000.0, "link bandwidth in Mbit/s (10^6 bit/s)", gt=0.0)
    latency_ms: float = param(0.5, "one-way latency", ge=0.0)
    precopy_rate_limit_mbit_s: float | None = param(
        None, "cap on the rate of live (pre-copy) transfer; null for the full link", gt=0.0
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
        86400.0, "simulated-time horizon; a migration still running then fails as a case", gt=0.0
    )
