"""Speed of the migration engine, measured side by side with its baselines in one process.

Benchmarks (``run`` returns one dict per comparison, see :mod:`distlab.bench`):

1. ``dirty-page kernel vs NumPy``: 10 million uniform writes into the dirty bitmap of a 64 GiB VM
   (2**24 pages of 4 KiB), counting the pages newly dirtied: the fused Numba kernel
   (:func:`distlab.migration.kernels.mark_uniform`) against vectorised NumPy (``rng.integers``, a
   fancy-index assignment and ``count_nonzero``). Goal: at least 2x.
2. ``dirty-page kernel vs pure Python``: the same against the plain-Python reference twin, which is
   run on 1 million writes and scaled linearly to 10 million (said in the row's name). Goal: 40x.
3. ``4 GiB pre-copy migration``: 1 Gbit/s, 50,000 uniform page writes per second, pre-copy until its
   30-round bound (about 35 million writes), with a warm JIT cache. Goal: at most 0.5 s; the row's
   ratio is 0.5 s / measured.
4. ``JIT cache``: the first trial (16 MiB) in a fresh process, twice, after the imports, with an empty
   ``NUMBA_CACHE_DIR`` shared by both: the first process compiles, the second must not compile again
   (``cache=True``). The rows name how many kernels each compiled (Numba's cache-miss counters); what
   the second still spends is loading the cached machine code. Reported, no goal.

Timings are the best of a few repeats (the minimum is the least noisy estimate on a shared machine);
the kernel and NumPy runs alternate, so that load from elsewhere hits both alike.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["main", "run"]

_PAGES = 1 << 24
_WRITES = 10_000_000
_PY_WRITES = 1_000_000


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


def _kernel_rows(quick: bool) -> list[dict[str, Any]]:
    from distlab.migration import kernels, reference

    pages = _PAGES >> 4 if quick else _PAGES
    writes = _WRITES // 10 if quick else _WRITES
    py_writes = _PY_WRITES // 10 if quick else _PY_WRITES
    repeats = 3 if quick else 7
    bitmap = np.zeros(pages, dtype=np.uint8)
    empty = np.zeros(0, dtype=np.int64)
    state = np.array([int(kernels.splitmix64(np.uint64(1)))], dtype=np.uint64)
    kernels.mark_uniform(state, 10, 0, pages, bitmap, empty)  # compile (or load from the cache)

    def numba_run() -> int:
        bitmap[:] = 0
        return int(kernels.mark_uniform(state, writes, 0, pages, bitmap, empty))

    rng = np.random.default_rng(1)

    def numpy_run() -> int:
        bitmap[:] = 0
        before = np.count_nonzero(bitmap)
        bitmap[rng.integers(0, pages, writes)] = 1
        return int(np.count_nonzero(bitmap) - before)

    def python_run() -> int:
        bitmap[:] = 0
        return int(reference.mark_uniform(state, py_writes, 0, pages, bitmap, empty))

    # Interleaved, so that a burst of load from elsewhere on a shared machine hits both alike.
    t_numba = t_numpy = float("inf")
    for _ in range(repeats):
        t_numba = min(t_numba, _best(numba_run, 1))
        t_numpy = min(t_numpy, _best(numpy_run, 1))
    t_python = _best(python_run, 1) * (writes / py_writes)
    size = f"{writes / 1e6:g}M writes, 2^{pages.bit_length() - 1} pages"
    return [
        _row(f"dirty-page kernel vs NumPy ({size})", t_numba, "numpy", t_numpy, t_numpy / t_numba, 2.0),
        _row(f"dirty-page kernel vs pure Python ({size}; Python timed on {py_writes / 1e6:g}M, scaled)",
             t_numba, "python", t_python, t_python / t_numba, 40.0),
    ]


def _migration(memory_mib: int) -> Any:
    from distlab.migration.engine import run_trial
    from distlab.migration.world import MigrationWorld
    from distlab.params import build
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
from distlab.migration import bench, kernels
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
    """Run every migration benchmark; ``quick`` shrinks the inputs (a smoke test, not the goals)."""
    return [*_kernel_rows(quick), *_migration_rows(quick), *_cache_rows()]


def main() -> None:
    """Print the benchmark table."""
    rows = run(quick="--quick" in sys.argv[1:])
    print(f"{'benchmark':100} {'time':>10} {'baseline':>18} {'ratio':>8} {'goal':>6}")
    for r in rows:
        base = "" if r["baseline_seconds"] is None else f"{r['baseline'] or 'goal'} {r['baseline_seconds'] * 1e3:8.1f} ms"
        goal = "" if r["goal"] is None else f"{r['goal']:g}"
        met = "" if r["goal"] is None else ("  met" if r["ratio"] >= r["goal"] else "  NOT MET")
        print(f"{r['name']:100} {r['seconds'] * 1e3:7.1f} ms {base:>18} {r['ratio']:8.2f} {goal:>6}{met}")


if __name__ == "__main__":
    main()
