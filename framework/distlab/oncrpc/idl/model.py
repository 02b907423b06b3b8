"""The abstract syntax of a ``.x`` file: its definitions as the parser reads them, names unresolved.

A value (an array bound, a case label, an enum member's value, a program number) is an ``int`` or
the name of a constant or enum member, resolved later by :mod:`distlab.oncrpc.idl.resolve`, because
the RPC language lets a name be used before it is defined. Every node keeps its :class:`Pos` so that
a later error can say where.

A type definition of any form (``typedef``, ``enum``, ``struct``, ``union``) is a :class:`TypeDef`
holding one :class:`Declaration`: ``struct point {...};`` is the declaration of ``point`` with a
struct body, exactly as ``typedef struct {...} point;`` is in RFC 4506's grammar.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, TypeAlias

__all__ = [
    "Arm",
    "Builtin",
    "ConstDef",
    "Declaration",
    "Definition",
    "EnumBody",
    "EnumMember",
    "Named",
    "Pos",
    "ProcedureDef",
    "ProgramDef",
    "Spec",
    "StructBody",
    "Text",
    "TypeDef",
    "TypeSpec",
    "UnionBody",
    "Value",
    "VersionDef",
]


@dataclasses.dataclass(frozen=True)
class Pos:
    """A place in a ``.x`` file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


Value: TypeAlias = "int | str"
"""A number, or the name of a constant or enum member."""


@dataclasses.dataclass(frozen=True)
class Text:
    """A string constant's text (``const GREETING = "hello";``, an rpcgen extension)."""

    text: str


BuiltinName = Literal[
    "int", "unsigned int", "hyper", "unsigned hyper", "float", "double", "quadruple", "bool", "opaque", "string"
]


@dataclasses.dataclass(frozen=True)
class Builtin:
    """A type the language names with a keyword."""

    name: BuiltinName


@dataclasses.dataclass(frozen=True)
class Named:
    """A type named by its identifier (``fhandle``, ``struct node``)."""

    name: str
    pos: Pos


@dataclasses.dataclass(frozen=True)
class EnumMember:
    """``NAME`` or ``NAME = value`` in an enum."""

    name: str
    value: Value | None
    pos: Pos


@dataclasses.dataclass(frozen=True)
class EnumBody:
    """An enum's members."""

    members: tuple[EnumMember, ...]


@dataclasses.dataclass(frozen=True)
class StructBody:
    """A struct's fields, in order."""

    fields: tuple[Declaration, ...]


@dataclasses.dataclass(frozen=True)
class Arm:
    """One arm of a union: its case labels and its declaration."""

    labels: tuple[tuple[Value, Pos], ...]
    decl: Declaration


@dataclasses.dataclass(frozen=True)
class UnionBody:
    """A union: the discriminant's declaration, the arms, and the default arm (or ``None``)."""

    discriminant: Declaration
    arms: tuple[Arm, ...]
    default: Declaration | None


TypeSpec: TypeAlias = "Builtin | Named | EnumBody | StructBody | UnionBody"

DeclKind = Literal["plain", "fixed", "variable", "optional", "void"]


@dataclasses.dataclass(frozen=True)
class Declaration:
    """A declaration: a name with a type, and how the type is used.

    Attributes:
        kind: ``plain`` (``T x``), ``fixed`` (``T x[N]``), ``variable`` (``T x<N>``, ``T x<>``),
            ``optional`` (``T *x``) or ``void``.
        name: the declared name (``""`` for ``void`` and for procedure arguments and results).
        type: the type specifier (``None`` for ``void``).
        bound: ``N`` of ``[N]`` or ``<N>``; ``None`` for ``<>`` and the other kinds.
        pos: where the declaration starts.
    """

    kind: DeclKind
    name: str
    type: TypeSpec | None
    bound: Value | None
    pos: Pos


@dataclasses.dataclass(frozen=True)
class ConstDef:
    """``const NAME = value;``."""

    name: str
    value: Value | Text
    pos: Pos


@dataclasses.dataclass(frozen=True)
class TypeDef:
    """A named type: ``typedef``, ``enum``, ``struct`` or ``union`` (see the module's docstring)."""

    decl: Declaration

    @property
    def name(self) -> str:
        """The type's name."""
        return self.decl.name

    @property
    def pos(self) -> Pos:
        """Where the definition starts."""
        return self.decl.pos


@dataclasses.dataclass(frozen=True)
class ProcedureDef:
    """``result NAME(args) = number;``: arguments and result as declarations without names."""

    name: str
    number: Value
    args: tuple[Declaration, ...]
    result: Declaration
    pos: Pos


@dataclasses.dataclass(frozen=True)
class VersionDef:
    """``version NAME { procedures } = number;``."""

    name: str
    number: Value
    procedures: tuple[ProcedureDef, ...]
    pos: Pos


@dataclasses.dataclass(frozen=True)
class ProgramDef:
    """``program NAME { versions } = number;``."""

    name: str
    number: Value
    versions: tuple[VersionDef, ...]
    pos: Pos


Definition: TypeAlias = "ConstDef | TypeDef | ProgramDef"


@dataclasses.dataclass(frozen=True)
class Spec:
    """A parsed ``.x`` file: its definitions in order (included files' definitions in place)."""

    file: str
    definitions: tuple[Definition, ...]
