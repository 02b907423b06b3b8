"""Declaration of the migration study: its world, kinds and metrics (cheap to import: no numba)."""

from __future__ import annotations

from distlab.component import Kind
from distlab.migration.kinds import Strategy, Workload
from distlab.migration.world import MigrationWorld
from distlab.study import Figure, Metric, Study

__all__ = ["METRICS", "STUDY"]

METRICS = (
    Metric("total_time_s", "from the start of migration until the VM runs at the destination with all its memory"),
    Metric("downtime_s", "time the VM runs nowhere (stopped for the switch-over)", log_scale=True),
    Metric("bytes_sent", "bytes put on the link (pages, headers, CPU and device state)"),
    Metric("pages_sent", "transmissions of page data (whole pages or XBZRLE deltas), re-sends included; "
                         "a zero page sent as a 9-byte header is not counted"),
    Metric("pages_resent", "page transmissions beyond the first of each page (a page goes again only after a "
                           "write, so never as a zero page)"),
    Metric("rounds", "pre-copy iterations (0 when none ran)", figure=False),
    Metric("remote_faults", "post-copy accesses to a page not yet at the destination: still at the source (a "
                            "request goes out) or on its way (pushed, pre-paged or requested); at most one per "
                            "page, since the guest waits for it"),
    Metric("degraded_time_s", "time the guest runs slower: throttled (real time), or stalled on remote faults"),
    Metric("source_busy_s", "how long the source must stay up from the start of migration (until its last byte leaves)"),
    Metric("converged", "true unless the strategy gave up on a bound (e.g. pre-copy's max_rounds, Xen's "
                        "iteration or volume cap); true for strategies with no stop condition to miss "
                        "(stop_and_copy, postcopy, a fixed round count)", better="higher", figure=False),
)
"""The migration study's metrics. ``converged`` is true rather than null where there was no pre-copy stop
condition to miss: the column stays boolean, its mean reads as "share of trials that did not give up",
and stop-and-copy and post-copy did not give anything up."""

STUDY = Study(
    name="migration",
    doc="live migration of a virtual machine: stop-and-copy, pre-copy, post-copy and hybrids",
    world=MigrationWorld,
    kinds=(
        Kind("strategy", Strategy, "when to send which pages, and when to switch over",
             check="distlab.migration.testing:check_strategy", template="distlab.migration.templates:STRATEGY"),
        Kind("workload", Workload, "how the guest reads and writes its memory over time",
             check="distlab.migration.testing:check_workload", template="distlab.migration.templates:WORKLOAD"),
    ),
    defaults={"strategy": "precopy", "workload": "hotset"},
    metrics=METRICS,
    runner="distlab.migration.engine:run_trial",
    bench="distlab.migration.bench:run",
    treatment="strategy",
    check="distlab.migration.engine:check_case",
    # The trade-off the course teaches: what a strategy saves in downtime it pays in total time.
    figures=(Figure("downtime_vs_total_time", x="total_time_s", y="downtime_s",
                    title="Downtime against total migration time", panels="world.link.bandwidth_mbit_s",
                    hline=0.3, hline_label="300 ms (QEMU's default downtime target)"),),
    baseline="stop_and_copy",
)
