"""One way to walk the wire types: each type dispatches to its own TypeVisitor method."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rpc_helpers import CONFIGS, config_serializer
from test_rpc_bad_input import GOOD, ORDER

from distlab.rpc import (
    BOOL,
    FLOAT32,
    INT32,
    UINT64,
    VOID,
    Array,
    EncodeError,
    Enum,
    FixedArray,
    FixedOpaque,
    Opaque,
    Optional,
    Ref,
    String,
    Struct,
    TypeVisitor,
    Union,
    WireType,
    equal,
    integer,
    is_numeric,
    numeric,
    validate,
)

COLOR = Enum("color", (("RED", 0),))
ONE_OF_EACH: dict[str, WireType] = {
    "int": INT32,
    "float": FLOAT32,
    "bool": BOOL,
    "void": VOID,
    "enum": COLOR,
    "string": String(3),
    "opaque": Opaque(),
    "fixed_opaque": FixedOpaque(2),
    "array": Array(INT32),
    "fixed_array": FixedArray(INT32, 2),
    "struct": Struct("s", ()),
    "union": Union("u", INT32, ((1, "a", VOID),)),
    "optional": Optional(INT32),
    "ref": Ref("r"),
}


class _Names(TypeVisitor[str]):
    pass


for _kind in ONE_OF_EACH:
    setattr(_Names, f"visit_{_kind}", lambda self, t, _kind=_kind: _kind)


def test_every_wire_type_has_its_own_method() -> None:
    kinds = {name[len("visit_"):] for name in vars(TypeVisitor) if name.startswith("visit_")}
    assert kinds == set(ONE_OF_EACH)
    for kind, t in ONE_OF_EACH.items():
        assert t.accept(_Names()) == kind
        assert _Names().visit(t) == kind


def test_every_concrete_type_class_is_covered() -> None:
    import distlab.rpc.types as types

    classes = {c for c in vars(types).values() if isinstance(c, type) and issubclass(c, WireType) and c is not WireType}
    assert classes == {type(t) for t in ONE_OF_EACH.values()}


def test_unhandled_kinds_go_to_default() -> None:
    with pytest.raises(TypeError, match="TypeVisitor"):
        INT32.accept(TypeVisitor())

    @dataclasses.dataclass(frozen=True)
    class Odd(WireType):
        pass

    class Fallback(TypeVisitor[str]):
        def default(self, t: WireType) -> str:
            return "default"

    assert Odd().accept(Fallback()) == "default"
    with pytest.raises(EncodeError, match="not a wire type"):
        validate(1, Odd())
    with pytest.raises(EncodeError, match="not a wire type"):
        validate(1, "int")  # type: ignore[arg-type]


def test_numeric_helpers() -> None:
    assert numeric(INT32) is INT32 and numeric(FLOAT32) is FLOAT32 and numeric(BOOL) is None
    assert integer(UINT64) is UINT64 and integer(FLOAT32) is None
    assert is_numeric(INT32) and not is_numeric(COLOR)


def test_model_checks_use_the_dispatch() -> None:
    with pytest.raises(ValueError, match="discriminant"):
        Union("u", UINT64, ((1, "a", VOID),))
    with pytest.raises(EncodeError, match="outside"):
        Union("u", INT32, ((2**40, "a", VOID),))
    with pytest.raises(EncodeError, match="enum"):
        Union("u", COLOR, ((5, "a", VOID),))
    with pytest.raises(ValueError, match="Optional"):
        Optional(Optional(INT32))
    bound = Ref("b")
    bound.bind(VOID)
    with pytest.raises(ValueError, match="Optional"):
        Optional(bound)
    Optional(Ref("unbound"))


def test_checks_are_kept_per_type() -> None:
    t = Array(String(4))
    validate(["ab"], t)
    assert equal(["ab"], ["ab"], t)
    assert len(t._cache) == 2  # one closure per check, built once


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_decode_prefix_of_every_serializer(config: str) -> None:
    serializer = config_serializer(config)
    data = serializer.encode(GOOD, ORDER)
    value, end = serializer.decode_prefix(data + b"\0\1\2", ORDER)
    assert end == len(data)
    assert equal(value, GOOD, ORDER)


