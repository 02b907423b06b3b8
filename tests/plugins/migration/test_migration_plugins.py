"""The built-in migration plugin: registration, cheap import, parameter and access log errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from distlab import host
from distlab.errors import ParameterError
from distlab.migration.errors import AccessLogError
from distlab.migration.engine import simulate
from distlab.migration.world import MigrationWorld
from distlab.params import build

STRATEGIES = {"stop_and_copy", "precopy", "postcopy", "hybrid", "precopy_postcopy"}
WORKLOADS = {"idle", "uniform", "hotset", "zipf", "sequential", "streaming", "phased", "replay"}


@pytest.fixture(scope="module")
def registry() -> Any:
    return host.load_registry()


def params(registry: Any, kind: str, name: str, **values: Any) -> Any:
    return build(registry.component(kind, name).params, values, f"{kind}.")


def test_every_component_is_registered(registry: Any) -> None:
    assert {c.name for c in registry.components("strategy")} == STRATEGIES
    assert {c.name for c in registry.components("workload")} == WORKLOADS
    assert not registry.failures
    for comp in [*registry.components("strategy"), *registry.components("workload")]:
        assert comp.plugin == "migration" and comp.doc
        a, b = comp.create(comp.params()), comp.create(comp.params())
        assert a is not b  # a fresh object per trial
        assert "name" not in {f for f in comp.params.__dataclass_fields__}


def test_importing_the_plugin_and_the_study_is_cheap() -> None:
    code = (
        "import sys, distlab_migration, distlab.migration.study, distlab.host as h; h.load_registry(); "
        "heavy = [m for m in ('numba', 'distlab.migration.engine', 'distlab.migration.kernels', 'polars') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "kind,name,values,key",
    [
        ("strategy", "precopy", {"max_rounds": 0}, "strategy.max_rounds"),
        ("strategy", "postcopy", {"prepage_pages": -1}, "strategy.prepage_pages"),
        ("strategy", "hybrid", {"stop_policy": "vmware"}, "strategy.stop_policy"),
        ("strategy", "hybrid", {"downtime_limit_ms": 0}, "strategy.downtime_limit_ms"),
        ("strategy", "hybrid", {"bandwidth_cap_mib_s": -5.0}, "strategy.bandwidth_cap_mib_s"),
        ("strategy", "precopy", {"xbzrle_compressed_fraction": 0.0}, "strategy.xbzrle_compressed_fraction"),
        ("workload", "hotset", {"hot_fraction": 0.0}, "workload.hot_fraction"),
        ("workload", "hotset", {"hot_fraction": 1.5}, "workload.hot_fraction"),
        ("workload", "uniform", {"write_rate_pages_s": 0}, "workload.write_rate_pages_s"),
        ("workload", "uniform", {"write_rate_pages_s": -3.0}, "workload.write_rate_pages_s"),
        ("workload", "uniform", {"read_fraction": 1.0}, "workload.read_fraction"),
        ("workload", "zipf", {"exponent": 0}, "workload.exponent"),
        ("workload", "phased", {"phase_s": 0}, "workload.phase_s"),
    ],
)
def test_bad_parameters_name_their_key(registry: Any, kind: str, name: str, values: dict[str, Any], key: str) -> None:
    with pytest.raises(ParameterError) as info:
        params(registry, kind, name, **values)
    assert info.value.key == key


@pytest.mark.parametrize(
    "values,key",
    [
        ({"throttle_initial": 0.5, "throttle_max": 0.4}, "throttle_initial"),
        ({"xen_rate_start_mbit_s": 600.0}, "xen_rate_start_mbit_s"),
    ],
)
def test_cross_field_rules_raise_parameter_errors(registry: Any, values: dict[str, Any], key: str) -> None:
    with pytest.raises(ParameterError, match=key):
        params(registry, "strategy", "hybrid", **values)


@pytest.mark.parametrize(
    "values,key",
    [
        ({"vm": {"page_size_bytes": 3000}}, "world.vm.page_size_bytes"),
        ({"vm": {"memory_mib": 0}}, "world.vm.memory_mib"),
        ({"vm": {"memory_mib": -16}}, "world.vm.memory_mib"),
        ({"link": {"bandwidth_mbit_s": 0}}, "world.link.bandwidth_mbit_s"),
        ({"link": {"bandwidth_mbit_s": -1.0}}, "world.link.bandwidth_mbit_s"),
        ({"link": {"latency_ms": -1.0}}, "world.link.latency_ms"),
        ({"vm": {"zero_page_fraction": 1.5}}, "world.vm.zero_page_fraction"),
        ({"vm": {"memory_mib": 1, "page_size_bytes": 2 << 20}}, "world.vm.page_size_bytes"),  # larger than memory
        ({"vm": {"memory_mib": 3, "page_size_bytes": 2 << 20}}, "world.vm.page_size_bytes"),  # 1.5 pages
    ],
)
def test_bad_world_values_name_their_key(values: dict[str, Any], key: str) -> None:
    with pytest.raises(ParameterError) as info:
        build(MigrationWorld, values, "world.")
    assert info.value.key == key


def test_preflight_rejects_a_page_larger_than_the_vm_before_any_run() -> None:
    from distlab.hydra.preflight import preflight

    with pytest.raises(ParameterError) as info:
        preflight(["study=migration", "world.vm.memory_mib=1", "world.vm.page_size_bytes=2097152"], multirun=False)
    assert info.value.key == "world.vm.page_size_bytes" and "at most 1048576 bytes" in str(info.value)
    assert build(MigrationWorld, {"vm": {"memory_mib": 3, "page_size_bytes": 1 << 20}}).vm.page_size_bytes == 1 << 20


# -- access logs ---------------------------------------------------------------------------------


def make_replay(registry: Any, path: Path | str, **values: Any) -> Any:
    comp = registry.component("workload", "replay")
    return comp.create(build(comp.params, {"path": str(path), **values}, "workload."))


def test_the_bundled_example_access_log_loads(registry: Any) -> None:
    replay = make_replay(registry, "")
    assert len(replay.pages) == 3000 and replay.pages.max() < 4096 and replay.is_read.any()


@pytest.mark.parametrize(
    "text,line,what",
    [
        ("time,page,op\n0,1,w\n", 1, "header"),
        ("time_s,page,op\n0.0,1,w\n0.5,abc,w\n", 3, "page must be an integer"),
        ("# comment\ntime_s,page,op\n0.0,1,w\n\nx,2,r\n", 5, "time_s must be a number"),
        ("time_s,page,op\n0.5,1,w\n0.4,2,r\n", 3, "backwards"),
        ("time_s,page,op\n0.5,1,x\n", 2, "op must be"),
        ("time_s,page,op\n0.5,1\n", 2, "3 fields"),
        ("time_s,page,op\n-1,1,w\n", 2, ">= 0"),
        ("time_s,page,op\n0.1,-4,w\n", 2, ">= 0"),
        ("", 1, "empty"),
        # The engine holds pages as int64: a larger index is an error naming the range, not an OverflowError.
        ("time_s,page,op\n0.0,1,w\n0.1,9223372036854775808,w\n", 3, "< 2**63"),
        ("time_s,page,op\n0.1,99999999999999999999999,w\n", 2, "< 2**63"),
        ("time_s,page,op\n0.1,1_000,w\n", 2, "page must be an integer"),
        ("time_s,page,op\n0.1,3.0,w\n", 2, "page must be an integer"),
        ("time_s,page,op\n0.1,,w\n", 2, "page must be an integer"),
        ("time_s,page,op\nnan,1,w\n", 2, "finite"),
        ("time_s,page,op\ninf,1,w\n", 2, "finite"),
        ("time_s,page,op\n0.1,\x001,w\n", 2, "page must be an integer"),
        ("# only a comment\ntime_s,page,op\n# and another\n", 3, "no access"),
        ('time_s,page,op\n0.1,1,w\n"0.2\n",2,w\n0.3,x,w\n', 5, "page must be an integer"),
        ("time_s,page,op\n0.1,1,w\n0.2," + "9" * 200_000 + ",w\n", 3, "not a CSV line"),
    ],
)
def test_malformed_access_logs_name_file_and_line(registry: Any, tmp_path: Path, text: str, line: int, what: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(AccessLogError) as info:
        make_replay(registry, path)
    assert f"{path}:{line}:" in str(info.value) and what in str(info.value)


def test_a_missing_access_log_file_is_named(registry: Any, tmp_path: Path) -> None:
    with pytest.raises(AccessLogError, match="nope.csv: access log file not found"):
        make_replay(registry, tmp_path / "nope.csv")


def test_a_page_beyond_memory_names_its_line(registry: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("time_s,page,op\n0.0,1,w\n0.1,99999,r\n")
    comp = registry.component("strategy", "precopy")
    world = build(MigrationWorld, {"vm": {"memory_mib": 16}})
    with pytest.raises(AccessLogError, match=r"big.csv:3: page 99999 is beyond"):
        simulate(world, comp.create(comp.params()), make_replay(registry, path), 1)


def test_parquet_access_logs_replay_like_csv(registry: Any, tmp_path: Path) -> None:
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("time_s,page,op\n0.0,3,w\n0.01,4,r\n0.02,5,W\n0.5,3,write\n")
    pq = tmp_path / "t.parquet"
    pl.DataFrame({"time_s": [0.0, 0.01, 0.02, 0.5], "page": [3, 4, 5, 3], "op": ["w", "r", "W", "write"]}).write_parquet(pq)
    a, b = make_replay(registry, csv_path), make_replay(registry, pq)
    assert (a.pages == b.pages).all() and (a.times == b.times).all() and (a.is_read == b.is_read).all()
    bad = tmp_path / "bad.parquet"
    pl.DataFrame({"time_s": [0.0, 1.0], "page": [1, 2], "op": ["w", "q"]}).write_parquet(bad)
    with pytest.raises(AccessLogError, match=r"bad.parquet:3: op must be"):
        make_replay(registry, bad)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(AccessLogError, match="broken.parquet"):
        make_replay(registry, broken)


def test_a_looping_access_log_repeats_its_writes(registry: Any) -> None:
    from distlab.migration.guest import Guest
    import numpy as np

    def writes(loop: bool) -> int:
        replay = make_replay(registry, "", loop=loop)
        guest = Guest(4096, 4096, 1, np.zeros(64, np.uint64), np.zeros(0, np.int64))  # packed: 64 pages a word
        replay.start(guest)
        replay.run(guest, 0.0, 6.0)
        return guest.writes

    once = writes(False)
    assert once > 1000 and writes(True) >= 2.9 * once


def test_an_access_log_with_a_byte_order_mark_reads_like_one_without(registry: Any, tmp_path: Path) -> None:
    text = "time_s,page,op\n0.0,3,w\n0.5,4,r\n"
    plain, bom = tmp_path / "plain.csv", tmp_path / "bom.csv"
    plain.write_text(text, encoding="utf-8")
    bom.write_text(text, encoding="utf-8-sig")  # what spreadsheet programs write
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    a, b = make_replay(registry, plain), make_replay(registry, bom)
    assert (a.pages == b.pages).all() and (a.times == b.times).all() and (a.is_read == b.is_read).all()


def test_malformed_parquet_access_logs_are_access_log_errors(registry: Any, tmp_path: Path) -> None:
    cases = {
        "huge.parquet": (pl.DataFrame({"time_s": [0.0], "page": [2**63], "op": ["w"]},
                                      schema={"time_s": pl.Float64, "page": pl.UInt64, "op": pl.String}), "< 2**63"),
        "nan.parquet": (pl.DataFrame({"time_s": [float("nan")], "page": [1], "op": ["w"]}), "finite"),
        "null.parquet": (pl.DataFrame({"time_s": [0.0], "page": [None], "op": ["w"]},
                                      schema={"time_s": pl.Float64, "page": pl.Int64, "op": pl.String}), "page must be"),
        "empty.parquet": (pl.DataFrame({"time_s": [], "page": [], "op": []},
                                       schema={"time_s": pl.Float64, "page": pl.Int64, "op": pl.String}), "no access"),
    }
    for name, (frame, what) in cases.items():
        frame.write_parquet(tmp_path / name)
        with pytest.raises(AccessLogError, match=f"{name}:2: .*{what.replace('*', '[*]')}"):
            make_replay(registry, tmp_path / name)


def _replayed(replay: Any, edges: list[float]) -> tuple[list[int], list[float]]:
    """The accesses a replay issues over consecutive intervals, as the destination collects them."""
    from distlab.migration.guest import Guest
    import numpy as np

    guest = Guest(64, 4096, 1, np.zeros(1, np.uint64), np.zeros(0, np.int64))  # packed: 64 pages a word
    guest.at_destination()
    replay.start(guest)
    for a, b in zip(edges, edges[1:]):
        replay.run(guest, a, b)
    pages, times = guest.take_accesses()
    return pages.tolist(), times.tolist()


def test_a_looping_access_log_replays_the_accesses_at_its_last_time(registry: Any, tmp_path: Path) -> None:
    path = tmp_path / "loop.csv"
    path.write_text("time_s,page,op\n0.0,1,w\n0.5,2,r\n1.0,3,w\n1.0,4,w\n")
    # Period: the last time (1.0) plus the mean gap between distinct times (0.5).
    replay = make_replay(registry, path, loop=True)
    assert replay.period == 1.5
    pages, times = _replayed(replay, [0.0, 4.5])
    assert pages == [1, 2, 3, 4] * 3
    assert times == [0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.5, 2.5, 3.0, 3.5, 4.0, 4.0]
    # However time is cut, at a repeat's edges included, each access comes exactly once.
    edges = [0.0, 0.3, 1.0, 1.5, 1.5, 2.9999999999999996, 3.0, 3.0000000000000004, 4.0, 4.5]
    assert _replayed(make_replay(registry, path, loop=True), edges) == (pages, times)


def test_a_looping_access_log_takes_an_explicit_period(registry: Any, tmp_path: Path) -> None:
    path = tmp_path / "loop.csv"
    path.write_text("time_s,page,op\n0.0,1,w\n0.5,2,r\n1.0,3,w\n")
    replay = make_replay(registry, path, loop=True, period_s=2.0, time_scale=0.5)
    assert replay.period == 1.0  # period_s is in the log's seconds, scaled like them
    assert _replayed(replay, [0.0, 0.3, 1.75]) == ([1, 2, 3, 1, 2, 3], [0.0, 0.25, 0.5, 1.0, 1.25, 1.5])
    for period in (1.0, 0.5):  # not beyond the last time: some accesses would overlap the next repeat
        with pytest.raises(ParameterError) as info:
            make_replay(registry, path, loop=True, period_s=period)
        assert info.value.key == "workload.period_s" and "last time_s (1 s" in str(info.value)
    single = tmp_path / "single.csv"
    single.write_text("time_s,page,op\n0.25,1,w\n0.25,2,w\n")
    with pytest.raises(ParameterError, match="same time_s"):
        make_replay(registry, single, loop=True)
    assert make_replay(registry, single, loop=True, period_s=1.0).period == 1.0
