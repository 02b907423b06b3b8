"""From a ``.x`` file's definitions to the shared wire types and program versions.

:func:`build` resolves every type of the file (and each prelude type the file uses) into a wire type
of :mod:`distlab.rpc.types`, and every program version into a
:class:`~distlab.oncrpc.program.ProgramVersion`. A type is built when first needed, so names may be
used before they are defined; a type that refers to itself while it is being built (a linked list:
``struct node { int v; node *next; };``) gets a :class:`~distlab.rpc.types.Ref` at that point,
bound once the type is built. Anonymous types inside a declaration (RFC 4506 allows
``struct { ... } x;``) are named after where they are: ``<outer>_<field>``.

The wire model's own checks (distinct enum values, case values that fit the discriminant, no
optional of an optional) are reported as :class:`IdlError` at the definition.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from distlab.oncrpc.idl.errors import IdlError
from distlab.oncrpc.idl.model import (
    Builtin,
    Declaration,
    EnumBody,
    Named,
    Pos,
    ProgramDef,
    Spec,
    StructBody,
    TypeSpec,
    UnionBody,
)
from distlab.oncrpc.idl.prelude import prelude
from distlab.oncrpc.idl.resolve import Scope
from distlab.oncrpc.program import Procedure, ProgramVersion
from distlab.rpc.errors import EncodeError
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
    Enum,
    FixedArray,
    FixedOpaque,
    Opaque,
    Optional,
    Ref,
    String,
    Struct,
    Union,
    WireType,
)

__all__ = ["Interface", "build"]

_BUILTINS: dict[str, WireType] = {
    "int": INT32, "unsigned int": UINT32, "hyper": INT64, "unsigned hyper": UINT64,
    "float": FLOAT32, "double": FLOAT64, "bool": BOOL,
}


@dataclasses.dataclass
class Interface:
    """What a ``.x`` file defines, as wire types and program versions.

    Attributes:
        file: the file.
        constants: the file's constants and enum members, with their values, in definition order.
        types: every named type the file defines or uses from the prelude, in an order in which each
            type comes after the types it contains (except through a :class:`Ref`).
        refs: the :class:`Ref` of each type that refers to itself, by the type's name.
        programs: each program version, in definition order.
        numbers: the program, version and procedure names with their numbers (rpcgen's header
            defines them as constants too), in definition order.
    """

    file: str
    constants: dict[str, int | str]
    types: dict[str, WireType]
    refs: dict[str, Ref]
    programs: list[ProgramVersion]
    numbers: dict[str, int]


def _err(reason: str, pos: Pos) -> IdlError:
    return IdlError(reason, pos.file, pos.line, pos.column)


def build(spec: Spec, fallbacks: Sequence[Spec] = ()) -> Interface:
    """The wire types and program versions of a parsed file.

    Args:
        spec: the file.
        fallbacks: definitions it may use without defining, after the prelude (see :class:`Scope`).

    Raises:
        IdlError: an unknown name, a bad bound or case label, or a type the wire model refuses.
    """
    b = _Builder(Scope(spec, [prelude(), *fallbacks]))
    for name in b.scope.types:
        if name in b.scope.own:
            b.type_of(name, b.scope.types[name].pos)
    programs, numbers = b.programs()
    return Interface(spec.file, b.scope.own_constants(), b.done, b.refs, programs, numbers)


class _Builder:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.done: dict[str, WireType] = {}
        self.refs: dict[str, Ref] = {}
        self.busy: set[str] = set()

    def type_of(self, name: str, pos: Pos) -> WireType:
        if name in self.done:
            return self.done[name]
        if name in self.busy:
            ref = self.refs.get(name)
            if ref is None:
                ref = self.refs[name] = Ref(name)
            return ref
        d = self.scope.types.get(name)
        if d is None:
            hint = next((n for n in [_nearest(name, list(self.scope.types))] if n), None)
            kind = " (it is a constant)" if name in self.scope.consts else ""
            more = f"; did you mean '{hint}'?" if hint else ""
            raise _err(f"unknown type '{name}'{kind}: expected a type defined in the file or a built-in type{more}", pos)
        self.busy.add(name)
        try:
            t = self.decl(d.decl, name)
        finally:
            self.busy.discard(name)
        self.done[name] = t
        if name in self.refs:
            self.refs[name].bind(t)
        return t

    def bound(self, decl: Declaration) -> int | None:
        if decl.bound is None:
            return None
        n = self.scope.value(decl.bound, decl.pos, "a bound: a number or a constant")
        if not 0 <= n < 2**32:
            raise _err(f"the bound of '{decl.name}' is {n}: expected 0 to 2**32 - 1", decl.pos)
        return n

    def decl(self, decl: Declaration, context: str) -> WireType:
        """The wire type of a declaration; ``context`` names anonymous types inside it."""
        if decl.kind == "void" or decl.type is None:
            return VOID
        try:
            if decl.kind == "fixed":
                size = self.bound(decl)
                assert size is not None
                if decl.type == Builtin("opaque"):
                    return FixedOpaque(size)
                return FixedArray(self.spec(decl.type, context, decl.pos), size)
            if decl.kind == "variable":
                if decl.type == Builtin("opaque"):
                    return Opaque(self.bound(decl))
                if decl.type == Builtin("string"):
                    return String(self.bound(decl))
                return Array(self.spec(decl.type, context, decl.pos), self.bound(decl))
            elem = self.spec(decl.type, context, decl.pos)
            return Optional(elem) if decl.kind == "optional" else elem
        except (ValueError, EncodeError) as exc:
            raise _err(f"'{decl.name or context}': {exc}", decl.pos) from None

    def spec(self, t: TypeSpec, context: str, pos: Pos) -> WireType:
        if isinstance(t, Builtin):
            return _BUILTINS[t.name]
        if isinstance(t, Named):
            return self.type_of(t.name, t.pos)
        if context not in self.busy:
            # An anonymous type in a field: name it after the field, and build it as a named type.
            self.busy.add(context)
            try:
                built = self.body(t, context)
            finally:
                self.busy.discard(context)
            self.done[context] = built
            return built
        return self.body(t, context)

    def body(self, t: EnumBody | StructBody | UnionBody, name: str) -> WireType:
        if isinstance(t, EnumBody):
            if not t.members:
                raise _err(f"enum {name} has no members", t.members[0].pos)
            # C allows two names for one value (nis_object.x's zotypes), the wire model's Enum one
            # name per value: the first name stands for the value on the wire, every name is a constant.
            by_value: dict[int, str] = {}
            for m in t.members:
                by_value.setdefault(int(self.scope.constant(m.name)), m.name)
            members = tuple((n, v) for v, n in by_value.items())
            try:
                return Enum(name, members)
            except ValueError as exc:
                raise _err(f"enum {name}: {exc}", t.members[0].pos) from None
        if isinstance(t, StructBody):
            fields = tuple((f.name, self.decl(f, f"{name}_{f.name}")) for f in t.fields)
            try:
                return Struct(name, fields)
            except ValueError as exc:
                raise _err(str(exc), t.fields[0].pos) from None
        disc = self.decl(t.discriminant, f"{name}_{t.discriminant.name}")
        arms: list[tuple[int, str, WireType]] = []
        for arm in t.arms:
            arm_type = self.decl(arm.decl, f"{name}_{arm.decl.name}")
            for label, pos in arm.labels:
                value = self.scope.value(label, pos, "a case label: a number, a constant or an enum member")
                arms.append((value, arm.decl.name or "void", arm_type))
        default = None
        if t.default is not None:
            default = (t.default.name or "void", self.decl(t.default, f"{name}_{t.default.name}"))
        try:
            return Union(name, disc, tuple(arms), default)
        except (ValueError, EncodeError) as exc:
            raise _err(f"union {name}: {exc}", t.discriminant.pos) from None

    def programs(self) -> tuple[list[ProgramVersion], dict[str, int]]:
        out: list[ProgramVersion] = []
        numbers: dict[str, int] = {}

        def number(name: str, value: int, pos: Pos) -> None:
            if not 0 <= value < 2**32:
                raise _err(f"{name} = {value}: expected a number from 0 to 2**32 - 1", pos)
            if numbers.setdefault(name, value) != value:
                raise _err(f"{name} is {numbers[name]} elsewhere in the file, here {value}", pos)

        for p in self.scope.programs:
            if p.name not in self.scope.own:
                continue
            prog = self.scope.value(p.number, p.pos, "a program number")
            number(p.name, prog, p.pos)
            for v in p.versions:
                vers = self.scope.value(v.number, v.pos, "a version number")
                number(v.name, vers, v.pos)
                procs: dict[int, Procedure] = {}
                for proc in v.procedures:
                    n = self.scope.value(proc.number, proc.pos, "a procedure number")
                    number(proc.name, n, proc.pos)
                    if n in procs:
                        raise _err(f"procedure {proc.name} has the number {n} of {procs[n].name}", proc.pos)
                    args = tuple(self.decl(a, f"{proc.name}_arg{i + 1}") for i, a in enumerate(proc.args))
                    procs[n] = Procedure(proc.name, n, args, self.decl(proc.result, f"{proc.name}_result"))
                out.append(ProgramVersion(p.name, v.name, prog, vers, procs))
        return out, numbers


def _nearest(name: str, names: list[str]) -> str | None:
    from distlab.errors import nearest

    return nearest(name, names)


_ = ProgramDef  # the programs come from the scope, which keeps the ProgramDef nodes
