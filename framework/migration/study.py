"""Declaration of the migration study: its world, kinds and metrics (cheap to import: no numba)."""

from __future__ import annotations

from distlab.component import Kind
from distlab.migration.kinds import Strategy, Workload
from distlab.migration.world import MigrationWorld
from distlab.study import Metric, Study

__all__ = ["METRICS", "STUDY"]

METRICS = (
    Metric("total_time_s", "from the start of migration until the VM runs at the destination with all its memory"),
    Metric("downtime_s", "time the VM runs nowhere (stopped for the switch-over)", log_scale=True),
    Metric("bytes_sent", "bytes put on the link (pages, headers, CPU and device state)"),
    Metric("pages_sent", "page transmissions, re-sends included"),
    Metric("pages_resent", "page transmissions beyond the first of each page"),
    Metric("rounds", "pre-copy iterations (0 when none ran)", figure=False),
    Metric("remote_faults", "post-copy faults: first touches of a page still at the source"),
    Metric("degraded_time_s", "time the guest runs slower: stalled on remote faults or throttled"),
    Metric("source_busy_s", "how long the source must stay up from the start of migration"),
    Metric("converged", "pre-copy ended because the stop condition held, not because a bound hit", better="higher", figure=False),
)

STUDY = Study(
    name="migration",
    doc="live migration of a virtual machine: stop-and-copy, pre-copy, post-copy and hybrids",
    world=MigrationWorld,
    kinds=(
        Kind("strategy", "migration", Strategy, "when to send which pages, and when to switch over"),
        Kind("workload", "migration", Workload, "how the guest reads and writes its memory over time"),
    ),
    defaults={"strategy": "precopy", "workload": "hotset"},
    metrics=METRICS,
    runner="distlab.migration.engine:run_trial",
    treatment="strategy",
)
