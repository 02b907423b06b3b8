"""Speed of a whole migration with the built-in strategies and workloads (a ``distlab bench`` suite).

Benchmarks (``run`` returns one dict per comparison, see :mod:`distlab.bench`):

1. ``4 GiB pre-copy migration``: 1 Gbit/s, 50,000 uniform page writes per second, pre-copy until its
   30-round bound (about 35 million writes), with a warm JIT cache. Goal: at most 0.5 s; the row's
   ratio is 0.5 s / measured.
2. ``converging 4 GiB pre-copy trial vs NumPy``: the same world with 5,000 writes per second, pre-copy
   until nothing is dirty (8 or 9 rounds), the whole trial (:func:`distlab.migration.run_trial`: session,
   rounds, stop-and-copy, metrics and the trace's rows) against :func:`numpy_precopy`, a straightforward NumPy
   implementation of the same round loop (``flatnonzero`` to sync, a boolean bitmap, ``rng.integers``
   for the writes), both in CPU time (see 3). Goal: 3x. And the same trial against a fixed budget of
   3 ms (Hirofuchi et al.'s fluid model in SimGrid, "Adding a live migration model into SimGrid", 2013,
   takes about 1 ms for a 4 GiB migration with no per-page state; 3 ms is within 3x of it while
   keeping every per-page effect): the ratio is 3 ms / measured, goal 1.
3. ``cost per GiB``: the converging trial at 1, 16, 64 and 256 GiB (1, 4 and 16 GiB with ``quick``),
   its whole time (session, rounds, stop-and-copy, metrics and the trace's rows) over the VM's GiB; the ratio is
   the smallest cost per GiB over the largest, goal 0.77 (every size within +-30% of another). The
   work per GiB is the same at every size: the link (1 Gbit/s) and the write rate (5,000 uniform
   writes/s over all of memory) are fixed, so a round lasts in proportion to the memory it sends and
   the writes it sees grow with it (about 50,700 per GiB over the trial, at every size; each round
   dirties about 16% of what it sent, so the rounds grow with the logarithm of the size: 8 at 1 GiB,
   11 at 256 GiB). The sizes take turns, three trials at a time, each size the same number of
   repeats, and the fastest of each counts, so no size gets a better estimate than another. Timed
   in CPU time of the process (wall-clock time on a shared machine penalises the longest trials,
   which are the likeliest to be preempted).
4. ``JIT cache``: the first trial (16 MiB) in a fresh process, twice, after the imports, with an empty
   ``NUMBA_CACHE_DIR`` shared by both: the first process compiles, the second must not compile again
   (``cache=True``). The rows name how many kernels each compiled (Numba's cache-miss counters); what
   the second still spends is loading the cached machine code. Reported, no goal.

A trial returns its trace as rows (:class:`distlab.study.TraceRows`), and the Polars frame is made
when ``trial.trace`` is first read; a sweep's runner makes one frame of all the rows of a case
(about 3.5 us a trial for a converging 1 GiB trial's 9 rows, where a frame per trial and its
``case_id`` and ``repeat`` columns took 57 us), so what 2 and 3 time is what a sweep pays for a trial.

Timings are the best of a few repeats (the minimum is the least noisy estimate on a shared machine):
wall-clock time for 1 and 4, CPU time of the process for 2 and 3.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from distlab.bench import best_time, row

__all__ = ["run"]








def _migration(memory_mib: int) -> Any:
    from distlab.migration import run_trial
    from distlab.migration import MigrationWorld
    from distlab import build
    from distlab_migration.strategies.params import PrecopyParams
    from distlab_migration.strategies.precopy import Precopy
    from distlab_migration.workloads.params import UniformParams
    from distlab_migration.workloads.patterns import Uniform

    world = build(MigrationWorld, {"vm": {"memory_mib": memory_mib}, "link": {"bandwidth_mbit_s": 1000.0}})
    components = {
        "strategy": Precopy(PrecopyParams()),
        "workload": Uniform(build(UniformParams, {"write_rate_pages_s": 50_000.0})),
    }
    return run_trial(world, components, 1)


def _migration_rows(quick: bool) -> list[dict[str, Any]]:
    memory_mib = 512 if quick else 4096
    _migration(16)  # warm the JIT (from the on-disk cache when there is one)
    trial = None

    def once() -> None:
        nonlocal trial
        trial = _migration(memory_mib)

    seconds = best_time(once, 2 if quick else 3)
    assert trial is not None
    writes = int(trial.trace["writes"].sum()) if trial.trace is not None else 0
    name = (f"{memory_mib // 1024 if memory_mib >= 1024 else memory_mib}{'GiB' if memory_mib >= 1024 else 'MiB'} "
            f"pre-copy migration ({trial.metrics['rounds']} rounds, {writes / 1e6:.1f}M writes; goal 0.5 s)")
    return [row(name, seconds, None, 0.5, 0.5 / seconds, 1.0)]


_COLD = """
import time
import polars
from distlab.migration import kernels
from distlab_migration import bench
import distlab_migration.strategies.precopy, distlab_migration.workloads.patterns
imported = time.perf_counter()
bench._migration(16)
done = time.perf_counter()
misses = sum(sum(getattr(kernels, k).stats.cache_misses.values()) for k in kernels.__all__)
print(done - imported, misses)
"""


def numpy_precopy(pages: int, page_bytes: int, bandwidth_mbit_s: float, write_rate_pages_s: float, max_rounds: int,
                  state_bytes: int, latency_s: float, seed: int) -> dict[str, Any]:
    """The benchmark's baseline: pre-copy with uniform writes, written as one would in plain NumPy.

    Rounds until nothing is dirty (at most ``max_rounds``), then a stop-and-copy; the k-th write happens
    at time k / rate, as in the engine. Returns the metrics the engine reports for the same trial.
    """
    import math

    import numpy as np

    rng = np.random.default_rng(seed)
    dirty = np.ones(pages, dtype=bool)
    sent = np.zeros(pages, dtype=np.uint32)
    clock = 0.0
    writes = 0
    bytes_sent = resent = rounds = 0
    trace = []
    for rounds in range(1, max_rounds + 1):
        idx = np.flatnonzero(dirty)
        dirty[:] = False
        resent += int(np.count_nonzero(sent[idx]))
        sent[idx] += 1
        duration = idx.size * page_bytes * 8 / (bandwidth_mbit_s * 1e6)
        bytes_sent += idx.size * page_bytes
        clock += duration
        due = math.ceil(write_rate_pages_s * clock)
        dirty[rng.integers(0, pages, due - writes)] = True
        writes = due
        left = int(np.count_nonzero(dirty))
        trace.append((rounds, clock - duration, duration, idx.size, left))
        if left == 0:
            break
    idx = np.flatnonzero(dirty)
    final = (idx.size * page_bytes + state_bytes) * 8 / (bandwidth_mbit_s * 1e6)
    return {"rounds": rounds, "bytes_sent": bytes_sent + idx.size * page_bytes + state_bytes,
            "pages_resent": resent + int(np.count_nonzero(sent[idx])), "downtime_s": final + latency_s,
            "total_time_s": clock + final + latency_s, "trace": trace}


def _converging(memory_mib: int) -> tuple[Any, dict[str, Any]]:
    from distlab import build
    from distlab.migration import MigrationWorld
    from distlab_migration.strategies.params import PrecopyParams
    from distlab_migration.strategies.precopy import Precopy
    from distlab_migration.workloads.params import UniformParams
    from distlab_migration.workloads.patterns import Uniform

    world = build(MigrationWorld, {"vm": {"memory_mib": memory_mib}, "link": {"bandwidth_mbit_s": 1000.0}})
    components = {"strategy": Precopy(PrecopyParams()),
                  "workload": Uniform(build(UniformParams, {"write_rate_pages_s": 5_000.0}))}
    return world, components


def _converging_rows(quick: bool) -> list[dict[str, Any]]:
    from distlab.migration import run_trial

    repeats = 3 if quick else 7
    _ = run_trial(*_converging(16), 1)  # warm the JIT
    world, components = _converging(4096)
    vm = world.vm
    pages = (vm.memory_mib << 20) // vm.page_size_bytes
    trial = run_trial(world, components, 1)
    t_engine = t_numpy = float("inf")
    base: dict[str, Any] = {}
    # Interleaved, so that load from elsewhere on a shared machine hits both alike, and in CPU time as the
    # cost per GiB below: the NumPy loop runs 20 times longer, so wall-clock time would more often count
    # a preemption against it (a bias in the engine's favour).
    for _ in range(repeats):
        t_engine = min(t_engine, best_time(lambda: run_trial(world, components, 1), 1, cpu=True))

        def baseline() -> None:
            nonlocal base
            base = numpy_precopy(pages, vm.page_size_bytes, world.link.bandwidth_mbit_s, 5_000.0, 30,
                                 vm.cpu_state_bytes + vm.device_state_bytes, world.link.latency_ms / 1e3, 1)

        t_numpy = min(t_numpy, best_time(baseline, 1, cpu=True))
    rounds = trial.metrics["rounds"]
    rows = [
        row(f"converging 4 GiB pre-copy trial (5,000 writes/s, {rounds} rounds; NumPy loop: {base['rounds']}) "
             "vs a NumPy round loop (goal 3x)", t_engine, "numpy", t_numpy, t_numpy / t_engine, 3.0),
        row("converging 4 GiB pre-copy trial once compiled (goal 3 ms; SimGrid's fluid model: ~1 ms)",
             t_engine, None, 0.003, 0.003 / t_engine, 1.0),
    ]
    sizes = [1024, 4096, 16384] if quick else [1024, 16384, 65536, 262144]
    cases = {mib: _converging(mib) for mib in sizes}
    best = dict.fromkeys(sizes, float("inf"))
    # Round-robin over the sizes, so that load from elsewhere on a shared machine hits each alike, a few
    # trials of one size back to back each time (as a sweep runs them: the first after another size
    # finds the caches and the allocator's free memory cut for that size). A 256 GiB trial holds 8 MiB
    # of per-page state (the packed dirty bitmap), so every size can repeat as often.
    for _ in range(repeats):
        for mib, (w, c) in cases.items():
            best[mib] = min(best[mib], best_time(lambda: run_trial(w, c, 1), 3, cpu=True))
    per_gib = {mib: t / (mib / 1024) for mib, t in best.items()}
    lo, hi = min(per_gib.values()), max(per_gib.values())
    costs = ", ".join(f"{m // 1024} GiB {v * 1e3:.3f}" for m, v in per_gib.items())
    rows.append(row(f"cost per GiB of the converging trial ({costs} ms/GiB; goal: all within +-30%)",
                     hi, "cheapest", lo, lo / hi, 0.77))
    return rows


def _cache_rows() -> list[dict[str, Any]]:
    import os
    import tempfile

    runs = []
    with tempfile.TemporaryDirectory() as cache_dir:
        # An empty cache directory: the first process compiles every kernel, the second must load them.
        env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", _COLD], capture_output=True, text=True, check=True, env=env)
            first, misses = out.stdout.strip().splitlines()[-1].split()
            runs.append((float(first), int(misses)))
    t = time.perf_counter()
    _migration(16)
    warm = time.perf_counter() - t
    (first0, misses0), (first1, misses1) = runs
    return [
        row(f"first trial in a fresh process, empty JIT cache ({misses0} kernels compiled; warm: "
             f"{warm * 1e3:.1f} ms)", first0, None, None, 1.0, None),
        row(f"first trial in a second fresh process ({misses1} compiled; loads the cache)", first1, "1st process",
             first0, first0 / first1, None),
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run the end-to-end migration benchmarks; ``quick`` shrinks the inputs (a smoke test, not the goals)."""
    return [*_migration_rows(quick), *_converging_rows(quick), *_cache_rows()]
