"""Specialized struct encoders: Python source generated from a :class:`~distlab.rpc.types.Struct`.

The generic struct encoder of :mod:`distlab_serializers._positional_encode` calls one closure per field,
and each closure appends to the buffer: for a small record the calls cost more than the bytes. Here
a struct is compiled, once per layout, into one function whose source is written from the type:

- a run of fixed-size fields (integers, floats, bools, enums, and the length words of strings,
  opaques and numeric arrays) is packed by one precompiled ``struct.Struct``;
- strings and opaques are inline: UTF-8 encoding, bound check, length word and zero padding;
- a numeric array that is a short list goes through a ``struct.Struct`` precompiled for its length,
  anything else (numpy arrays, long lists) through :func:`distlab.rpc.arrays.numeric_bytes`;
- every other field (nested struct, union, optional, array of compound items) calls its own
  compiled encoder, after the pieces so far are appended.

The function accepts and refuses exactly what the generic encoder does: the same checks (bounds,
bools, enum members, bytes for opaques) are written inline, and ``struct`` checks the types and
ranges of numbers as it does in the generic path. A failure raises :class:`EncodeError` naming the
field; the serializer then re-walks the value with :func:`distlab.rpc.types.validate` to name it by
its full path.

The generated source holds only generated identifiers and numbers: names, bounds and enum members
come from the type through the function's namespace, never through the text.
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Callable
from typing import Any

from distlab.rpc import (
    Array,
    Bool,
    EncodeError,
    Enum,
    FixedArray,
    FixedOpaque,
    Float,
    Int,
    Opaque,
    String,
    Struct,
    TypeVisitor,
    Void,
    WireType,
    numeric,
)
from distlab.rpc import arrays
from distlab_serializers._positional_layout import PAD4, Enc, Layout

__all__ = ["struct_encoder"]

_SHORT = 1024
"""Lists shorter than this go through a ``struct.Struct`` precompiled for their length."""


class _Packers(dict[int, Callable[..., bytes]]):
    """``n -> struct.Struct(order + n * code).pack``, made on first use (at most 64 lengths kept)."""

    def __init__(self, order: str, code: str) -> None:
        super().__init__()
        self.fmt = order + "{}" + code

    def __missing__(self, n: int) -> Callable[..., bytes]:
        pack = struct.Struct(self.fmt.format(n)).pack
        if len(self) < 64:
            self[n] = pack
        return pack


def struct_encoder(layout: Layout, t: Struct, encoder: Callable[[WireType], Enc]) -> Enc | None:
    """A generated encoder of ``t`` for ``layout``, or ``None`` where the layout needs the generic one
    (NDR's alignment depends on the offset, varints on the values).

    Args:
        layout: the format's choices.
        t: the struct.
        encoder: the compiled encoder of a field type that is not written inline (nested structs,
            unions, optional values, arrays of compound items).
    """
    if layout.align or layout.varint or layout.strings != "counted" or not t.fields:
        return None
    return _Writer(layout, t, encoder).build()


class _Writer(TypeVisitor[None]):
    """Writes the source of one struct's encoder: one visit per field, at the field's cursor."""

    def __init__(self, layout: Layout, t: Struct, encoder: Callable[[WireType], Enc]) -> None:
        self.layout = layout
        self.encoder = encoder
        self.t = t
        self.order = layout.order
        self.unit4 = layout.unit4
        self.i = 0  # the field being written: its index and the name of its local variable
        self.x = ""
        self.ns: dict[str, Any] = {"EncodeError": EncodeError, "PAD": PAD4, "NUM": arrays.numeric_bytes}
        self.lines: list[str] = []
        self.fmt = ""  # the pending run of fixed-size items
        self.args: list[str] = []
        self.pieces: list[str] = []  # expressions of the bytes not yet appended
        self.count = 0

    def const(self, prefix: str, value: Any) -> str:
        """A fresh name bound to ``value`` in the function's namespace."""
        self.count += 1
        name = f"{prefix}_{self.count}"
        self.ns[name] = value
        return name

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def fail(self, i: int, message: str) -> str:
        """A statement raising EncodeError for field ``i`` (its name and the message via the namespace)."""
        path = self.const("P", f"value.{self.t.fields[i][0]}")
        msg = self.const("M", message)
        return f"raise EncodeError({path}, {msg})"

    def fixed(self, code: str, arg: str) -> None:
        self.fmt += code
        self.args.append(arg)

    def close_run(self) -> None:
        if self.fmt:
            pack = self.const("S", struct.Struct(self.order + self.fmt).pack)
            self.pieces.append(f"{pack}({', '.join(self.args)})")
            self.fmt, self.args = "", []

    def flush(self) -> None:
        self.close_run()
        if len(self.pieces) == 1:
            self.emit(f"buf += {self.pieces[0]}")
        elif self.pieces:
            self.emit(f"buf += b''.join(({', '.join(self.pieces)}))")
        self.pieces = []

    def build(self) -> Enc:
        t = self.t
        names = [n for n, _ in t.fields]
        xs = [f"f{i}" for i in range(len(names))]
        ag = self.const("AG", operator.attrgetter(*names))
        ig = self.const("IG", operator.itemgetter(*names))
        target = xs[0] if len(xs) == 1 else ", ".join(xs)
        self.emit(f"{target} = {ig}(v) if type(v) is dict else {ag}(v)")
        for i, (x, (_, ft)) in enumerate(zip(xs, t.fields)):
            self.field(i, x, ft)
        self.flush()
        source = "def enc(buf, v):\n" + "\n".join(self.lines) + "\n"
        code = compile(source, f"<xdr-style encoder of struct {t.name}>", "exec")
        exec(code, self.ns)  # noqa: S102 - source written above from the type's structure only
        enc: Enc = self.ns["enc"]
        enc.source = source  # type: ignore[attr-defined]
        return enc

    def field(self, i: int, x: str, ft: WireType) -> None:
        """Write field ``i`` (held in local ``x``) of type ``ft``."""
        self.i, self.x = i, x
        ft.accept(self)

    def visit_int(self, t: Int) -> None:
        self.fixed(t.code, self.x)

    def visit_float(self, t: Float) -> None:
        self.fixed(t.code, self.x)

    def visit_bool(self, t: Bool) -> None:
        i, x = self.i, self.x
        # As the generic encoder: True, False, or an int equal to 1 or 0.
        self.emit(f"if not ({x} is True or {x} is False or (isinstance({x}, int) and ({x} == 1 or {x} == 0))):")
        self.emit("    " + self.fail(i, "expected a bool"))
        self.fixed("I" if self.layout.bool_size == 4 else "B", x)

    def visit_enum(self, t: Enum) -> None:
        i, x = self.i, self.x
        vals = self.const("V", t.values)
        self.emit(f"if {x} not in {vals} or isinstance({x}, bool):")
        self.emit("    " + self.fail(i, f"not a value of enum {t.name}"))
        self.fixed("i", x)

    def visit_void(self, t: Void) -> None:
        self.emit(f"if {self.x} is not None:")
        self.emit("    " + self.fail(self.i, "a void arm carries None"))

    def visit_string(self, t: String) -> None:
        self.counted(t.bound, text=True)

    def visit_opaque(self, t: Opaque) -> None:
        self.counted(t.bound, text=False)

    def counted(self, bound: int, text: bool) -> None:
        """A string or opaque, inline: its bytes, the bound check, the length word and the padding."""
        i, x = self.i, self.x
        b, n = f"b{i}", f"n{i}"
        if text:
            self.emit(f"{b} = {x}.encode('utf-8')")
        else:
            self.emit(f"if not isinstance({x}, (bytes, bytearray, memoryview)):")
            self.emit("    " + self.fail(i, "expected bytes"))
            self.emit(f"{b} = {x}")
        self.emit(f"{n} = len({b})")
        self.emit(f"if {n} > {bound}:")
        self.emit("    " + self.fail(i, f"more bytes than the bound {bound}"))
        self.fixed("I", n)
        self.close_run()
        self.pieces.append(b)
        if self.unit4:
            self.pieces.append(f"PAD[{n} & 3]")

    def visit_fixed_opaque(self, t: FixedOpaque) -> None:
        i, x = self.i, self.x
        self.emit(f"if len({x}) != {t.size} or not isinstance({x}, (bytes, bytearray, memoryview)):")
        self.emit("    " + self.fail(i, f"fixed opaque needs exactly {t.size} bytes"))
        self.close_run()
        self.pieces.append(x)
        if self.unit4 and t.size & 3:
            self.fmt += f"{-t.size % 4}x"  # zero padding, packed with the next run

    def visit_array(self, t: Array) -> None:
        self.array(t, fixed=False, bound=t.bound)

    def visit_fixed_array(self, t: FixedArray) -> None:
        self.array(t, fixed=True, bound=t.size)

    def array(self, t: Array | FixedArray, fixed: bool, bound: int) -> None:
        """A numeric array inline (its count, then its items packed at once); any other, as a call."""
        num = numeric(t.elem)
        if num is None:
            self.default(t)
            return
        i, x = self.i, self.x
        n, a = f"n{i}", f"a{i}"
        self.emit(f"{n} = len({x})")
        self.emit(f"if {n} {'!=' if fixed else '>'} {bound}:")
        self.emit("    " + self.fail(i, f"the number of items does not fit the bound {bound}"))
        if not fixed:
            self.fixed("I", n)
        self.close_run()
        packers = self.const("K", _Packers(self.order, num.code))
        elem = self.const("E", num)
        # Short lists: one struct call, which checks every item's type and range as the
        # generic path's struct.pack does; numpy arrays and long lists: the array path.
        self.emit(f"if type({x}) is list and {n} < {_SHORT}:")
        self.emit(f"    {a} = {packers}[{n}](*{x})")
        self.emit("else:")
        self.emit(f"    {a} = NUM({x}, {elem}, {self.order!r})")
        self.pieces.append(a)

    def default(self, t: WireType) -> None:
        # Nested structs, unions, optional values, arrays of compound items: their own encoder.
        self.flush()
        enc = self.const("C", self.encoder(t))
        self.emit(f"{enc}(buf, {self.x})")
