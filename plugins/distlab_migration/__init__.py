"""distlab's built-in migration plugins: strategies and workloads.

Registration is cheap: the parameter dataclasses live in ``strategies/params.py`` and
``workloads/params.py``; the implementations are imported only when a case first uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distlab import hookimpl
from distlab_migration.strategies.params import (
    HybridParams,
    PostcopyParams,
    PrecopyParams,
    PrecopyPostcopyParams,
    StopAndCopyParams,
)
from distlab_migration.workloads.params import (
    HotsetParams,
    IdleParams,
    PhasedParams,
    ReplayParams,
    SequentialParams,
    StreamingParams,
    UniformParams,
    ZipfParams,
)

if TYPE_CHECKING:
    from distlab import Registrar

__all__ = ["register_components"]

_S = "distlab_migration.strategies"
_W = "distlab_migration.workloads"


@hookimpl
def register_components(registrar: Registrar) -> None:
    """Register the built-in strategies and workloads."""
    strategy = "strategy"
    registrar.register(strategy, "stop_and_copy", StopAndCopyParams, f"{_S}.stop_and_copy:StopAndCopy",
                      doc="stop the VM, copy all memory, resume at the destination")
    registrar.register(strategy, "precopy", PrecopyParams, f"{_S}.precopy:Precopy",
                      doc="copy while the guest runs until nothing is dirty (bounded by max_rounds)")
    registrar.register(strategy, "postcopy", PostcopyParams, f"{_S}.postcopy:Postcopy",
                      doc="resume at the destination at once; fetch pages on faults, push the rest")
    registrar.register(strategy, "hybrid", HybridParams, f"{_S}.hybrid:Hybrid",
                      doc="pre-copy, then a brief stop-and-copy when QEMU's, Xen's or a round-count rule fires")
    registrar.register(strategy, "precopy_postcopy", PrecopyPostcopyParams, f"{_S}.precopy_postcopy:PrecopyPostcopy",
                      doc="a few pre-copy rounds, then post-copy for what is still dirty")
    workload = "workload"
    registrar.register(workload, "idle", IdleParams, f"{_W}.patterns:Idle", doc="touches no memory")
    registrar.register(workload, "uniform", UniformParams, f"{_W}.patterns:Uniform",
                      doc="accesses to uniformly random pages")
    registrar.register(workload, "hotset", HotsetParams, f"{_W}.patterns:Hotset",
                      doc="a hot set of pages takes most accesses (default 10% of pages, 90% of accesses)")
    registrar.register(workload, "zipf", ZipfParams, f"{_W}.patterns:Zipf",
                      doc="Zipf-distributed page popularity (YCSB's exponent 0.99 by default)")
    registrar.register(workload, "sequential", SequentialParams, f"{_W}.patterns:Sequential",
                      doc="writes sweep memory in order (pre-copy's worst case)")
    registrar.register(workload, "streaming", StreamingParams, f"{_W}.patterns:Streaming",
                      doc="a sequential reader: reads sweep memory in order from its middle; writes uniform")
    registrar.register(workload, "phased", PhasedParams, f"{_W}.patterns:Phased",
                      doc="a working set that moves to a new region every phase")
    registrar.register(workload, "replay", ReplayParams, f"{_W}.replay:Replay",
                      doc="replays a recorded access log, a CSV or Parquet file of (time_s, page, op)")
    # The end-to-end migration benchmarks use these strategies and workloads, so they live here.
    registrar.add_benchmark("migration_plugins", "distlab_migration.bench:run")
