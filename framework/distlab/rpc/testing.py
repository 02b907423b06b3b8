"""The serializer contract check, and hypothesis strategies of wire types and of their values.

The kind ``serializer`` declares :func:`check_serializer` as its contract check
(:attr:`distlab.component.Kind.check`), so :func:`distlab.testing.check_component` runs it too;
it takes a serializer in any of the forms of :func:`distlab.testing.make_factory` (a registered
name, a Component, a factory, or a made serializer)::

    from distlab.rpc.testing import check_serializer
    from my_plugin.component import MyFormat, MyFormatParams

    def test_contract():
        check_serializer(MyFormat, MyFormatParams())

The contract (the ``Serializer`` Protocol's docstring says it in full): generated values of every
wire type round-trip; decoding truncated, mutated and oversized input raises only
:class:`~distlab.rpc.errors.DecodeError` (with an offset inside the input) or returns a valid
value, and trailing bytes are always an error.

For a serializer's own property tests: :func:`values` (values of one wire type, built by the
:class:`Values` visitor), :func:`wire_types` and :func:`leaf_wire_types` (random types),
:func:`typed_values` (a random type and a value of it) and :func:`every_wire_type` (a fixed list
covering the whole type model). This module needs hypothesis (distlab's ``test`` extra);
``import distlab.rpc`` does not import it. The check runs in the calling process: a decoder that
crashes the interpreter (a bad numba kernel) ends the test run rather than failing the test.
:func:`check_serializer` runs hypothesis inside, so call it from a plain test, not from one
decorated with ``@given``.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError as err:  # pragma: no cover - only without the test extra
    raise ImportError(
        "distlab.rpc.testing needs hypothesis: pip install 'distlab[test]' (or hypothesis alone)"
    ) from err

from distlab.rpc.errors import DecodeError
from distlab.rpc.types import (
    BOOL,
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    UINT32,
    UINT64,
    VOID,
    Array,
    Bool,
    Enum,
    FixedArray,
    FixedOpaque,
    Float,
    Int,
    Opaque,
    Optional,
    Ref,
    String,
    Struct,
    TypeVisitor,
    Union,
    UnionValue,
    Void,
    WireType,
)
from distlab.rpc.values import equal, validate
from distlab.testing import make_factory

__all__ = [
    "Values",
    "check_serializer",
    "every_wire_type",
    "leaf_wire_types",
    "typed_values",
    "values",
    "wire_types",
]

_COLOR = Enum("color", (("RED", 0), ("GREEN", 1), ("BLUE", -7)))


# -- wire types and values ------------------------------------------------------------------------


@dataclasses.dataclass
class _Point:
    x: int
    y: float


def every_wire_type() -> list[WireType]:
    """One or more types of each kind of the wire type model, nested ones and a recursive one included.

    Returns:
        The types, each usable with :func:`values`.

    Examples:
        >>> len({type(t) for t in every_wire_type()})
        14
    """
    node = Ref("node")
    node.bind(Struct("node", (("item", INT32), ("next", Optional(node)))))
    item = Struct("item", (("name", String(8)), ("count", UINT32), ("color", _COLOR)))
    return [
        INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64, BOOL, VOID, _COLOR,
        String(), String(5), Opaque(), Opaque(3), FixedOpaque(0), FixedOpaque(5),
        Array(INT32), Array(FLOAT64, 6), Array(item, 3), Array(String(4)),
        FixedArray(UINT64, 3), FixedArray(BOOL, 2), FixedArray(Opaque(2), 2),
        Struct("empty", ()), item, Struct.of(_Point, x=INT64, y=FLOAT32),
        Union("result", INT32, ((0, "ok", item), (1, "missing", VOID)), ("error", String(16))),
        Union("by_color", _COLOR, ((0, "r", INT64), (1, "g", Array(INT32, 2)), (-7, "b", VOID))),
        Union("flag", BOOL, ((1, "on", FLOAT64),)),
        Optional(INT32), Optional(item), node,
    ]


class Values(TypeVisitor[st.SearchStrategy[Any]]):
    """The hypothesis strategy for values of each kind of wire type: what :func:`values` returns.

    Sizes stay small (strings up to 30 bytes, arrays up to 6 items, recursion a few levels deep),
    so that examples are quick to encode. Subclass it to generate other values of some kinds
    (children are visited with a visitor of the same class, one level deeper).

    Attributes:
        depth: nesting so far; recursive types stop growing past a few levels.

    Examples:
        >>> Values().visit(Array(INT32, 3)).example()  # doctest: +SKIP
        [0, -5]
    """

    def __init__(self, depth: int = 0) -> None:
        self.depth = depth

    def child(self, t: WireType) -> st.SearchStrategy[Any]:
        """The strategy for a type nested in the one being visited (one level deeper)."""
        return type(self)(self.depth + 1).visit(t)

    def visit_int(self, t: Int) -> st.SearchStrategy[Any]:
        """Any integer in the type's range."""
        return st.integers(t.lo, t.hi)

    def visit_float(self, t: Float) -> st.SearchStrategy[Any]:
        """Any float of the type's width, infinities and NaN included."""
        return st.floats(width=t.bits)  # type: ignore[arg-type]  # hypothesis types width as Literal

    def visit_bool(self, t: Bool) -> st.SearchStrategy[Any]:
        """True or False."""
        return st.booleans()

    def visit_void(self, t: Void) -> st.SearchStrategy[Any]:
        """None."""
        return st.none()

    def visit_enum(self, t: Enum) -> st.SearchStrategy[Any]:
        """One of the enum's values."""
        return st.sampled_from(sorted(t.values))

    def visit_string(self, t: String) -> st.SearchStrategy[Any]:
        """Text of at most the bound (30 bytes when unbounded) in UTF-8."""
        bound = t.bound if t.max_len is not None else 30
        return st.text(st.characters(codec="utf-8"), max_size=bound).filter(
            lambda s: len(s.encode("utf-8")) <= bound
        )

    def visit_opaque(self, t: Opaque) -> st.SearchStrategy[Any]:
        """Bytes up to the bound (at most 30)."""
        return st.binary(max_size=min(t.bound, 30))

    def visit_fixed_opaque(self, t: FixedOpaque) -> st.SearchStrategy[Any]:
        """Bytes of exactly the size."""
        return st.binary(min_size=t.size, max_size=t.size)

    def _items(self, elem: WireType, lo: int, hi: int) -> st.SearchStrategy[Any]:
        items = st.lists(self.child(elem), min_size=lo, max_size=hi)
        if isinstance(elem, (Int, Float)):  # numeric arrays travel as numpy arrays too
            dtype = elem.dtype
            return items | items.map(lambda xs: np.array(xs, dtype=dtype))
        return items

    def visit_array(self, t: Array) -> st.SearchStrategy[Any]:
        """Lists of up to the bound (at most 6) items; numeric ones as numpy arrays too."""
        return self._items(t.elem, 0, min(t.bound, 6))

    def visit_fixed_array(self, t: FixedArray) -> st.SearchStrategy[Any]:
        """Lists of exactly the size; numeric ones as numpy arrays too."""
        return self._items(t.elem, t.size, t.size)

    def visit_struct(self, t: Struct) -> st.SearchStrategy[Any]:
        """Dicts of the fields, or instances of the struct's class when it has one."""
        fields = st.fixed_dictionaries({n: self.child(ft) for n, ft in t.fields})
        cls = t.cls
        return fields if cls is None else fields.map(lambda kw: cls(**kw))

    def visit_union(self, t: Union) -> st.SearchStrategy[Any]:
        """:class:`~distlab.rpc.UnionValue` of any arm, the default one included."""
        arms = [st.tuples(st.just(c), self.child(a)) for c, _, a in t.arms]
        if t.default is not None:
            cases = {c for c, _, _ in t.arms}
            others = self.visit(t.discriminant).filter(lambda d: d not in cases)
            arms.append(st.tuples(others, self.child(t.default[1])))
        return st.one_of(arms).map(lambda dv: UnionValue(*dv))

    def visit_optional(self, t: Optional) -> st.SearchStrategy[Any]:
        """None or a value (only None past a few levels, so that recursive types end)."""
        return st.none() if self.depth > 3 else st.none() | self.child(t.elem)

    def visit_ref(self, t: Ref) -> st.SearchStrategy[Any]:
        """The target's values, built when first drawn (the target refers back to the reference)."""
        return st.deferred(lambda: self.child(t.target))


def values(t: WireType, depth: int = 0) -> st.SearchStrategy[Any]:
    """A hypothesis strategy for values of the wire type ``t`` (numeric arrays as lists and as numpy arrays).

    Args:
        t: the wire type.
        depth: nesting so far; recursive types stop growing past a few levels.

    Returns:
        The strategy (built by :class:`Values`).

    Raises:
        TypeError: ``t`` is not a wire type.

    Examples:
        >>> from hypothesis import given
        >>> @given(values(Array(INT64)))
        ... def test_roundtrip(value): ...
    """
    return Values(depth).visit(t)


def leaf_wire_types() -> st.SearchStrategy[WireType]:
    """A hypothesis strategy for random wire types without children (numbers, bool, an enum,
    strings and opaque data of several bounds).

    Returns:
        The strategy.
    """
    return (
        st.sampled_from([INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64, BOOL, _COLOR])
        | st.builds(String, st.sampled_from([None, 0, 5, 40]))
        | st.builds(Opaque, st.sampled_from([None, 0, 3, 17]))
        | st.builds(FixedOpaque, st.integers(0, 9))
    )


def wire_types() -> st.SearchStrategy[WireType]:
    """A hypothesis strategy for random wire types, nested up to a few levels.

    Returns:
        The strategy.
    """

    def compound(children: st.SearchStrategy[WireType]) -> st.SearchStrategy[WireType]:
        return st.one_of(
            st.builds(Array, children, st.sampled_from([None, 4])),
            st.builds(FixedArray, children, st.integers(0, 3)),
            st.lists(children, max_size=4).map(lambda ts: Struct("s", tuple((f"f{i}", t) for i, t in enumerate(ts)))),
            st.tuples(children, children, st.booleans()).map(
                lambda ab: Union("u", INT32, ((1, "a", ab[0]), (-2, "b", VOID)), ("other", ab[1]) if ab[2] else None)
            ),
            children.filter(lambda t: not isinstance(t, Optional)).map(Optional),
        )

    return st.recursive(leaf_wire_types(), compound, max_leaves=8)


def typed_values() -> st.SearchStrategy[tuple[WireType, Any]]:
    """A hypothesis strategy for ``(type, value)`` pairs: a random wire type and a value of it.

    Returns:
        The strategy.
    """
    return wire_types().flatmap(lambda t: st.tuples(st.just(t), values(t)))


# -- the serializer contract ------------------------------------------------------------------------

_LENGTH_WORDS = (b"\x80\0\0\0", b"\xff\xff\xff\xff", b"\0\0\0\x80", b"\x7f\xff\xff\xff", b"\xff" * 9)


def _mutations(data: bytes, rng: random.Random, count: int) -> list[bytes]:
    out = [data[:cut] for cut in range(len(data))] if len(data) <= 48 else \
        [data[:cut] for cut in sorted(rng.sample(range(len(data)), 24))]
    for _ in range(count):
        buf = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(4)
            if op == 0 and buf:
                buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
            elif op == 1 and buf:
                del buf[rng.randrange(len(buf)):]
            elif op == 2:
                buf.insert(rng.randrange(len(buf) + 1), rng.getrandbits(8))
            else:  # a huge length or count where one may be
                at = rng.randrange(len(buf) + 1)
                buf[at:at + 4] = rng.choice(_LENGTH_WORDS)
        out.append(bytes(buf))
    return out


def _decode_bad(serializer: Any, data: bytes, t: WireType, what: str, *, must_fail: bool) -> None:
    try:
        back = serializer.decode(data, t)
    except DecodeError as err:
        offset = getattr(err, "offset", None)
        if not isinstance(offset, int) or not 0 <= offset <= len(data):
            raise AssertionError(
                f"decode of {what} input ({len(data)} bytes, {data[:32]!r}...) raised DecodeError with offset "
                f"{offset!r}, not a byte offset within the input"
            ) from err
        return
    except Exception as err:
        raise AssertionError(
            f"decode of {what} input raised {type(err).__name__}: {err}; only DecodeError may escape decode "
            f"(type {t!r}, input {data[:64]!r})"
        ) from err
    if must_fail:
        raise AssertionError(f"decode of {what} input returned {back!r} instead of raising DecodeError "
                             f"(type {t!r}, input {data[:64]!r})")
    try:
        validate(back, t)
    except Exception as err:
        raise AssertionError(f"decode of {what} input returned a value that is not a {t!r}: {back!r}") from err


def _check_value(serializer: Any, t: WireType, value: Any, mutations: int) -> None:
    data = serializer.encode(value, t)
    if not isinstance(data, bytes):
        raise AssertionError(f"encode returned {type(data).__name__}, not bytes, for {value!r} as {t!r}")
    try:
        back = serializer.decode(data, t)
    except Exception as err:
        raise AssertionError(f"decode of the encoding of {value!r} as {t!r} raised {type(err).__name__}: {err}") from err
    if not equal(back, value, t):
        raise AssertionError(f"round trip changed the value: {value!r} as {t!r} came back as {back!r}")
    rng = random.Random(data)
    for bad in _mutations(data, rng, mutations):
        if bad != data:
            _decode_bad(serializer, bad, t, "truncated or mutated", must_fail=False)
    # Trailing bytes are never part of one encoding (the Serializer contract says so).
    _decode_bad(serializer, data + b"\0", t, "oversized (one trailing byte)", must_fail=True)
    _decode_bad(serializer, data + rng.randbytes(4096), t, "oversized (4 KiB of trailing bytes)", must_fail=True)


def check_serializer(
    serializer: Any,
    params: Any = None,
    *,
    max_examples: int = 20,
    mutations: int = 12,
    types: Sequence[WireType] | None = None,
) -> None:
    """Check the serializer contract: round trips of every wire type, and only DecodeError on bad input.

    For each type of :func:`every_wire_type` (or ``types``), and for random nested types, hypothesis
    generates values; each must encode to bytes and decode to an equal value
    (:func:`distlab.rpc.equal`). Then every truncation (or a sample of them), ``mutations`` random
    mutations (flipped bits, cut tails, inserted bytes, huge length words) and a few kilobytes of
    garbage must decode to a valid value or raise :class:`~distlab.rpc.errors.DecodeError` with an
    offset inside the input, never another exception; and the encoding with bytes appended must
    raise DecodeError. Oversized declared lengths must be refused, not allocated.

    Args:
        serializer: a registered serializer name, a Component, a factory, or a serializer object.
        params: for a name or Component, a mapping of overrides or a parameter instance; for a
            factory, the argument it is called with (None: called with none).
        max_examples: hypothesis examples per wire type, and of random types.
        mutations: random mutations of each encoding.
        types: the wire types to test instead of :func:`every_wire_type` (random types still run).

    Raises:
        AssertionError: with the type, the value and what broke (hypothesis adds the smallest example).

    Examples:
        >>> check_serializer("xdr", max_examples=5)  # doctest: +SKIP
    """
    made = make_factory("serializer", serializer, params, method="encode")()
    if not callable(getattr(made, "decode", None)):
        raise AssertionError(f"serializer {made!r} has no decode() method")
    config = settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))

    for t in types if types is not None else every_wire_type():
        @config
        @given(value=values(t))
        def one_type(value: Any) -> None:
            _check_value(made, t, value, mutations)  # noqa: B023 - run at once, inside the loop

        one_type()

    @config
    @given(tv=typed_values())
    def random_types(tv: tuple[WireType, Any]) -> None:
        _check_value(made, tv[0], tv[1], mutations)

    random_types()
    garbage = random.Random(0)
    for t in (types if types is not None else every_wire_type()):
        # Kept small: random bytes are mostly refused at once, but a pickle-based decoder can spend
        # seconds on some kilobytes of them (found with Random(0)'s 4 KiB blob).
        for size in (1, 7, 256):
            _decode_bad(made, garbage.randbytes(size), t, f"{size} bytes of garbage", must_fail=False)
        _decode_bad(made, b"\xff" * 64, t, "all-ones (huge lengths)", must_fail=False)
