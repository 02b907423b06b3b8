"""Fuzz: random and mutated inputs to every decoder; only DecodeError may escape (a few seconds).

The decoders run in a child process: numba kernels and the unpickler (pickle with
``allow_untrusted``) are where a bad input could crash the interpreter rather than raise, and a
crash must fail this test, not end the test run.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from rpc_helpers import CONFIGS, config_serializer
from test_rpc_bad_input import GOOD, ORDER

from distlab.rpc import DecodeError
from distlab.rpc import FLOAT64, INT64, UINT32, Array, Opaque, Optional, String, Struct, Union

HERE = Path(__file__).resolve().parent

TYPES = [
    (ORDER, GOOD),
    (Array(INT64), list(range(-20, 20))),
    (Array(FLOAT64), [0.5, -1.0, 3.25]),
    # numpy values: pickle writes them as its own records, whose counts and dtypes the mutations hit
    (Array(INT64), np.arange(-3, 9, dtype=">i8")),
    (Struct("n", (("a", Array(UINT32)), ("x", FLOAT64))), {"a": np.arange(6, dtype=np.uint32), "x": np.float64(2.5)}),
    (Union("u", INT64.__class__(32, True), ((1, "s", String(16)), (2, "o", Opaque(16))), ("d", Array(String()))), (2, b"xyz")),
    (Struct("p", (("a", Optional(String())), ("b", Array(Opaque(4), 3)))), {"a": "héllo", "b": [b"", b"ab"]}),
]


def _mutations(rng: random.Random, seed: bytes) -> list[bytes]:
    out = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40)))]
    for _ in range(30):
        data = bytearray(seed)
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(4)
            if op == 0 and data:
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            elif op == 1 and data:
                del data[rng.randrange(len(data)) :]
            elif op == 2:
                data.insert(rng.randrange(len(data) + 1), rng.getrandbits(8))
            elif data:  # a large length word somewhere
                at = rng.randrange(len(data))
                data[at : at + 4] = rng.choice([b"\x80\0\0\0", b"\xff\xff\xff\xff", b"\0\0\0\x80", b"\x7f\xff\xff\xff"])
        out.append(bytes(data))
    return out


def _plain(rng: random.Random, depth: int = 0) -> Any:
    """A random value of the self-describing formats' data model, bignums included."""
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, 1, -1, 2**31, -(2**63), 2**64, 10**5000, -(10**5000)])
    if kind == 2:
        return rng.choice([0.5, -0.0, 1e300, float("inf"), float("nan")])
    if kind == 3:
        return rng.choice(["", "a", "héllo", "NaN", "Infinity", "AAAA"])
    if kind == 4:
        return rng.randbytes(rng.randrange(6))
    if kind == 5:
        return rng.randrange(-8, 8)
    if kind == 6:
        return [_plain(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["id", "items", "note", "a", "b", "x", 1, 10**5000]
    return {rng.choice(keys): _plain(rng, depth + 1) for _ in range(rng.randrange(4))}


def _library_encodings(rng: random.Random) -> dict[str, list[bytes]]:
    """Random plain values as each self-describing format writes them (where it can)."""
    import json

    import cbor2
    import msgpack

    writers = {"cbor": cbor2.dumps, "msgpack": msgpack.packb, "json": lambda v: json.dumps(v).encode()}
    out: dict[str, list[bytes]] = {name: [] for name in writers}
    for _ in range(300):
        value = _plain(rng)
        for name, write in writers.items():
            try:
                out[name].append(write(value))
            except (TypeError, ValueError, OverflowError):  # not in that format's model
                pass
    return out


def fuzz() -> int:
    """Decode mutated encodings with every serializer configuration; the number of inputs tried.

    Raises:
        AssertionError: a DecodeError without a valid offset; anything but DecodeError escapes as is.
    """
    rng = random.Random(20240607)
    count = 0
    for config in sorted(CONFIGS):
        serializer: Any = config_serializer(config)
        for t, value in TYPES:
            seed = serializer.encode(value, t)
            for _round in range(4):
                for data in _mutations(rng, seed):
                    try:
                        serializer.decode(data, t)
                    except DecodeError as err:
                        assert isinstance(err.offset, int) and 0 <= err.offset <= len(data), (config, data, err)
                    count += 1
    # Well-formed items of the wrong shape: the plain codec must refuse them with DecodeError too.
    for name, encodings in _library_encodings(rng).items():
        serializer = config_serializer(name)
        for data in encodings:
            for t, _ in TYPES:
                try:
                    serializer.decode(data, t)
                except DecodeError as err:
                    assert isinstance(err.offset, int) and 0 <= err.offset <= len(data), (name, data, err)
                count += 1
    return count


_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from test_rpc_fuzz import fuzz
print(fuzz())
"""


def test_fuzz_every_decoder_in_a_child_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(HERE)], capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, f"the fuzzing child exited with {proc.returncode}:\n{proc.stderr[-5000:]}"
    assert int(proc.stdout.split()[-1]) > 5000
