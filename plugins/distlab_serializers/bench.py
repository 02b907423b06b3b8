"""Speed of the XDR serializer against its baselines (the ``serializers`` suite of ``distlab bench``).

Each row times one operation and its baseline on the same input, in one process, and reports
``ratio = baseline_seconds / seconds`` (how many times faster than the baseline) against the goal
(see :mod:`distlab.bench` for the row format). The rows need this plugin's XDR serializer, so they
live here; the rpc study's own suite (:mod:`distlab.rpc.bench`) times the kernels alone. Timings
are the best of several repeats and vary from run to run and machine to machine.
"""

from __future__ import annotations

import dataclasses
import io
import struct
from collections.abc import Callable
from typing import Any

from distlab.bench import compared

__all__ = ["Person", "XdrlibPacker", "run"]


class XdrlibPacker:
    """The baseline: an xdrlib-style packer, one ``struct.pack`` per item into a BytesIO.

    Written after CPython 3.11's ``xdrlib.Packer`` (removed in 3.13), so that the package does not
    depend on it.
    """

    def __init__(self) -> None:
        self._buf = io.BytesIO()

    def get_buffer(self) -> bytes:
        """The bytes packed so far."""
        return self._buf.getvalue()

    def pack_uint(self, x: int) -> None:
        """An XDR unsigned int."""
        self._buf.write(struct.pack(">L", x))

    def pack_int(self, x: int) -> None:
        """An XDR int."""
        self._buf.write(struct.pack(">l", x))

    def pack_hyper(self, x: int) -> None:
        """An XDR hyper."""
        self._buf.write(struct.pack(">q", x))

    def pack_double(self, x: float) -> None:
        """An XDR double."""
        self._buf.write(struct.pack(">d", x))

    def pack_bool(self, x: bool) -> None:
        """An XDR bool."""
        self._buf.write(b"\0\0\0\1" if x else b"\0\0\0\0")

    def pack_string(self, s: bytes) -> None:
        """An XDR string: its length, its bytes, zero padding to 4."""
        n = len(s)
        self.pack_uint(n)
        self._buf.write(s + b"\0" * (-n % 4))

    def pack_array(self, items: list[Any], pack_item: Callable[[Any], None]) -> None:
        """An XDR variable-length array: its count, then each item."""
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






def run(quick: bool = False) -> list[dict[str, Any]]:
    """Time the XDR serializer's hot paths against their baselines.

    Args:
        quick: smaller inputs and fewer repeats (a smoke run, not a measurement).

    Returns:
        One dict per comparison: ``name``, ``seconds``, ``baseline``, ``baseline_seconds``, ``ratio``
        (baseline seconds / seconds: above 1 is faster than the baseline) and ``goal`` (the ratio aimed at).
    """
    import msgpack
    import numpy as np

    from distlab.rpc import BOOL, FLOAT64, INT32, INT64, Array, String, Struct
    from distlab_serializers.xdr import Xdr

    xdr = Xdr()
    n = 100_000 if quick else 1_000_000
    repeats = 3 if quick else 7
    rng = np.random.default_rng(0)
    ints = rng.integers(-(2**31), 2**31, n, dtype=np.int64).astype(np.int32)
    int_list = ints.tolist()
    rows = []

    rows.append(compared(f"xdr encode int32 numpy array ({n:,})", lambda: xdr.encode(ints, Array(INT32)),
                     "numpy astype('>i4').tobytes()", lambda: ints.astype(">i4").tobytes(), 0.5, repeats))

    def packer_ints() -> bytes:
        p = XdrlibPacker()
        p.pack_array(int_list, p.pack_int)
        return p.get_buffer()

    assert xdr.encode(int_list, Array(INT32)) == packer_ints()
    rows.append(compared(f"xdr encode list of Python ints ({n:,})", lambda: xdr.encode(int_list, Array(INT32)),
                     "xdrlib-style Packer", packer_ints, 7.0, repeats))

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

    rows.append(compared("xdr encode nested record (2 strings, 3 scalars, 100 floats)", xdr_records,
                     "xdrlib-style encoder", packer_records, 5.0, repeats, per=count))
    rows.append(compared("xdr encode nested record (2 strings, 3 scalars, 100 floats)", xdr_records,
                     "msgpack C encoder (plain dict)", msgpack_records, 0.5, repeats, per=count))
    return rows
