"""Seeded payloads of the rpc study, one per shape, with their wire types."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from distlab.rpc.types import (
    BOOL,
    FLOAT64,
    INT32,
    INT64,
    Array,
    Enum,
    Optional,
    String,
    Struct,
    WireType,
)
from distlab.rpc.world import RpcWorld

__all__ = ["RECORD", "Record", "make_payload"]

COLOR = Enum("color", (("RED", 0), ("GREEN", 1), ("BLUE", 2)))


@dataclasses.dataclass
class Record:
    """One record of the ``records`` payload."""

    id: int
    name: str
    color: int
    active: bool
    note: str | None
    scores: np.ndarray


RECORD = Struct.of(
    Record,
    id=INT64,
    name=String(4096),
    color=COLOR,
    active=BOOL,
    note=Optional(String(4096)),
    scores=Array(FLOAT64, 16),
)

_ALPHABET = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 éü水"))


def _strings(rng: np.random.Generator, n: int, longest: int) -> list[str]:
    lengths = rng.integers(0, longest + 1, n)
    chars = rng.integers(0, len(_ALPHABET), int(lengths.sum()))
    text = "".join(_ALPHABET[chars].tolist())
    out, at = [], 0
    for k in lengths.tolist():
        out.append(text[at : at + k])
        at += k
    return out


def make_payload(world: RpcWorld, seed: int) -> tuple[Any, WireType]:
    """The payload of ``world`` for ``seed`` and its wire type (the same seed gives the same payload)."""
    rng = np.random.default_rng(seed)
    n = world.size
    if world.shape == "int_array":
        return rng.integers(-(2**31), 2**31, n, dtype=np.int64).astype(np.int32), Array(INT32)
    if world.shape == "float_array":
        return rng.standard_normal(n), Array(FLOAT64)
    if world.shape == "strings":
        return _strings(rng, n, world.string_bytes), Array(String(4 * world.string_bytes))
    names = _strings(rng, n, world.string_bytes)
    notes = _strings(rng, n, world.string_bytes)
    has_note = rng.random(n) < 0.5
    ids = rng.integers(0, 2**40, n).tolist()
    colors = rng.integers(0, 3, n).tolist()
    active = (rng.random(n) < 0.5).tolist()
    scores = rng.standard_normal((n, 16))
    records = [
        Record(ids[i], names[i], colors[i], active[i], notes[i] if has_note[i] else None, scores[i].copy())
        for i in range(n)
    ]
    return records, Array(RECORD)
