"""Speed of the migration study's dirty-page kernels, measured side by side with their baselines in one process.

Benchmarks (``run`` returns one dict per comparison, see :mod:`distlab.bench`):

1. ``dirty-page kernel vs NumPy``: 10 million uniform writes into the dirty bitmap of a 64 GiB VM
   (2**24 pages of 4 KiB), counting the pages newly dirtied: the fused Numba kernel
   (:func:`distlab.migration.kernels.mark_uniform`) against vectorised NumPy (``rng.integers``, a
   fancy-index assignment and ``count_nonzero``). Goal: at least 2x.
2. ``dirty-page kernel vs pure Python``: the same against the plain-Python reference twin, which is
   run on 1 million writes and scaled linearly to 10 million (said in the row's name). Goal: 40x.

The end-to-end migration and JIT-cache benchmarks need a strategy and a workload, so they live with
the built-in plugins (:mod:`distlab_migration.bench`).

Timings are the best of a few repeats in CPU time of the process (the minimum is the least noisy
estimate on a shared machine); the kernel and NumPy runs alternate, so that load from elsewhere hits
both alike.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from distlab.bench import best_time, row

__all__ = ["main", "run"]

_PAGES = 1 << 24
_WRITES = 10_000_000
_PY_WRITES = 1_000_000






def _kernel_rows(quick: bool) -> list[dict[str, Any]]:
    from distlab.migration import kernels, reference
    from distlab.migration.guest import dirty_bitmap

    pages = _PAGES >> 4 if quick else _PAGES
    writes = _WRITES // 10 if quick else _WRITES
    py_writes = _PY_WRITES // 10 if quick else _PY_WRITES
    repeats = 3 if quick else 7
    bitmap = dirty_bitmap(pages)  # packed, as the engine's
    flags = np.zeros(pages, dtype=np.uint8)  # NumPy's natural form: a byte per page
    empty = np.zeros(0, dtype=np.int64)
    state = np.array([int(kernels.splitmix64(np.uint64(1)))], dtype=np.uint64)
    kernels.mark_uniform(state, 10, 0, pages, bitmap, empty)  # compile (or load from the cache)

    def numba_run() -> int:
        bitmap[:] = 0
        return int(kernels.mark_uniform(state, writes, 0, pages, bitmap, empty))

    rng = np.random.default_rng(1)

    def numpy_run() -> int:
        flags[:] = 0
        before = np.count_nonzero(flags)
        flags[rng.integers(0, pages, writes)] = 1
        return int(np.count_nonzero(flags) - before)

    def python_run() -> int:
        bitmap[:] = 0
        return int(reference.mark_uniform(state, py_writes, 0, pages, bitmap, empty))

    # Interleaved, so that a burst of load from elsewhere on a shared machine hits both alike.
    t_numba = t_numpy = float("inf")
    for _ in range(repeats):
        t_numba = min(t_numba, best_time(numba_run, 1, cpu=True))
        t_numpy = min(t_numpy, best_time(numpy_run, 1, cpu=True))
    t_python = best_time(python_run, 1, cpu=True) * (writes / py_writes)
    size = f"{writes / 1e6:g}M writes, 2^{pages.bit_length() - 1} pages"
    return [
        row(f"dirty-page kernel vs NumPy ({size})", t_numba, "numpy", t_numpy, t_numpy / t_numba, 2.0),
        row(f"dirty-page kernel vs pure Python ({size}; Python timed on {py_writes / 1e6:g}M, scaled)",
             t_numba, "python", t_python, t_python / t_numba, 40.0),
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run every migration benchmark; ``quick`` shrinks the inputs (a smoke test, not the goals)."""
    return _kernel_rows(quick)


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
