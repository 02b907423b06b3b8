"""Benchmark of the rpc study's kernels, side by side with their plain-Python twins in one process.

Run with ``python -m distlab.rpc.bench`` (``--quick`` for a smoke run); ``distlab bench`` calls
:func:`run` (the study's ``bench``). Each row times one operation and its baseline on the same input
and reports ``ratio = baseline_seconds / seconds`` (how many times faster than the baseline) against
the goal. Only what needs no plugin is here: the framework never imports one. The rows that time a
serializer (XDR against an xdrlib-style packer and msgpack) are the ``serializers`` suite of the
built-in serializers plugin (``distlab_serializers.bench``). Timings are the best of several repeats
and vary from run to run and machine to machine.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from distlab.bench import compared

__all__ = ["main", "run"]






def run(quick: bool = False) -> list[dict[str, Any]]:
    """Time every kernel against its plain-Python twin.

    Args:
        quick: smaller inputs and fewer repeats (a smoke run, not a measurement).

    Returns:
        One dict per comparison: ``name``, ``seconds``, ``baseline``, ``baseline_seconds``, ``ratio``
        (baseline seconds / seconds: above 1 is faster than the baseline) and ``goal`` (the ratio aimed at).
    """
    from distlab.rpc import kernels, reference

    n = 100_000 if quick else 1_000_000
    repeats = 3 if quick else 7
    rng = np.random.default_rng(0)
    # The same input as before the serializer rows moved to their plugin: int32s, scaled to uint64.
    ints = rng.integers(-(2**31), 2**31, n, dtype=np.int64).astype(np.int32)
    u = np.abs(ints.astype(np.uint64) * np.uint64(977))

    def varint_kernel() -> int:
        out = np.empty(kernels.varint_size(u), np.uint8)
        return int(kernels.varint_encode(u, out, 0))

    small = max(n // 10, 1)
    u_small = u[:small]

    def varint_reference_small() -> int:
        out = np.empty(reference.varint_size(u_small), np.uint8)
        return int(reference.varint_encode(u_small, out, 0))

    # The pure-Python reference is timed on a tenth of the input and scaled (it takes seconds).
    row = compared(f"varint encode ({n:,} uint64)", varint_kernel, "pure-Python reference (timed on n/10, x10)",
               varint_reference_small, 20.0, repeats)
    row["baseline_seconds"] *= n / small
    row["ratio"] = row["baseline_seconds"] / row["seconds"]
    return [row]


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark table."""
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    rows = run(quick=quick)
    print(f"{'benchmark':62} {'seconds':>11} {'baseline':>40} {'seconds':>11} {'ratio':>7} {'goal':>6}")
    for r in rows:
        ok = "ok" if r["ratio"] >= r["goal"] else "MISSED"
        print(f"{r['name']:62} {r['seconds']:11.3e} {r['baseline']:>40} {r['baseline_seconds']:11.3e} "
              f"{r['ratio']:7.2f} {r['goal']:6.1f} {ok}")


if __name__ == "__main__":
    main()
