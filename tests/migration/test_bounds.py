"""Bad input is refused before anything runs, or fails its case; never reported ok (issue 9, items 11-14).

Every parameter of the migration world, strategies and workloads has an upper bound where the
simulation or a result column has one; the pre-run check allocates nothing per page; an access log is
parsed once per case; a trial's memory per page is what distlab.migration.session.PEAK_MEMORY says.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import tracemalloc
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from distlab import ParameterError, host
from distlab.case import MAX_REPEATS, resolve_case
from distlab.migration import AccessLogError
from distlab.migration.engine import MigrationTimeoutError, check_case, simulate
from distlab.migration.world import MAX_PAGES, MigrationWorld
from distlab.params import build
from distlab.runner import run_case
from distlab.status import OK


@pytest.fixture(scope="module")
def registry() -> Any:
    return host.load_registry()


def make(registry: Any, kind: str, name: str, **values: Any) -> Any:
    comp = registry.component(kind, name)
    return comp.create(build(comp.params, values, f"{kind}."))


def _case(registry: Any, choice: str = "uniform", **config: Any) -> Any:
    base: dict[str, Any] = {"study": "migration", "seed": 0, "repeats": 1, "world": {"vm": {"memory_mib": 16}}}
    return resolve_case({**base, **config}, {"workload": choice, "strategy": "precopy"}, registry)


# -- 11: accepted with exit 0 but wrong ----------------------------------------------------------------


def test_a_vm_too_large_for_an_int64_byte_count_is_refused() -> None:
    # 2**82 bytes in 2**28 pages: the page count was within bounds, the bytes overflowed int64.
    with pytest.raises(ParameterError) as info:
        build(MigrationWorld, {"vm": {"memory_mib": 2**62, "page_size_bytes": 2**54}}, "world.")
    assert info.value.key in ("world.vm.memory_mib", "world.vm.page_size_bytes")
    with pytest.raises(ParameterError, match="world.vm.page_size_bytes"):
        build(MigrationWorld, {"vm": {"memory_mib": 2**10, "page_size_bytes": 2**31}}, "world.")
    with pytest.raises(ParameterError, match="world.vm.device_state_bytes"):
        build(MigrationWorld, {"vm": {"device_state_bytes": 2**62}}, "world.")


def test_a_latency_beyond_the_horizon_is_refused_before_anything_runs(registry: Any) -> None:
    with pytest.raises(ParameterError) as info:
        _case(registry, world={"link": {"latency_ms": 1e8}})
    assert info.value.key == "world.link.latency_ms" and "max_time_s=86400" in str(info.value)
    with pytest.raises(ParameterError, match="world.link.latency_ms"):
        build(MigrationWorld, {"link": {"latency_ms": 10_000.0}, "max_time_s": 10.0}, "world.")
    assert build(MigrationWorld, {"link": {"latency_ms": 9_999.0}, "max_time_s": 10.0}, "world.")


def test_a_migration_that_ends_past_the_horizon_fails_even_if_its_last_byte_left_before(registry: Any) -> None:
    # 16 MiB at 1000 Mbit/s leave in 0.134 s; the VM resumes one latency (0.3 s) later, past 0.4 s.
    world = build(MigrationWorld, {"vm": {"memory_mib": 16}, "link": {"latency_ms": 300.0}, "max_time_s": 0.4},
                  "world.")
    for strategy in ("stop_and_copy", "postcopy"):
        with pytest.raises(MigrationTimeoutError, match="max_time_s=0.4"):
            simulate(world, make(registry, "strategy", strategy), make(registry, "workload", "idle"), 1)
    roomy = build(MigrationWorld, {"vm": {"memory_mib": 16}, "link": {"latency_ms": 300.0}, "max_time_s": 0.5},
                  "world.")
    m = simulate(roomy, make(registry, "strategy", "stop_and_copy"), make(registry, "workload", "idle"), 1).trial.metrics
    assert 0.4 < m["total_time_s"] <= 0.5


@pytest.mark.parametrize("seed,ok", [(2**63 - 1, True), (2**63, False), (2**64, False)])
def test_a_seed_is_below_2_to_the_63(registry: Any, seed: int, ok: bool) -> None:
    if ok:
        assert _case(registry, seed=seed).seed == seed
    else:
        with pytest.raises(ParameterError, match="'seed'.*< 2\\*\\*63"):
            _case(registry, seed=seed)


def _numeric_fields(cls: type, prefix: str = "") -> list[tuple[str, dataclasses.Field[Any]]]:
    out: list[tuple[str, dataclasses.Field[Any]]] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            out += _numeric_fields(typing.cast(type, tp), f"{prefix}{f.name}.")
        elif tp is not bool and (tp in (int, float) or set(typing.get_args(tp)) & {int, float}):
            out.append((prefix + f.name, f))
    return out


# Numbers with no bound in the simulation or a column: a factor or a rate that only caps or compares
# (a huge value means "never" or "no cap"), a fraction bounded by 1, a time that only scales.
UNBOUNDED = {
    "strategy.throttle_trigger_fraction", "strategy.downtime_limit_ms", "strategy.bandwidth_cap_mib_s",
    "strategy.xen_max_sent_factor", "strategy.xen_rate_start_mbit_s", "strategy.xen_rate_step_mbit_s",
    "strategy.xen_rate_max_mbit_s", "workload.exponent", "workload.phase_s", "workload.period_s",
    "workload.time_scale",
}


def test_every_integer_and_every_rate_has_an_upper_bound(registry: Any) -> None:
    classes: list[tuple[str, type]] = [("world.", MigrationWorld)]
    classes += [(f"{kind}.", comp.params) for kind in ("strategy", "workload") for comp in registry.components(kind)
                if comp.module == "distlab_migration"]
    assert len(classes) == 1 + 5 + 8
    from distlab.rpc.world import RpcWorld

    classes.append(("world.", RpcWorld))
    missing = sorted({key for prefix, cls in classes for key, f in _numeric_fields(cls, prefix)
                      if f.metadata.get("le") is None and f.metadata.get("lt") is None and key not in UNBOUNDED})
    assert missing == []


# -- 12: hangs ------------------------------------------------------------------------------------------


def test_rates_that_would_hang_a_trial_are_refused(registry: Any) -> None:
    for name in ("uniform", "hotset", "zipf", "sequential", "phased"):
        with pytest.raises(ParameterError, match="workload.write_rate_pages_s"):
            make(registry, "workload", name, write_rate_pages_s=1e9)
        # A read fraction near 1 implies reads far faster than the writes.
        with pytest.raises(ParameterError, match="workload.read_fraction"):
            make(registry, "workload", name, write_rate_pages_s=1e4, read_fraction=0.99999)
    with pytest.raises(ParameterError, match="workload.phase_s"):
        make(registry, "workload", "phased", phase_s=1e-300)
    with pytest.raises(ParameterError, match="strategy.max_rounds"):
        make(registry, "strategy", "precopy", max_rounds=10**12)


def test_a_looping_log_with_a_vanishing_period_is_refused(registry: Any, tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("time_s,page,op\n0.0,1,w\n1.0,2,w\n")
    with pytest.raises(ParameterError, match="workload.time_scale"):
        make(registry, "workload", "replay", path=str(path), loop=True, time_scale=1e-300)


def test_repeats_are_bounded(registry: Any) -> None:
    assert _case(registry, repeats=MAX_REPEATS).repeats == MAX_REPEATS
    with pytest.raises(ParameterError, match="'repeats'"):
        _case(registry, repeats=10**8)


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="needs /dev/zero and FIFOs")
def test_an_access_log_that_is_no_regular_file_is_refused_without_reading(registry: Any, tmp_path: Path) -> None:
    with pytest.raises(AccessLogError, match="/dev/zero: not a regular file"):
        make(registry, "workload", "replay", path="/dev/zero")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer
    with pytest.raises(AccessLogError, match="pipe.csv: not a regular file"):
        make(registry, "workload", "replay", path=str(fifo))
    with pytest.raises(AccessLogError, match="not a regular file"):
        make(registry, "workload", "replay", path=str(tmp_path))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_the_case_id_of_a_device_path_is_refused_not_hashed_forever(registry: Any) -> None:
    script = textwrap.dedent(
        """
        from distlab import ParameterError, host
        from distlab.case import resolve_case
        config = {"study": "migration", "repeats": 1, "world": {"vm": {"memory_mib": 16}},
                  "workload": {"path": "/dev/zero"}}
        case = resolve_case(config, {"workload": "replay"}, host.load_registry())
        try:
            case.case_id
        except ParameterError as err:
            print("refused:", err)
        """
    )
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("hashing /dev/zero for the case id did not end")
    assert "refused:" in done.stdout and "workload.path" in done.stdout


def test_an_access_log_too_large_is_refused_naming_the_limit(registry: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from distlab_migration.workloads import replay

    path = tmp_path / "log.csv"
    path.write_text("time_s,page,op\n" + "".join(f"0.{i:03d},{i},w\n" for i in range(10)))
    monkeypatch.setattr(replay, "MAX_ACCESSES", 9)
    with pytest.raises(AccessLogError, match=r"log.csv:11: more than 9 accesses"):
        make(registry, "workload", "replay", path=str(path))
    monkeypatch.setattr(replay, "MAX_ACCESS_LOG_BYTES", 100)
    with pytest.raises(AccessLogError, match=r"log.csv: \d+ bytes; an access log may have at most 100 bytes"):
        make(registry, "workload", "replay", path=str(path))


# -- 13: the pre-run check allocates no world; an access log is parsed once per case -----------------------


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmSize from /proc (Linux)")
def test_the_case_check_of_the_largest_vm_runs_in_little_memory() -> None:
    # A 1 TiB VM with a Zipf workload: a session would take about 8 GB (14 bytes per page, and 16 for
    # the Zipf table). With the address space capped at 1 GiB above what the imports took, the check
    # must still pass, and still refuse an access log beyond the VM.
    script = textwrap.dedent(
        """
        import re, resource
        from distlab import host
        from distlab.migration import AccessLogError
        from distlab.migration.engine import check_case
        from distlab.migration.world import MigrationWorld
        from distlab.params import build

        registry = host.load_registry()
        def make(kind, name, **values):
            comp = registry.component(kind, name)
            return comp.create(build(comp.params, values, kind + "."))
        world = build(MigrationWorld, {"vm": {"memory_mib": 1 << 20}}, "world.")
        small = build(MigrationWorld, {"vm": {"memory_mib": 1}}, "world.")
        workloads = [make("workload", n) for n in ("zipf", "hotset", "phased", "uniform", "replay")]
        size = int(re.search(r"VmSize:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size + (1 << 30), resource.RLIM_INFINITY))
        for workload in workloads:
            check_case(world, {"strategy": make("strategy", "precopy"), "workload": workload})
        try:
            check_case(small, {"strategy": make("strategy", "precopy"), "workload": workloads[-1]})
        except AccessLogError as err:
            print("refused:", err)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "beyond the VM's memory" in done.stdout


def test_the_case_check_builds_no_session(registry: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from distlab.migration import session

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("check_case built a session")

    monkeypatch.setattr(session.Session, "__init__", refuse)
    world = build(MigrationWorld, {"vm": {"memory_mib": 1 << 20}}, "world.")
    assert (world.vm.memory_mib << 20) // world.vm.page_size_bytes == MAX_PAGES
    check_case(world, {"strategy": make(registry, "strategy", "precopy"), "workload": make(registry, "workload", "zipf")})


def test_a_workload_start_may_not_access_memory_in_the_check(registry: Any) -> None:
    from distlab import PluginError
    from distlab.migration.guest import Guest

    class Eager:
        def start(self, guest: Guest) -> None:
            guest.uniform(10.0, 0.0, 1.0)

        def run(self, guest: Guest, t0: float, t1: float) -> None:
            return None

    world = build(MigrationWorld, {"vm": {"memory_mib": 16}}, "world.")
    with pytest.raises(PluginError, match="must not access memory"):
        check_case(world, {"strategy": make(registry, "strategy", "precopy"), "workload": Eager()})


def test_a_case_parses_its_access_log_once(registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distlab_migration.workloads import replay

    parsed: list[Path] = []
    real = replay._load_csv

    def counting(path: Path, fh: Any) -> Any:
        parsed.append(path)
        return real(path, fh)

    monkeypatch.setattr(replay, "_load_csv", counting)
    log = tmp_path / "log.csv"
    log.write_text("time_s,page,op\n" + "".join(f"{i * 0.001:.3f},{i % 4000},w\n" for i in range(2000)))
    case = _case(registry, "replay", repeats=3, workload={"path": str(log)})
    # As preflight does, then the three trials, each creating its workload afresh.
    case.study.check_case(case.world, case.create_components())
    assert run_case(case, tmp_path / "job").status == OK
    assert parsed == [log]
    # Other content at the same path is parsed again, never served from the cache.
    log.write_text("time_s,page,op\n0.0,7,w\n")
    assert make(registry, "workload", "replay", path=str(log)).pages.tolist() == [7]
    assert parsed == [log, log]


# -- 14: memory at the largest VM --------------------------------------------------------------------


def test_a_session_with_a_zipf_table_takes_30_bytes_per_page(registry: Any) -> None:
    # The arrays a trial holds at its start, counted exactly by tracemalloc (NumPy reports its buffers):
    # 14 bytes per page for the session and 16 for the Zipf table, with no temporaries of page size
    # beyond the 8 MB chunk of zero-page draws (before: 57 bytes per page at the peak).
    from distlab.migration.session import Session

    world = build(MigrationWorld, {"vm": {"memory_mib": 8192, "zero_page_fraction": 0.5}}, "world.")
    pages = (world.vm.memory_mib << 20) // world.vm.page_size_bytes
    workload = make(registry, "workload", "zipf")
    tracemalloc.start()
    try:
        session = Session(world, workload, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert session.pages == pages == 2**21
    assert peak / pages < 30 + 5
    assert np.count_nonzero(session._zero) > 0
