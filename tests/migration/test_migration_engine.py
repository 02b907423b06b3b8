"""Validation of the migration engine: textbook formulas, invariants, and the stop rules at their boundaries.

Small VMs (16 MiB) keep the suite fast. Components are created through the registry, as the runner does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import pytest

from distlab import host
from distlab.migration import kernels
from distlab.migration.engine import CheckFailedError, MigrationTimeoutError, run_trial, simulate
from distlab.migration.guest import Guest, dirty_bitmap
from distlab.migration.world import MigrationWorld
from distlab.params import build

STRATEGIES = ["stop_and_copy", "precopy", "postcopy", "hybrid", "precopy_postcopy"]
WORKLOADS = ["idle", "uniform", "hotset", "zipf", "sequential", "streaming", "phased", "replay"]


@pytest.fixture(scope="module")
def registry() -> Any:
    return host.load_registry()


def make(registry: Any, kind: str, name: str, **values: Any) -> Any:
    comp = registry.component(kind, name)
    return comp.create(build(comp.params, values, f"{kind}."))


def unpack(bitmap: np.ndarray, pages: int) -> np.ndarray:
    """A packed bitmap (bit p % 64 of word p // 64 is page p) as one bool per page."""
    return np.unpackbits(bitmap.view(np.uint8), bitorder="little")[:pages].astype(bool)


def world(**values: Any) -> MigrationWorld:
    values.setdefault("vm", {})
    values["vm"] = {"memory_mib": 16, **values["vm"]}
    return build(MigrationWorld, values, "world.")


def rate_kw(name: str, rate: float) -> dict[str, Any]:
    return {} if name in ("idle", "replay") else {"write_rate_pages_s": rate}


# -- every strategy x workload ------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_pair_runs_and_never_loses_a_page(registry: Any, strategy: str, workload: str) -> None:
    w = world(vm={"zero_page_fraction": 0.2}, link={"bandwidth_mbit_s": 200.0})
    extra = {"xbzrle": True, "auto_converge": True} if strategy in ("precopy", "hybrid", "precopy_postcopy") else {}
    out = simulate(w, make(registry, "strategy", strategy, **extra), make(registry, "workload", workload, **rate_kw(workload, 3000)),
                   seed=11, check=True)  # check mode raises if the destination misses a page's last version
    m = out.trial.metrics
    assert set(m) == {"total_time_s", "downtime_s", "bytes_sent", "pages_sent", "pages_resent", "rounds",
                      "remote_faults", "degraded_time_s", "source_busy_s", "converged"}
    assert 0 < m["downtime_s"] <= m["total_time_s"]
    assert m["source_busy_s"] <= m["total_time_s"]
    assert isinstance(m["converged"], bool)
    assert unpack(out.session._sent, out.session.pages).all()  # every page went over at least once
    trace = out.trial.trace
    assert isinstance(trace, pl.DataFrame) and trace.height >= 1
    assert {"round", "start_time_s", "pages_sent", "pages_dirty", "bandwidth_mbit_s"} <= set(trace.columns)


@pytest.mark.parametrize("strategy,params", [
    ("precopy", {}), ("precopy", {"skip_redirtied": True}), ("precopy", {"skip_redirtied": True, "xbzrle": True}),
    ("hybrid", {"stop_policy": "xen"}), ("precopy_postcopy", {}), ("precopy_postcopy", {"skip_redirtied": True}),
    ("stop_and_copy", {}), ("postcopy", {}),
])
def test_resent_pages_are_the_transmissions_beyond_one_per_page(registry: Any, strategy: str,
                                                                 params: dict[str, Any]) -> None:
    # Whether the session keeps a record of the pages sent (a round that skips re-dirtied pages sends
    # only some) or knows every page went (the first sync of a migration that skips nothing), a re-send
    # is a transmission of a page sent before; every page is sent at least once, so the re-sends are
    # the transmissions beyond one per page.
    out = simulate(world(vm={"zero_page_fraction": 0.2}), make(registry, "strategy", strategy, **params),
                   make(registry, "workload", "hotset", write_rate_pages_s=20_000), 4, check=True)
    s = out.session
    assert out.trial.metrics["pages_resent"] == s.total_pages_sent - s.pages
    assert s._sent.size == (0 if not (params.get("skip_redirtied") or params.get("stop_policy") == "xen")
                            else (s.pages + 63) // 64)  # the record exists only where a round skips


def test_resent_pages_when_skipping_starts_after_every_page_was_sent(registry: Any) -> None:
    # A round that skips re-dirtied pages after a first round that skipped nothing: no record is kept
    # (every page was sent), so each page such a round sends is a re-send.
    class SkipLater:
        def migrate(self, session: Any) -> None:
            session.precopy_round()
            session.configure(skip_redirtied=True, skip_batch_pages=64)
            session.precopy_round()
            session.precopy_round()
            session.stop_and_copy()

    out = simulate(world(), SkipLater(), make(registry, "workload", "uniform", write_rate_pages_s=50_000), 2,
                   check=True)
    s = out.session
    assert s._sent.size == 0 and sum(r["pages_sent"] for r in s.trace[1:3]) > 0
    assert out.trial.metrics["pages_resent"] == s.total_pages_sent - s.pages


def test_check_mode_catches_a_lost_page(registry: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real_sync = kernels.sync_send

    def lossy(bitmap: np.ndarray, *args: Any) -> Any:
        # Forget the last dirty page of every sync: clear its bit before the sync sees it.
        nonzero = np.flatnonzero(bitmap)
        if nonzero.size:
            w = int(bitmap[nonzero[-1]])
            bitmap[nonzero[-1]] = np.uint64(w & ~(1 << (w.bit_length() - 1)))
        return real_sync(bitmap, *args)

    monkeypatch.setattr(kernels, "sync_send", lossy)
    with pytest.raises(CheckFailedError, match="pages differ"):
        simulate(world(), make(registry, "strategy", "precopy", max_rounds=3), make(registry, "workload", "uniform"), 1, check=True)


def test_trials_are_deterministic_for_a_seed(registry: Any) -> None:
    def once(seed: int) -> Any:
        comps = {"strategy": make(registry, "strategy", "precopy_postcopy", auto_converge=True),
                 "workload": make(registry, "workload", "zipf", write_rate_pages_s=4000)}
        return run_trial(world(vm={"zero_page_fraction": 0.1}), comps, seed)

    a, b, c = once(5), once(5), once(6)
    assert a.metrics == b.metrics
    assert a.trace is not None and b.trace is not None and a.trace.equals(b.trace)
    assert a.metrics != c.metrics


# -- textbook formulas ----------------------------------------------------------------------------


@pytest.mark.parametrize("bandwidth,latency_ms", [(100.0, 0.5), (1000.0, 20.0), (37.5, 0.0)])
def test_stop_and_copy_downtime_is_memory_plus_state_over_bandwidth_plus_latency(registry: Any, bandwidth: float, latency_ms: float) -> None:
    w = world(vm={"cpu_state_bytes": 100_000, "device_state_bytes": 300_000}, link={"bandwidth_mbit_s": bandwidth, "latency_ms": latency_ms})
    m = run_trial(w, {"strategy": make(registry, "strategy", "stop_and_copy"), "workload": make(registry, "workload", "uniform")}, 3).metrics
    expected = (16 * 2**20) * 8 / (bandwidth * 1e6) + latency_ms / 1e3 + 400_000 * 8 / (bandwidth * 1e6)
    assert m["downtime_s"] == pytest.approx(expected, rel=1e-12)
    assert m["total_time_s"] == m["downtime_s"]
    assert m["bytes_sent"] == 16 * 2**20 + 400_000 and m["pages_sent"] == 4096 and m["rounds"] == 0


@pytest.mark.parametrize("workload", WORKLOADS)
@pytest.mark.parametrize("skip_zero", [True, False])
def test_postcopy_sends_every_page_exactly_once(registry: Any, workload: str, skip_zero: bool) -> None:
    w = world(vm={"zero_page_fraction": 0.3})
    out = simulate(w, make(registry, "strategy", "postcopy", skip_zero_pages=skip_zero, prepage_pages=4),
                   make(registry, "workload", workload, **rate_kw(workload, 5000)), 9, check=True)
    m, s = out.trial.metrics, out.session
    # Every page sent (the check mode proved each arrived), none twice.
    assert s.total_pages_sent == 4096 and m["pages_resent"] == 0
    zeros = int(s._zero.sum())
    assert zeros > 1000
    assert m["pages_sent"] == (4096 - zeros if skip_zero else 4096)
    assert m["rounds"] == 0
    if workload == "idle":
        assert m["remote_faults"] == 0 and m["degraded_time_s"] == 0.0


def test_postcopy_downtime_is_state_only_and_faults_stall_the_guest(registry: Any) -> None:
    w = world(link={"bandwidth_mbit_s": 100.0, "latency_ms": 2.0})
    m = run_trial(w, {"strategy": make(registry, "strategy", "postcopy"), "workload": make(registry, "workload", "uniform")}, 4).metrics
    state = w.vm.cpu_state_bytes + w.vm.device_state_bytes
    assert m["downtime_s"] == pytest.approx(state * 8 / 100e6 + 2e-3)
    assert m["remote_faults"] > 0
    # A fault costs about a round trip plus a page (less when the page was already on its way, more
    # when the link was busy with the page ahead of it).
    page_s = 4096 * 8 / 100e6
    per_fault = m["degraded_time_s"] / m["remote_faults"]
    assert 0.5 * 4e-3 < per_fault <= 4e-3 + 2 * page_s


def test_prepaging_cuts_faults_for_a_local_workload(registry: Any) -> None:
    # With the push in plain ascending order, so that only pre-paging brings the working set early
    # (restarting the push at the requested page does that too: see the streaming-reader test).
    def faults(prepage: int) -> int:
        comps = {"strategy": make(registry, "strategy", "postcopy", prepage_pages=prepage, push_restart=False),
                 "workload": make(registry, "workload", "phased", write_rate_pages_s=5000, working_set_fraction=0.05)}
        return int(run_trial(world(), comps, 2).metrics["remote_faults"])

    assert faults(32) < faults(0) / 2


def test_fresh_page_writes_shrink_rounds_geometrically(registry: Any) -> None:
    bandwidth = 100.0
    link_pages_s = bandwidth * 1e6 / 8 / 4096
    ratio = 0.6
    comps = {"strategy": make(registry, "strategy", "precopy", skip_zero_pages=False, max_rounds=30),
             "workload": make(registry, "workload", "sequential", write_rate_pages_s=ratio * link_pages_s)}
    trace = run_trial(world(link={"bandwidth_mbit_s": bandwidth}), comps, 1).trace
    assert trace is not None
    sent = trace.filter(pl.col("phase") == "precopy")["pages_sent"].to_list()
    assert sent[0] == 4096
    for k in range(1, len(sent)):
        assert abs(sent[k] - sent[k - 1] * ratio) <= 1.0, (k, sent[k - 1], sent[k])
    assert len(sent) >= 10


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("rt_over_m", [0.3, 1.0, 2.5])
def test_uniform_writes_dirty_the_expected_number_of_distinct_pages(seed: int, rt_over_m: float) -> None:
    pages = 16384
    bitmap = dirty_bitmap(pages)
    guest = Guest(pages, 4096, seed, bitmap, np.zeros(0, np.int64))
    rate = 20000.0
    t = rt_over_m * pages / rate
    # Cut time into uneven chunks: the count must not depend on them.
    cuts = np.sort(np.random.default_rng(seed).random(7)) * t
    edges = [0.0, *cuts, t]
    for a, b in zip(edges, edges[1:]):
        guest.uniform(rate, a, b)
    assert guest.writes == math.ceil(rate * t)
    expected = pages * (1 - math.exp(-rate * t / pages))
    # The distinct count of n uniform draws has variance below the binomial's; 5 standard deviations.
    p = expected / pages
    dirty = int(unpack(bitmap, pages).sum())
    assert abs(dirty - expected) < 5 * math.sqrt(pages * p * (1 - p)) + 1
    assert guest.newly_dirtied == dirty


def test_the_guest_writes_the_same_pages_however_time_is_cut() -> None:
    def pages_written(edges: list[float]) -> np.ndarray:
        bitmap = dirty_bitmap(4096)
        versions = np.zeros(4096, np.int64)
        guest = Guest(4096, 4096, 77, bitmap, versions)
        for a, b in zip(edges, edges[1:]):
            guest.uniform(3333.3, a, b)
            guest.sequential(1000.0, a, b)
        return versions

    assert np.array_equal(pages_written([0.0, 1.0]), pages_written([0.0, 0.1, 0.1, 0.55, 0.9999, 1.0]))


# -- throttling ----------------------------------------------------------------------------------


def test_auto_converge_follows_qemus_steps_and_never_speeds_the_guest_up(registry: Any) -> None:
    w = world(link={"bandwidth_mbit_s": 100.0})
    rate = 2500.0

    def trace(auto: bool) -> pl.DataFrame:
        comps = {"strategy": make(registry, "strategy", "precopy", auto_converge=auto, max_rounds=12),
                 "workload": make(registry, "workload", "uniform", write_rate_pages_s=rate)}
        t = run_trial(w, comps, 8).trace
        assert t is not None
        return t.filter(pl.col("phase") == "precopy")

    on, off = trace(True), trace(False)
    throttles = on["throttle"].to_list()
    assert throttles[:2] == [0.0, 0.0]  # two high-dirty periods before the first throttle
    steps = sorted(set(throttles))
    assert steps[:3] == pytest.approx([0.0, 0.2, 0.3])
    assert all(b >= a for a, b in zip(throttles, throttles[1:]))
    end = (on["start_time_s"] + on["duration_s"]).to_list()
    for row, real_end in zip(on.iter_rows(named=True), end):
        assert row["guest_time_s"] <= real_end + 1e-12
        # A throttled round issues no more writes than an unthrottled guest would in the same real time.
        assert row["writes"] <= math.ceil(rate * row["duration_s"] * (1 - row["throttle"])) + 1
        assert row["writes"] <= math.ceil(rate * row["duration_s"]) + 1
    assert off["throttle"].max() == 0.0


def test_degraded_time_counts_throttled_rounds(registry: Any) -> None:
    comps = {"strategy": make(registry, "strategy", "precopy", auto_converge=True, max_rounds=10),
             "workload": make(registry, "workload", "uniform", write_rate_pages_s=2500)}
    out = run_trial(world(link={"bandwidth_mbit_s": 100.0}), comps, 8)
    assert out.trace is not None
    throttled = out.trace.filter(pl.col("throttle") > 0)["duration_s"].sum()
    assert throttled > 0 and out.metrics["degraded_time_s"] == pytest.approx(throttled)


# -- the stop rules at their boundaries ---------------------------------------------------------


def _qemu_world_and_rate(dirty_after_round_one: int) -> tuple[MigrationWorld, float]:
    w = world(link={"bandwidth_mbit_s": 100.0, "latency_ms": 0.0})
    round_one_s = 4096 * 4096 * 8 / 100e6
    # Sequential writes are all fresh: exactly ceil(rate x round_one_s) pages are dirty after round 1.
    return w, (dirty_after_round_one - 0.5) / round_one_s


@pytest.mark.parametrize("factor,stops_after_round_one", [(1 + 1e-9, True), (1.0 - 1e-6, False)])
def test_qemu_rule_fires_exactly_at_remaining_equal_bandwidth_times_limit(registry: Any, factor: float, stops_after_round_one: bool) -> None:
    dirty = 1000
    w, rate = _qemu_world_and_rate(dirty)
    bandwidth_bytes_s = 100e6 / 8
    limit_ms = dirty * 4096 / bandwidth_bytes_s * 1e3 * factor
    comps = {"strategy": make(registry, "strategy", "hybrid", stop_policy="qemu", downtime_limit_ms=limit_ms,
                              bandwidth_cap_mib_s=None, skip_zero_pages=False),
             "workload": make(registry, "workload", "sequential", write_rate_pages_s=rate)}
    out = run_trial(w, comps, 1)
    assert out.trace is not None
    first = out.trace.row(0, named=True)
    assert first["pages_dirty"] == dirty
    assert (out.metrics["rounds"] == 1) is stops_after_round_one


def test_qemu_rule_uses_the_128_mib_s_cap(registry: Any) -> None:
    out = run_trial(world(link={"bandwidth_mbit_s": 10_000.0}),
                    {"strategy": make(registry, "strategy", "hybrid"), "workload": make(registry, "workload", "idle")}, 1)
    assert out.trace is not None
    assert out.trace["bandwidth_mbit_s"][0] == pytest.approx(128 * 2**20 * 8 / 1e6)


def test_xen_stops_once_more_than_factor_times_memory_is_sent(registry: Any) -> None:
    comps = {"strategy": make(registry, "strategy", "hybrid", stop_policy="xen", xen_max_sent_factor=1.5, skip_zero_pages=False),
             "workload": make(registry, "workload", "uniform", write_rate_pages_s=20000)}
    out = run_trial(world(link={"bandwidth_mbit_s": 1000.0}), comps, 1)
    assert out.trace is not None
    sent = np.cumsum(out.trace.filter(pl.col("phase") == "precopy")["pages_sent"].to_numpy())
    assert sent[-1] > 1.5 * 4096 and (sent[:-1] <= 1.5 * 4096).all()


def test_rounds_policy_and_precopy_bound(registry: Any) -> None:
    heavy = {"write_rate_pages_s": 20000}
    m = run_trial(world(), {"strategy": make(registry, "strategy", "hybrid", stop_policy="rounds", rounds=4),
                            "workload": make(registry, "workload", "uniform", **heavy)}, 1).metrics
    assert m["rounds"] == 4
    m = run_trial(world(), {"strategy": make(registry, "strategy", "precopy", max_rounds=7),
                            "workload": make(registry, "workload", "uniform", **heavy)}, 1).metrics
    assert m["rounds"] == 7 and m["converged"] is False
    m = run_trial(world(), {"strategy": make(registry, "strategy", "precopy"), "workload": make(registry, "workload", "idle")}, 1).metrics
    assert m["rounds"] == 1 and m["converged"] is True and m["pages_resent"] == 0


def test_xbzrle_and_zero_pages_cut_bytes(registry: Any) -> None:
    def sent(**kw: Any) -> int:
        comps = {"strategy": make(registry, "strategy", "precopy", max_rounds=8, **kw),
                 "workload": make(registry, "workload", "hotset", write_rate_pages_s=3000)}
        return int(run_trial(world(vm={"zero_page_fraction": 0.5}), comps, 3).metrics["bytes_sent"])

    plain = sent(skip_zero_pages=False)
    assert sent(skip_zero_pages=True) < plain * 0.75
    assert sent(skip_zero_pages=False, xbzrle=True) < plain


def test_a_migration_past_max_time_fails_clearly(registry: Any) -> None:
    comps = {"strategy": make(registry, "strategy", "precopy"), "workload": make(registry, "workload", "uniform")}
    with pytest.raises(MigrationTimeoutError, match="world.max_time_s"):
        run_trial(world(max_time_s=0.5, link={"bandwidth_mbit_s": 10.0}), comps, 1)


def test_on_demand_postcopy_moves_pages_only_on_faults(registry: Any) -> None:
    # Uniform reads and writes over a 16 MiB guest: without a push, every page moves on its own fault.
    w = world()
    pushed = simulate(w, make(registry, "strategy", "postcopy"), make(registry, "workload", "uniform", write_rate_pages_s=5000), 4)
    lazy = simulate(w, make(registry, "strategy", "postcopy", background_push=False),
                    make(registry, "workload", "uniform", write_rate_pages_s=5000), 4, check=True)
    p, q = pushed.trial.metrics, lazy.trial.metrics
    assert q["remote_faults"] == 4096 and q["pages_sent"] == 4096 and q["pages_resent"] == 0
    assert q["downtime_s"] == p["downtime_s"]
    # The source must stay up until the last page is touched: far longer than memory / bandwidth.
    assert q["source_busy_s"] > 5 * p["source_busy_s"]
    assert q["degraded_time_s"] > p["degraded_time_s"]


def test_on_demand_postcopy_of_an_idle_guest_never_finishes(registry: Any) -> None:
    from distlab.migration.errors import MigrationTimeoutError

    w = world(max_time_s=30.0)
    with pytest.raises(MigrationTimeoutError, match="max_time_s=30"):
        simulate(w, make(registry, "strategy", "postcopy", background_push=False), make(registry, "workload", "idle"), 1)


# -- post-copy time steps ------------------------------------------------------------------------


class _CountingIdle:
    """An idle guest that fails the test if post-copy cuts its time into too many chunks."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.calls = 0

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        self.calls += 1
        if self.calls > self.limit:
            raise AssertionError(f"post-copy ran an idle guest in more than {self.limit} chunks")


def test_on_demand_postcopy_of_an_idle_guest_reaches_the_default_horizon_in_few_chunks(registry: Any) -> None:
    from distlab.migration.session import Session

    # The default horizon (a day) at the base step (~1 ms for 16 MiB) would be 10^8 chunks and a
    # trace row each; growing the step over idle chunks makes it a few dozen, merged into one row.
    w = world()
    assert w.max_time_s == 86400.0
    workload = _CountingIdle(limit=1000)
    session = Session(w, workload, 1)
    with pytest.raises(MigrationTimeoutError, match="max_time_s=86400"):
        make(registry, "strategy", "postcopy", background_push=False).migrate(session)
    assert 86400.0 <= session.clock_s < 86400.0 + 0.01
    assert [row["phase"] for row in session.trace] == ["switchover", "postcopy"]
    assert session.trace[-1]["pages_sent"] == 0 and session.trace[-1]["duration_s"] > 86399.0


def _burst_log(tmp_path: Any, at_s: float) -> str:
    # Half the pages at once at the start, then, after a long idle gap, every page at `at_s`.
    rows = [f"0.0,{p},r" for p in range(0, 4096, 2)] + [f"{at_s},{p},w" for p in range(4096)]
    path = tmp_path / "burst.csv"
    path.write_text("time_s,page,op\n" + "\n".join(rows) + "\n")
    return str(path)


def test_postcopy_metrics_do_not_depend_on_the_idle_step_growth(registry: Any, tmp_path: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from distlab.migration import session as session_module

    path = _burst_log(tmp_path, 3.0)

    class Counted:
        def __init__(self) -> None:
            self.inner = make(registry, "workload", "replay", path=path)
            self.calls = 0

        def start(self, guest: Guest) -> None:
            self.inner.start(guest)

        def run(self, guest: Guest, t0: float, t1: float) -> None:
            self.calls += 1
            self.inner.run(guest, t0, t1)

    def run(strategy: dict[str, Any]) -> tuple[Any, int]:
        workload = Counted()
        out = simulate(world(vm={"zero_page_fraction": 0.2}, link={"latency_ms": 2.0}),
                       make(registry, "strategy", "postcopy", **strategy), workload, 5, check=True)
        return out, workload.calls

    for strategy in ({"background_push": False}, {"background_push": False, "prepage_pages": 3}, {}):
        grown, grown_calls = run(strategy)
        with monkeypatch.context() as m:
            m.setattr(session_module, "_GROW_MAX_ACCESSES", 0)  # never grow: the base step throughout
            fixed, fixed_calls = run(strategy)
        assert grown.trial.metrics == fixed.trial.metrics
        if strategy == {"background_push": False}:
            # Every page moves on a fault of its own, half of them after three idle seconds.
            assert grown.trial.metrics["remote_faults"] == 4096
            assert grown_calls < fixed_calls / 10
        rows = grown.trial.trace.filter(pl.col("phase") == "postcopy")["pages_sent"].to_list()
        # Idle chunks in a row are merged into one trace row.
        assert all(a or b for a, b in zip(rows, rows[1:]))


@pytest.mark.parametrize("slack_s,finishes", [(1e-6, True), (-1e-6, False)])
def test_postcopy_fails_only_if_it_ends_past_the_horizon(registry: Any, tmp_path: Any, slack_s: float,
                                                         finishes: bool) -> None:
    # A migration whose last page arrives just before the horizon succeeds, even though the chunk
    # of guest time that saw it end reaches past the horizon.
    path = _burst_log(tmp_path, 1.0)

    def run(max_time_s: float) -> Any:
        return simulate(world(max_time_s=max_time_s), make(registry, "strategy", "postcopy", background_push=False),
                        make(registry, "workload", "replay", path=path), 3)

    free = run(1000.0).trial.metrics
    horizon = free["total_time_s"] + slack_s
    if finishes:
        assert run(horizon).trial.metrics == free
    else:
        with pytest.raises(MigrationTimeoutError, match="last page arrives"):
            run(horizon)


def test_prepaging_and_in_flight_faults_behave_as_documented(registry: Any, tmp_path: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from distlab.migration.session import Session

    path = tmp_path / "one.csv"
    path.write_text("time_s,page,op\n0.5,100,r\n0.5,99,r\n")
    w = world(link={"bandwidth_mbit_s": 100.0, "latency_ms": 1.0}, max_time_s=5.0)
    replay_state: list[np.ndarray] = []
    real_replay = kernels.postcopy_replay

    def spy(*args: Any) -> None:
        real_replay(*args)
        replay_state.append(args[12].copy())  # st: [3] faults, [4] stall seconds, [5] + [6] pages sent

    monkeypatch.setattr(kernels, "postcopy_replay", spy)
    # On demand, prepage 3: the fault on page 100 brings 101, 99, 102 (nearest first, both sides),
    # then the touch of 99, already on its way, is a fault that only waits for it.
    session = Session(w, make(registry, "workload", "replay", path=str(path)), 1, check=True)
    with pytest.raises(MigrationTimeoutError):
        make(registry, "strategy", "postcopy", background_push=False, prepage_pages=3).migrate(session)
    assert np.flatnonzero(session.dst_versions >= 0).tolist() == [99, 100, 101, 102]  # what arrived
    st = replay_state[-1]
    assert st[3] == 2 and st[5] + st[6] == 4
    page_s = 4096 * 8 / 100e6
    # The guest waits a round trip and a page for 100, then two more pages (101 goes before 99).
    assert st[4] == pytest.approx(2e-3 + page_s + 2 * page_s)
    monkeypatch.undo()

    # With the push, page 0 is on the link when the guest resumes: touching it is a fault (in flight).
    first = tmp_path / "first.csv"
    first.write_text("time_s,page,op\n0.0,0,r\n")
    m = run_trial(world(link={"bandwidth_mbit_s": 100.0, "latency_ms": 1.0}),
                  {"strategy": make(registry, "strategy", "postcopy"), "workload": make(registry, "workload", "replay", path=str(first))}, 1).metrics
    assert m["remote_faults"] == 1 and m["degraded_time_s"] == pytest.approx(4096 * 8 / 100e6)
    assert m["converged"] is True


@pytest.mark.parametrize("strategy", ["stop_and_copy", "postcopy"])
def test_strategies_without_a_stop_condition_record_converged_true(registry: Any, strategy: str) -> None:
    comps = {"strategy": make(registry, "strategy", strategy), "workload": make(registry, "workload", "uniform")}
    assert run_trial(world(), comps, 1).metrics["converged"] is True


@pytest.mark.parametrize("strategy,workload", [("precopy", "uniform"), ("postcopy", "streaming")])
def test_a_case_stores_each_trials_trace_as_its_own_frame_would(registry: Any, tmp_path: Any, strategy: str,
                                                                workload: str) -> None:
    # A trial gives its trace as rows (TraceRows) and the runner builds one frame for the whole case:
    # the stored trace must be the trials' own frames, each with its case_id and repeat, one after another.
    from distlab import store
    from distlab.case import resolve_case
    from distlab.runner import run_case

    config = {"study": "migration", "seed": 3, "repeats": 3, "world": {"vm": {"memory_mib": 16}},
              "strategy": {}, "workload": {}}
    case = resolve_case(config, {"strategy": strategy, "workload": workload}, registry)
    outcome = run_case(case, tmp_path / "job")
    stored = pl.read_parquet(outcome.job_dir / store.TRACE)
    frames = []
    for repeat, seed in enumerate(case.trial_seeds()):
        trial = case.study.run_trial(case.world, case.create_components(), seed)
        assert trial.trace_rows is not None and trial.trace is not None
        frames.append(trial.trace.with_columns(pl.lit(case.case_id).alias("case_id"),
                                               pl.lit(repeat, dtype=pl.Int64).alias("repeat")))
    expected = pl.concat(frames)
    assert stored.schema == expected.schema and stored.equals(expected)
    assert set(stored["repeat"]) == {0, 1, 2}
