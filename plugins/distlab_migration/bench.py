"""Speed of a whole migration with the built-in strategies and workloads (a ``distlab bench`` suite).

Benchmarks (``run`` returns one dict per comparison, see :mod:`distlab.bench`):

1. ``4 GiB pre-copy migration``: 1 Gbit/s, 50,000 uniform page writes per second, pre-copy until its
   30-round bound (about 35 million writes), with a warm JIT cache. Goal: at most 0.5 s; the row's
   ratio is 0.5 s / measured.
2. ``JIT cache``: the first trial (16 MiB) in a fresh process, twice, after the imports, with an empty
   ``NUMBA_CACHE_DIR`` shared by both: the first process compiles, the second must not compile again
   (``cache=True``). The rows name how many kernels each compiled (Numba's cache-miss counters); what
   the second still spends is loading the cached machine code. Reported, no goal.

Timings are the best of a few repeats (the minimum is the least noisy estimate on a shared machine).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["run"]


def _best(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _row(name: str, seconds: float, baseline: str | None, baseline_seconds: float | None, ratio: float,
         goal: float | None) -> dict[str, Any]:
    return {"name": name, "seconds": seconds, "baseline": baseline, "baseline_seconds": baseline_seconds,
            "ratio": ratio, "goal": goal}


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

    seconds = _best(once, 2 if quick else 3)
    assert trial is not None
    writes = int(trial.trace["writes"].sum()) if trial.trace is not None else 0
    name = (f"{memory_mib // 1024 if memory_mib >= 1024 else memory_mib}{'GiB' if memory_mib >= 1024 else 'MiB'} "
            f"pre-copy migration ({trial.metrics['rounds']} rounds, {writes / 1e6:.1f}M writes; goal 0.5 s)")
    return [_row(name, seconds, None, 0.5, 0.5 / seconds, 1.0)]


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
        _row(f"first trial in a fresh process, empty JIT cache ({misses0} kernels compiled; warm: "
             f"{warm * 1e3:.1f} ms)", first0, None, None, 1.0, None),
        _row(f"first trial in a second fresh process ({misses1} compiled; loads the cache)", first1, "1st process",
             first0, first0 / first1, None),
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run the end-to-end migration benchmarks; ``quick`` shrinks the inputs (a smoke test, not the goals)."""
    return [*_migration_rows(quick), *_cache_rows()]
