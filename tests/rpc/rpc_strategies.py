"""Hypothesis strategies: random wire types, and random values of a given wire type."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from distlab.rpc import (
    BOOL,
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    UINT32,
    UINT64,
    VOID,
    Array,
    Enum,
    FixedArray,
    FixedOpaque,
    Float,
    Int,
    Opaque,
    Optional,
    String,
    Struct,
    Union,
    WireType,
)

COLOR = Enum("color", (("RED", 0), ("GREEN", 1), ("BLUE", -7)))

leaves = st.sampled_from([INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64, BOOL, COLOR]) | st.builds(
    String, st.sampled_from([None, 0, 5, 40])
) | st.builds(Opaque, st.sampled_from([None, 0, 3, 17])) | st.builds(FixedOpaque, st.integers(0, 9))


def _compound(children: st.SearchStrategy[WireType]) -> st.SearchStrategy[WireType]:
    return st.one_of(
        st.builds(Array, children, st.sampled_from([None, 4])),
        st.builds(FixedArray, children, st.integers(0, 3)),
        st.lists(children, min_size=0, max_size=4).map(
            lambda ts: Struct("s", tuple((f"f{i}", t) for i, t in enumerate(ts)))
        ),
        st.tuples(children, children, st.booleans()).map(
            lambda ab: Union("u", INT32, ((1, "a", ab[0]), (-2, "b", VOID)), ("other", ab[1]) if ab[2] else None)
        ),
        children.filter(lambda t: not isinstance(t, Optional)).map(Optional),
    )


wire_types = st.recursive(leaves, _compound, max_leaves=8)


def values(t: WireType) -> st.SearchStrategy[Any]:  # noqa: C901
    """Values of ``t``."""
    if isinstance(t, Int):
        return st.integers(t.lo, t.hi)
    if isinstance(t, Float):
        return st.floats(width=t.bits, allow_nan=True, allow_infinity=True)
    if t == BOOL:
        return st.booleans()
    if isinstance(t, Enum):
        return st.sampled_from(sorted(t.values))
    if t == VOID:
        return st.none()
    if isinstance(t, String):
        return st.text(max_size=(t.bound if t.max_len is not None else 30)).filter(
            lambda s: len(s.encode("utf-8", "surrogatepass")) <= t.bound and _encodable(s)
        )
    if isinstance(t, Opaque):
        return st.binary(max_size=min(t.bound, 30))
    if isinstance(t, FixedOpaque):
        return st.binary(min_size=t.size, max_size=t.size)
    if isinstance(t, (Array, FixedArray)):
        lo, hi = (t.size, t.size) if isinstance(t, FixedArray) else (0, min(t.bound, 6))
        items = st.lists(values(t.elem), min_size=lo, max_size=hi)
        if isinstance(t.elem, (Int, Float)):
            dtype = t.elem.dtype
            return items | items.map(lambda xs: np.array(xs, dtype=dtype))
        return items
    if isinstance(t, Struct):
        return st.fixed_dictionaries({n: values(ft) for n, ft in t.fields})
    if isinstance(t, Union):
        arms = [st.tuples(st.just(c), values(a)) for c, _, a in t.arms]
        if t.default is not None:
            arms.append(st.tuples(st.integers(-(2**31), 2**31 - 1).filter(lambda d: d not in (1, -2)), values(t.default[1])))
        return st.one_of(arms)
    if isinstance(t, Optional):
        return st.none() | values(t.elem)
    raise AssertionError(t)


def _encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


typed_values = wire_types.flatmap(lambda t: st.tuples(st.just(t), values(t)))
