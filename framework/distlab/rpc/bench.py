"""Benchmark of the marshaling hot paths, side by side with their baselines in one process.

Run with ``python -m distlab.rpc.bench`` (``--quick`` for a smoke run); ``distlab bench`` calls
:func:`run`. Each row times one operation and its baseline on the same input and reports
``ratio = baseline_seconds / seconds`` (how many times faster than the baseline) against the goal.
Timings are the best of several repeats and vary from run to run and machine to machine.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["XdrlibPacker", "main", "run"]


class XdrlibPacker:
    """The baseline: an xdrlib-style packer, one ``struct.pack`` per item into a BytesIO.

    Written after CPython 3.11's ``xdrlib.Packer`` (removed in 3.13), so that the package does not
    depend on it.
    """

    def __init__(self) -> None:
        self._buf = io.BytesIO()

    def get_buffer(self) -> bytes:
        return self._buf.getvalue()

    def pack_uint(self, x: int) -> None:
        self._buf.write(struct.pack(">L", x))

    def pack_int(self, x: int) -> None:
        self._buf.write(struct.pack(">l", x))

    def pack_hyper(self, x: int) -> None:
        self._buf.write(struct.pack(">q", x))

    def pack_double(self, x: float) -> None:
        self._buf.write(struct.pack(">d", x))

    def pack_bool(self, x: bool) -> None:
        self._buf.write(b"\0\0\0\1" if x else b"\0\0\0\0")

    def pack_string(self, s: bytes) -> None:
        n = len(s)
        self.pack_uint(n)
        self._buf.write(s + b"\0" * (-n % 4))

    def pack_array(self, items: list[Any], pack_item: Callable[[Any], None]) -> None:
        self.pack_uint(len(items))
        for item in items:
            pack_item(item)


@dataclasses.dataclass
class Person:
    """The nested record of the benchmark."""

    name: str
    email: str
    id: int
    age: int
    active: bool
    scores: list[float]


def _best(call: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def _row(name: str, fn: Callable[[], Any], baseline: str, base_fn: Callable[[], Any], goal: float, repeats: int, per: int = 1) -> dict[str, Any]:
    fn()
    base_fn()  # warm up (and compile the kernels)
    seconds = _best(fn, repeats) / per
    base = _best(base_fn, repeats) / per
    return {"name": name, "seconds": seconds, "baseline": baseline, "baseline_seconds": base, "ratio": base / seconds, "goal": goal}


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Time every hot path against its baseline.

    Args:
        quick: smaller inputs and fewer repeats (a smoke run, not a measurement).

    Returns:
        One dict per comparison: ``name``, ``seconds``, ``baseline``, ``baseline_seconds``, ``ratio``
        (baseline seconds / seconds: above 1 is faster than the baseline) and ``goal`` (the ratio aimed at).
    """
    import msgpack

    from distlab.rpc import kernels, reference
    from distlab.rpc.types import BOOL, FLOAT64, INT32, INT64, Array, String, Struct

    from distlab_serializers.xdr import Xdr

    xdr = Xdr()
    n = 100_000 if quick else 1_000_000
    repeats = 3 if quick else 7
    rng = np.random.default_rng(0)
    ints = rng.integers(-(2**31), 2**31, n, dtype=np.int64).astype(np.int32)
    int_list = ints.tolist()
    rows = []

    rows.append(_row(f"xdr encode int32 numpy array ({n:,})", lambda: xdr.encode(ints, Array(INT32)),
                     "numpy astype('>i4').tobytes()", lambda: ints.astype(">i4").tobytes(), 0.5, repeats))

    def packer_ints() -> bytes:
        p = XdrlibPacker()
        p.pack_array(int_list, p.pack_int)
        return p.get_buffer()

    assert xdr.encode(int_list, Array(INT32)) == packer_ints()
    rows.append(_row(f"xdr encode list of Python ints ({n:,})", lambda: xdr.encode(int_list, Array(INT32)),
                     "xdrlib-style Packer", packer_ints, 7.0, repeats))

    u = np.abs(ints.astype(np.uint64) * np.uint64(977))

    def varint_kernel() -> int:
        out = np.empty(kernels.varint_size(u), np.uint8)
        return int(kernels.varint_encode(u, out, 0))

    def varint_reference() -> int:
        out = np.empty(reference.varint_size(u), np.uint8)
        return int(reference.varint_encode(u, out, 0))

    small = max(n // 10, 1)
    u_small = u[:small]

    def varint_reference_small() -> int:
        out = np.empty(reference.varint_size(u_small), np.uint8)
        return int(reference.varint_encode(u_small, out, 0))

    # The pure-Python reference is timed on a tenth of the input and scaled (it takes seconds).
    row = _row(f"varint encode ({n:,} uint64)", varint_kernel, "pure-Python reference (timed on n/10, x10)",
               varint_reference_small, 20.0, repeats)
    row["baseline_seconds"] *= n / small
    row["ratio"] = row["baseline_seconds"] / row["seconds"]
    rows.append(row)

    person_type = Struct.of(Person, name=String(64), email=String(128), id=INT64, age=INT32, active=BOOL,
                            scores=Array(FLOAT64, 100))
    person = Person("Ada Lovelace", "ada@example.org", 1815, 36, True, [float(i) * 0.5 for i in range(100)])
    plain = dataclasses.asdict(person)
    count = 2_000 if quick else 20_000

    def xdr_records() -> None:
        enc = xdr.encode
        for _ in range(count):
            enc(person, person_type)

    def packer_records() -> None:
        for _ in range(count):
            p = XdrlibPacker()
            p.pack_string(person.name.encode())
            p.pack_string(person.email.encode())
            p.pack_hyper(person.id)
            p.pack_int(person.age)
            p.pack_bool(person.active)
            p.pack_array(person.scores, p.pack_double)
            p.get_buffer()

    packer = msgpack.Packer()

    def msgpack_records() -> None:
        pack = packer.pack
        for _ in range(count):
            pack(plain)

    rows.append(_row("xdr encode nested record (2 strings, 3 scalars, 100 floats)", xdr_records,
                     "xdrlib-style encoder", packer_records, 5.0, repeats, per=count))
    rows.append(_row("xdr encode nested record (2 strings, 3 scalars, 100 floats)", xdr_records,
                     "msgpack C encoder (plain dict)", msgpack_records, 0.5, repeats, per=count))
    return rows


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
