"""Parameters of the built-in workloads (cheap to import: dataclasses only).

Rates are in guest time: a throttled or stalled guest issues them more slowly in real time. Reads matter
only during post-copy (a first touch of a missing page faults, read or write); ``read_fraction`` is the
share of all accesses that are reads, so reads come at ``write_rate * f / (1 - f)`` per second.

Rates are bounded by :data:`MAX_RATE_PAGES_S` (10^7 accesses per second, about 40 GB/s of 4 KiB pages,
beyond what one guest's memory writes reach), for writes and for the reads a read fraction implies:
the engine issues every access, so a rate of 10^9 would take minutes for a single pre-copy round. With
it, ``rate * world.max_time_s`` stays below 2**53, where the k-th access of a stream still has an exact
guest time.
"""

from __future__ import annotations

import dataclasses

from distlab import ParameterError, param

__all__ = ["MAX_RATE_PAGES_S", "HotsetParams", "IdleParams", "PhasedParams", "ReplayParams", "SequentialParams",
           "StreamingParams", "UniformParams", "ZipfParams"]

MAX_RATE_PAGES_S = 1e7
"""The largest write rate, and the largest read rate a read fraction may imply, in pages per guest second."""


def _check_read_rate(write_rate_pages_s: float, read_fraction: float) -> None:
    """Refuse a read fraction whose read rate, ``write_rate * f / (1 - f)``, exceeds the bound."""
    reads = write_rate_pages_s * read_fraction / (1.0 - read_fraction)
    if reads > MAX_RATE_PAGES_S:
        most = MAX_RATE_PAGES_S / (MAX_RATE_PAGES_S + write_rate_pages_s)
        raise ParameterError("read_fraction", read_fraction,
                             f"at most {most:.6g} with write_rate_pages_s={write_rate_pages_s:g}, so that reads "
                             f"come at most {MAX_RATE_PAGES_S:g} per second")


@dataclasses.dataclass(frozen=True)
class IdleParams:
    """A guest that touches no memory."""


@dataclasses.dataclass(frozen=True)
class UniformParams:
    """Writes (and reads) to pages drawn uniformly from all of memory."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0, le=MAX_RATE_PAGES_S)
    read_fraction: float = param(0.5, "share of accesses that are reads", ge=0.0, lt=1.0)

    def __post_init__(self) -> None:
        _check_read_rate(self.write_rate_pages_s, self.read_fraction)


@dataclasses.dataclass(frozen=True)
class HotsetParams:
    """A hot set (a fraction of pages, at a seeded offset) takes a fraction of the accesses; the rest are uniform."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0, le=MAX_RATE_PAGES_S)
    read_fraction: float = param(0.5, "share of accesses that are reads", ge=0.0, lt=1.0)
    hot_fraction: float = param(0.1, "fraction of pages in the hot set", gt=0.0, le=1.0)
    hot_access_fraction: float = param(0.9, "fraction of accesses that go to the hot set", ge=0.0, le=1.0)

    def __post_init__(self) -> None:
        _check_read_rate(self.write_rate_pages_s, self.read_fraction)


@dataclasses.dataclass(frozen=True)
class ZipfParams:
    """Page popularity follows Zipf's law; ranks map to pages by a seeded permutation."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0, le=MAX_RATE_PAGES_S)
    read_fraction: float = param(0.5, "share of accesses that are reads", ge=0.0, lt=1.0)
    exponent: float = param(0.99, "Zipf exponent (YCSB's default: 0.99)", gt=0.0)

    def __post_init__(self) -> None:
        _check_read_rate(self.write_rate_pages_s, self.read_fraction)


@dataclasses.dataclass(frozen=True)
class SequentialParams:
    """Writes sweep memory in order, never touching a page twice in one sweep (pre-copy's worst case)."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0, le=MAX_RATE_PAGES_S)
    read_fraction: float = param(0.0, "share of accesses that are reads (uniform over memory)", ge=0.0, lt=1.0)

    def __post_init__(self) -> None:
        _check_read_rate(self.write_rate_pages_s, self.read_fraction)


@dataclasses.dataclass(frozen=True)
class StreamingParams:
    """A sequential reader: reads sweep memory in order from a starting page, wrapping around; writes are uniform."""

    read_rate_pages_s: float = param(20000.0, "page reads per second of guest time, in page order", gt=0.0,
                                     le=MAX_RATE_PAGES_S)
    write_rate_pages_s: float = param(100.0, "page writes per second of guest time, uniform over memory", ge=0.0,
                                      le=MAX_RATE_PAGES_S)
    start_fraction: float = param(0.5, "where the reader starts at guest time 0, as a fraction of memory", ge=0.0,
                                  lt=1.0)


@dataclasses.dataclass(frozen=True)
class PhasedParams:
    """A working set that moves: uniform accesses within it, and it jumps to the next region every phase."""

    write_rate_pages_s: float = param(10000.0, "page writes per second of guest time", gt=0.0, le=MAX_RATE_PAGES_S)
    read_fraction: float = param(0.5, "share of accesses that are reads", ge=0.0, lt=1.0)
    working_set_fraction: float = param(0.1, "fraction of memory in the working set", gt=0.0, le=1.0)
    # At least a millisecond: the workload issues each phase separately, so a phase of 1e-300 s would
    # never let an interval end (and a working set that moves faster is uniform access in effect).
    phase_s: float = param(5.0, "guest seconds before the working set moves on", ge=1e-3)

    def __post_init__(self) -> None:
        _check_read_rate(self.write_rate_pages_s, self.read_fraction)


@dataclasses.dataclass(frozen=True)
class ReplayParams:
    """Replays an access log of (time, page, read/write); see distlab_migration.workloads.replay for the format."""

    path: str = param("", "access log file (.csv or .parquet); empty for the bundled example log", file=True)
    loop: bool = param(False, "replay the access log again and again, one period apart")
    period_s: float | None = param(
        None,
        "loop period in the log's seconds, > its last time_s; null: the last time_s plus the mean gap "
        "between consecutive distinct times",
        gt=0.0,
    )
    time_scale: float = param(1.0, "multiply every time in the access log (and period_s) by this", gt=0.0)
