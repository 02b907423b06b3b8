"""Parameters of the built-in workloads (cheap to import: dataclasses only).

Rates are in guest time: a throttled or stalled guest issues them more slowly in real time. Reads matter
only during post-copy (a first touch of a missing page faults, read or write); ``read_fraction`` is the
share of all accesses that are reads, so reads come at ``write_rate * f / (1 - f)`` per second.
"""

from __future__ import annotations

import dataclasses

from distlab import param

__all__ = ["HotsetParams", "IdleParams", "PhasedParams", "SequentialParams", "TraceParams", "UniformParams", "ZipfParams"]


@dataclasses.dataclass(frozen=True)
class IdleParams:
    """A guest that touches no memory."""


@dataclasses.dataclass(frozen=True)
class UniformParams:
    """Writes (and reads) to pages drawn uniformly from all of memory."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0)
    read_fraction: float = param(0.5, "share of accesses that are reads", ge=0.0, lt=1.0)


@dataclasses.dataclass(frozen=True)
class HotsetParams:
    """A hot set (a fraction of pages, at a seeded offset) takes a fraction of the accesses; the rest are uniform."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0)
    read_fraction: float = param(0.5, "share of accesses that are reads", ge=0.0, lt=1.0)
    hot_fraction: float = param(0.1, "fraction of pages in the hot set", gt=0.0, le=1.0)
    hot_access_fraction: float = param(0.9, "fraction of accesses that go to the hot set", ge=0.0, le=1.0)


@dataclasses.dataclass(frozen=True)
class ZipfParams:
    """Page popularity follows Zipf's law; ranks map to pages by a seeded permutation."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0)
    read_fraction: float = param(0.5, "share of accesses that are reads", ge=0.0, lt=1.0)
    exponent: float = param(0.99, "Zipf exponent (YCSB's default: 0.99)", gt=0.0)


@dataclasses.dataclass(frozen=True)
class SequentialParams:
    """Writes sweep memory in order, never touching a page twice in one sweep (pre-copy's worst case)."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0)
    read_fraction: float = param(0.0, "share of accesses that are reads (uniform over memory)", ge=0.0, lt=1.0)


@dataclasses.dataclass(frozen=True)
class PhasedParams:
    """A working set that moves: uniform accesses within it, and it jumps to the next region every phase."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0)
    read_fraction: float = param(0.5, "share of accesses that are reads", ge=0.0, lt=1.0)
    working_set_fraction: float = param(0.1, "fraction of memory in the working set", gt=0.0, le=1.0)
    phase_s: float = param(5.0, "guest seconds before the working set moves on", gt=0.0)


@dataclasses.dataclass(frozen=True)
class TraceParams:
    """Replays a trace file of (time, page, read/write); see distlab_migration.workloads.trace for the format."""

    path: str = param("", "trace file (.csv or .parquet); empty for the bundled example trace", file=True)
    loop: bool = param(False, "replay the trace again and again, one period apart")
    period_s: float | None = param(
        None,
        "loop period in the trace's seconds, > its last time_s; null: the last time_s plus the mean gap "
        "between consecutive distinct times",
        gt=0.0,
    )
    time_scale: float = param(1.0, "multiply every time in the trace (and period_s) by this", gt=0.0)
