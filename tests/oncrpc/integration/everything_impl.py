"""everything.x served in Python from the generated server base classes, and values to call it with.

This module imports ``everything``, the module ``distlab idl compile`` writes for
``tests/fixtures/oncrpc/everything.x``: the tests put the compiled directory on ``sys.path`` first,
and type-check this file with ``mypy --strict`` against it (the base classes must be implementable
under strict typing). The procedures follow the rules written at the top of
``tests/fixtures/oncrpc/integration/everything_server.c``, so the C server and this one answer alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import everything as ev
import numpy
from numpy.typing import NDArray

from distlab.oncrpc import AUTH_SYS, AuthSys, OpaqueAuth

AUTH_TOOWEAK = 5
DENIED_UID = 666
"""Calls with an AUTH_SYS credential of this uid are denied with AUTH_ERROR (AUTH_TOOWEAK)."""


def _int32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


class EverythingV1(ev.EverythingV1Server):
    """Version 1: echoes, arithmetic, a list reversed, shapes, a union with a default arm, optional data."""

    def ping(self) -> None:
        return None

    def echo_record(self, arg1: ev.Record) -> ev.Record:
        return arg1

    def add(self, arg1: int, arg2: int) -> int:
        return _int32(arg1 + arg2)  # as C's int addition wraps on this machine

    def reverse(self, arg1: ev.Node | None) -> ev.Node | None:
        out: ev.Node | None = None
        while arg1 is not None:
            out = ev.Node(arg1.value, arg1.label, out)
            arg1 = arg1.next
        return out

    def make_shape(self, arg1: int, arg2: float) -> tuple[int, Any]:
        if arg1 == ev.CIRCLE:
            return (arg1, arg2)
        if arg1 == ev.SQUARE:
            return (arg1, ev.Point(arg2, -arg2))
        if arg1 == ev.POLYGON:
            if not 0 <= arg2 <= ev.SMALL_LIST:
                raise ValueError(f"a polygon of {arg2} vertices does not fit {ev.SMALL_LIST}")  # SYSTEM_ERR
            return (arg1, [ev.Point(float(i), float(-i)) for i in range(int(arg2))])
        return (arg1, None)

    def greet(self, arg1: str) -> str:
        return f"hello, {arg1}"

    def echo_numbers(self, arg1: ev.Numbers) -> ev.Numbers:
        return arg1

    def check(self, arg1: int) -> tuple[int, Any]:
        messages = {0: "zero", 1: "one", -1: None}
        return (arg1, messages[arg1]) if arg1 in messages else (arg1, -arg1)

    def find(self, arg1: str) -> ev.Point | None:
        return ev.Point(1.5, -2.25) if arg1 == "here" else None


class EverythingV2(ev.EverythingV2Server):
    """Version 2: a sum modulo 2**64, an echo of a typedef'd struct, booleans and enums."""

    def ping(self) -> None:
        return None

    def sum(self, arg1: NDArray[numpy.uint64] | Sequence[int]) -> int:
        return sum(int(v) for v in arg1) % 2**64

    def echo_extras(self, arg1: ev.Extras) -> ev.Extras:
        return arg1

    def negate(self, arg1: bool) -> bool:
        return not arg1

    def next_color(self, arg1: int) -> int:
        return (arg1 + 1) % 3


def authenticate(cred: OpaqueAuth, verf: OpaqueAuth) -> int:
    """The server's credential check, as everything_server.c's: uid 666 is too weak."""
    if cred.flavor == AUTH_SYS and AuthSys.from_opaque(cred).uid == DENIED_UID:
        return AUTH_TOOWEAK
    return 0


def numbers() -> ev.Numbers:
    """A ``numbers`` value at the edges of its types."""
    return ev.Numbers(i=-(2**31), u=2**32 - 1, u2=7, h=-(2**63), uh=2**64 - 1, f=1.5, d=-2.25, flag=True, l=-9,
                      us=65535)


def linked(values: Sequence[int]) -> ev.Node | None:
    """A ``list`` of nodes labelled ``n<value>``."""
    node: ev.Node | None = None
    for v in reversed(values):
        node = ev.Node(v, f"n{v}", node)
    return node


def record() -> ev.Record:
    """A ``record`` that fills every field, with every arm kind of its unions."""
    return ev.Record(
        name="record", id=bytes(range(16)), payload=b"\x00\x01\xfe\xff", tag=b"tag", note="a note",
        samples=[1, -2, 3], position=[1.0, -2.0, 0.125], counts=[0, 2**64 - 1], colors=[ev.BLUE, ev.RED, ev.GREEN],
        favorite=ev.GREEN, outline=(ev.POLYGON, [ev.Point(0.5, 1.0), ev.Point(2.0, -4.0)]), outcome=(42, 7),
        extra=(True, -1234567890123), paint=(ev.RED, b"R" * 16), origin=ev.Point(0.25, -0.5), items=linked([1, 2, 3]),
        nums=numbers(), inline_name="inline", inline_fixed=b"abcd", inline_var=b"zz", inline_fixed_ints=[11, -11],
        inline_points=[ev.Point(8.0, 9.0)], late_bytes=b"late")


def calls_v1() -> list[tuple[str, tuple[Any, ...], Any]]:
    """Every procedure of version 1 as (method, arguments, expected result), by the rules above."""
    return [
        ("ping", (), None),
        ("add", (2, 40), 42),
        ("add", (-7, ev.LOWEST + 7), ev.LOWEST),
        ("reverse", (linked([1, 2, 3]),), ev.Node(3, "n3", ev.Node(2, "n2", ev.Node(1, "n1", None)))),
        ("reverse", (None,), None),
        ("make_shape", (ev.CIRCLE, 2.5), (ev.CIRCLE, 2.5)),
        ("make_shape", (ev.SQUARE, 1.5), (ev.SQUARE, ev.Point(1.5, -1.5))),
        ("make_shape", (ev.POLYGON, 3.0), (ev.POLYGON, [ev.Point(0.0, 0.0), ev.Point(1.0, -1.0), ev.Point(2.0, -2.0)])),
        ("make_shape", (ev.NOTHING, 0.0), (ev.NOTHING, None)),
        ("greet", ("Python",), "hello, Python"),
        ("echo_numbers", (numbers(),), numbers()),
        ("check", (0,), (0, "zero")),
        ("check", (1,), (1, "one")),
        ("check", (-1,), (-1, None)),
        ("check", (5,), (5, -5)),
        ("find", ("here",), ev.Point(1.5, -2.25)),
        ("find", ("elsewhere",), None),
        ("echo_record", (record(),), record()),
    ]


def calls_v2() -> list[tuple[str, tuple[Any, ...], Any]]:
    """Every procedure of version 2 as (method, arguments, expected result)."""
    return [
        ("ping", (), None),
        ("sum", ([2**64 - 1, 2, 5],), 6),
        ("echo_extras", (ev.Extras(-77),), ev.Extras(-77)),
        ("negate", (True,), False),
        ("negate", (False,), True),
        ("next_color", (ev.BLUE,), ev.RED),
    ]
