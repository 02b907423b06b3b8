"""Names of a ``.x`` file: what each constant, enum member and type name stands for.

The RPC language lets a name be used before it is defined (a bound, a case label, a field's type),
so the definitions are first gathered into a :class:`Scope`, and values are computed on demand,
following constants that name other constants (with a check for cycles). Enum members are
constants too (C's scope, where rpcgen puts them); a member without a value is the previous one
plus one, the first zero, as C counts, since rpcgen leaves it to C.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from distlab.errors import nearest
from distlab.oncrpc.idl.errors import IdlError
from distlab.oncrpc.idl.model import (
    ConstDef,
    Declaration,
    EnumBody,
    EnumMember,
    Named,
    Pos,
    ProgramDef,
    Spec,
    StructBody,
    Text,
    TypeDef,
    UnionBody,
    Value,
)

__all__ = ["Scope", "enum_bodies"]


def _err(reason: str, pos: Pos) -> IdlError:
    return IdlError(reason, pos.file, pos.line, pos.column)


def enum_bodies(decl: Declaration) -> Iterator[EnumBody]:
    """Every enum body in a declaration, nested ones included (their members are constants too)."""
    t = decl.type
    if isinstance(t, EnumBody):
        yield t
    elif isinstance(t, StructBody):
        for f in t.fields:
            yield from enum_bodies(f)
    elif isinstance(t, UnionBody):
        yield from enum_bodies(t.discriminant)
        for arm in t.arms:
            yield from enum_bodies(arm.decl)
        if t.default is not None:
            yield from enum_bodies(t.default)


class Scope:
    """The constants, enum members and types of a file, over a prelude whose names it may redefine.

    Program, version and procedure names are constants too (rpcgen's header defines them), so that a
    ``%#define`` or a bound may name them.

    Args:
        spec: the file.
        fallbacks: definitions the file may use without defining, the later ones first: the
            prelude (see :mod:`distlab.oncrpc.idl.prelude`), then what the file's ``%`` lines bring.

    Raises:
        IdlError: a name defined twice in the file.
    """

    def __init__(self, spec: Spec, fallbacks: Sequence[Spec] = ()) -> None:
        self.spec = spec
        self.consts: dict[str, ConstDef | tuple[EnumBody, EnumMember]] = {}
        self.types: dict[str, TypeDef] = {}
        self.programs: list[ProgramDef] = []
        self.own: set[str] = set()
        self._values: dict[str, int | str] = {}
        self._busy: set[str] = set()
        for fallback in fallbacks:
            self._add(fallback, own=False)
        self._add(spec, own=True)

    def _define(self, name: str, pos: Pos, own: bool) -> None:
        if own and name in self.own:
            prev = self._pos_of(name)
            raise _err(f"'{name}' is defined twice (first at {prev}); expected a new name", pos)
        if own:
            # A file's own definition replaces the prelude's of the same name, of either kind.
            self.consts.pop(name, None)
            self.types.pop(name, None)
            self.own.add(name)

    def _pos_of(self, name: str) -> Pos | str:
        if name in self.types:
            return self.types[name].pos
        c = self.consts.get(name)
        if isinstance(c, ConstDef):
            return c.pos
        if c is not None:
            return c[1].pos
        for p in self.programs:
            for n, pos in [(p.name, p.pos)] + [(v.name, v.pos) for v in p.versions]:
                if n == name:
                    return pos
        return "?"

    def _add(self, spec: Spec, own: bool) -> None:
        for d in spec.definitions:
            if isinstance(d, ConstDef):
                self._define(d.name, d.pos, own)
                self.consts[d.name] = d
            elif isinstance(d, TypeDef):
                if isinstance(d.decl.type, Named) and d.decl.kind == "plain" and d.decl.type.name == d.name:
                    continue  # C's 'typedef struct x x;': the struct's name is already the type's
                self._define(d.name, d.pos, own)
                self.types[d.name] = d
                for body in enum_bodies(d.decl):
                    for m in body.members:
                        self._define(m.name, m.pos, own)
                        self.consts[m.name] = (body, m)
            else:
                self._define(d.name, d.pos, own)
                self.programs.append(d)
                self.consts[d.name] = ConstDef(d.name, d.number, d.pos)
                for v in d.versions:
                    self._define(v.name, v.pos, own)
                    self.consts[v.name] = ConstDef(v.name, v.number, v.pos)
                    for proc in v.procedures:
                        # rpcgen's header defines each procedure's name; several versions may
                        # repeat one (rpcb_prot.x numbers a version-4 procedure by a version-3 name).
                        if proc.name not in self.types and proc.name not in self.consts:
                            self.consts[proc.name] = ConstDef(proc.name, proc.number, proc.pos)
                            if own:
                                self.own.add(proc.name)

    def constant(self, name: str) -> int | str:
        """The value of a constant or enum member (a string for a string constant).

        Raises:
            KeyError: no such constant.
            IdlError: its definition names an unknown constant or refers to itself.
        """
        if name in self._values:
            return self._values[name]
        d = self.consts[name]
        if name in self._busy:
            raise _err(f"constant '{name}' is defined by itself", d.pos if isinstance(d, ConstDef) else d[1].pos)
        self._busy.add(name)
        try:
            if isinstance(d, ConstDef):
                value: int | str = d.value.text if isinstance(d.value, Text) else self.value(d.value, d.pos)
            else:
                value = self._member(*d)
        finally:
            self._busy.discard(name)
        self._values[name] = value
        return value

    def _member(self, body: EnumBody, member: EnumMember) -> int:
        if member.value is not None:
            return self.value(member.value, member.pos)
        i = body.members.index(member)
        return 0 if i == 0 else self.value(body.members[i - 1].name, member.pos) + 1

    def value(self, v: Value, pos: Pos, what: str = "a number or a constant") -> int:
        """The integer ``v`` stands for: a number, or a constant's or enum member's value.

        Raises:
            IdlError: an unknown name (with the nearest known one), or a string constant.
        """
        if isinstance(v, int):
            return v
        if v not in self.consts:
            hint = nearest(v, list(self.consts))
            kind = " (it is a type)" if v in self.types else ""
            more = f"; did you mean '{hint}'?" if hint else ""
            raise _err(f"unknown constant '{v}'{kind}: expected {what}{more}", pos)
        result = self.constant(v)
        if isinstance(result, str):
            raise _err(f"'{v}' is a string constant: expected {what}", pos)
        return result

    def own_constants(self) -> dict[str, int | str]:
        """The file's own constants and enum members with their values, in definition order."""
        programs = {p.name for p in self.programs} | {v.name for p in self.programs for v in p.versions}
        programs |= {proc.name for p in self.programs for v in p.versions for proc in v.procedures}
        return {n: self.constant(n) for n in self.consts if n in self.own and n not in programs}
