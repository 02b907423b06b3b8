"""Declaration of the routing study: its world, kinds and metrics (cheap to import: no numba)."""

from __future__ import annotations

from distlab.component import Kind
from distlab.routing.kinds import Algorithm, Topology, Traffic
from distlab.routing.world import RoutingWorld
from distlab.study import Figure, Metric, Study

__all__ = ["METRICS", "STUDY"]

METRICS = (
    Metric("mean_delay_ms", "mean end-to-end delay of delivered traffic (propagation + queueing + transmission), "
                            "weighted by demand, over all epochs"),
    Metric("p95_delay_ms", "95th percentile over (pair, epoch) of the mean pair delay, weighted by delivered demand "
                           "(upper edge of a 1.2 % histogram bin)", log_scale=True),
    Metric("p99_delay_ms", "99th percentile, as p95_delay_ms", log_scale=True),
    Metric("mean_hops", "mean links crossed by delivered traffic, weighted by demand", better=None),
    Metric("max_utilization", "utilisation of the busiest link, averaged over epochs"),
    Metric("mean_utilization", "mean utilisation of the working links, averaged over epochs", better=None),
    Metric("unserved_fraction", "share of the offered demand not delivered: no route (disconnected, failed link, "
                                "forwarding loop) or lost at an overloaded queue"),
    Metric("route_changes", "(node, destination) pairs per epoch that moved more than 5 % of their traffic to other "
                            "links (the oscillation measure)"),
    Metric("convergence_rounds", "distance vector: exchange rounds from the last topology change until the tables "
                                 "stopped changing (0 for algorithms without a distance-vector protocol)", figure=False),
    Metric("messages", "distance vector: messages sent in those rounds (0 for other algorithms)", figure=False),
)
"""The routing study's metrics."""

STUDY = Study(
    name="routing",
    doc="routing at the network layer: fewest hops, least delay, long-term averages, adapting, and the optimum",
    world=RoutingWorld,
    kinds=(
        Kind("topology", Topology, "the network: real (topohub) or synthetic",
             check="distlab.routing.testing:check_topology"),
        Kind("traffic", Traffic, "how much each node sends to each other, scaled to a load, and how it varies",
             check="distlab.routing.testing:check_traffic"),
        Kind("algorithm", Algorithm, "which links carry the traffic for each destination, epoch by epoch",
             check="distlab.routing.testing:check_algorithm"),
    ),
    defaults={"topology": "abilene", "traffic": "gravity", "algorithm": "min_hop"},
    metrics=METRICS,
    runner="distlab.routing.engine:run_trial",
    bench="distlab.routing.bench:run",
    treatment="algorithm",
    check="distlab.routing.engine:check_case",
    # The course's picture of routing: delay against offered load, every algorithm above the optimum's floor.
    figures=(Figure("mean_delay_vs_load", x="traffic.load", y="mean_delay_ms",
                    title="Mean delay of delivered traffic against offered load", panels="topology",
                    kind="line"),),
    baseline="optimal",
)
