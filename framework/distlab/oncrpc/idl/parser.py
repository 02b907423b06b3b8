"""The parser: preprocessed ``.x`` text to the abstract syntax of :mod:`distlab.oncrpc.idl.model`.

lark's LALR parser with its contextual lexer reads :data:`~distlab.oncrpc.idl.grammar.GRAMMAR`;
a transformer turns its tree into model nodes bottom-up. Syntax errors become :class:`IdlError`
with the file, line and column the preprocessor's line markers give, and the tokens that would
have been accepted there.
"""

from __future__ import annotations

import functools
from typing import Any

import lark
from lark import Token, Transformer, v_args
from lark.tree import Meta

from distlab.oncrpc.idl.errors import IdlError
from distlab.oncrpc.idl.grammar import GRAMMAR
from distlab.oncrpc.idl.model import (
    Arm,
    Builtin,
    ConstDef,
    Declaration,
    EnumBody,
    EnumMember,
    Named,
    Pos,
    ProcedureDef,
    ProgramDef,
    Spec,
    StructBody,
    Text,
    TypeDef,
    UnionBody,
    Value,
    VersionDef,
)
from distlab.oncrpc.idl.preprocess import Source

__all__ = ["parse", "parse_text"]

_QUADRUPLE = (
    "quadruple (a 128-bit float) is not supported: neither C's XDR library nor Python has a type "
    "for it (rpcgen would call a missing xdr_quadruple); use double"
)


@functools.cache
def _lark() -> lark.Lark:
    return lark.Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def parse_text(text: str, file: str = "<text>") -> Spec:
    """Parse ``.x`` text that needs no preprocessing (no ``#`` or ``%`` lines).

    Examples:
        >>> spec = parse_text("const N = 0x10; typedef int ints<N>;")
        >>> [d.name for d in spec.definitions]
        ['N', 'ints']
    """
    lines = text.split("\n")
    return parse(Source(text, tuple((file, i + 1) for i in range(len(lines)))), file)


def parse(source: Source, file: str) -> Spec:
    """Parse a preprocessed ``.x`` file.

    Args:
        source: the preprocessor's text and line origins.
        file: the file's path (named by the result).

    Raises:
        IdlError: a syntax error, or ``quadruple``, naming the file, line, column and what was expected.
    """
    try:
        tree = _lark().parse(source.text)
    except lark.exceptions.UnexpectedInput as exc:
        raise _syntax_error(exc, source) from None
    try:
        definitions = _ToModel(source).transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, IdlError):
            raise exc.orig_exc from None
        raise
    return Spec(file, tuple(definitions))


def _describe(terminal: str) -> str:
    if terminal in ("NAME", "NUMBER", "STRING"):
        return {"NAME": "a name", "NUMBER": "a number", "STRING": "a string"}[terminal]
    for t in _lark().terminals:
        if t.name == terminal and t.pattern.type == "str":
            return f"'{t.pattern.value}'"
    return terminal


def _syntax_error(exc: lark.exceptions.UnexpectedInput, source: Source) -> IdlError:
    line, column = max(exc.line, 1), max(exc.column, 1)
    expected: set[str] = set()
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        expected = set(exc.expected)
        found = "the end of the file" if exc.token.type == "$END" else f"'{exc.token}'"
    elif isinstance(exc, lark.exceptions.UnexpectedCharacters):
        expected = set(exc.allowed or ())
        found = f"'{source.text.split(chr(10))[line - 1][column - 1:column]}'"
    else:
        found = "the end of the file"
        expected = set(getattr(exc, "expected", ()) or ())
    file, orig_line = source.where(line)
    wanted = sorted(_describe(e) for e in expected if e != "$END")
    reason = f"unexpected {found}"
    if wanted:
        reason += "; expected " + (wanted[0] if len(wanted) == 1 else "one of " + ", ".join(wanted))
    return IdlError(reason, file, orig_line, column)


@v_args(meta=True)
class _ToModel(Transformer[Token, list[Any]]):
    """Builds model nodes from lark's tree (rule names as in the grammar)."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    def _pos(self, meta: Meta | Token) -> Pos:
        line = getattr(meta, "line", 1) or 1
        file, orig = self.source.where(line)
        return Pos(file, orig, getattr(meta, "column", 1) or 1)

    # definitions
    def start(self, meta: Meta, items: list[Any]) -> list[Any]:
        return items

    def const_def(self, meta: Meta, items: list[Any]) -> ConstDef:
        name, value = items
        if isinstance(value, Token):  # a string literal
            return ConstDef(str(name), Text(_unquote(str(value))), self._pos(meta))
        return ConstDef(str(name), value, self._pos(meta))

    def typedef_def(self, meta: Meta, items: list[Any]) -> TypeDef:
        decl: Declaration = items[0]
        if decl.kind == "void":
            raise IdlError("typedef void is not a type; expected a declaration such as 'typedef int name;'",
                           *_where(decl.pos))
        return TypeDef(decl)

    def _named(self, meta: Meta, items: list[Any]) -> TypeDef:
        name, body = items
        return TypeDef(Declaration("plain", str(name), body, None, self._pos(name)))

    enum_def = struct_def = union_def = _named

    # bodies
    def enum_body(self, meta: Meta, items: list[Any]) -> EnumBody:
        return EnumBody(tuple(items))

    def enum_member(self, meta: Meta, items: list[Any]) -> EnumMember:
        return EnumMember(str(items[0]), items[1], self._pos(meta))

    def struct_body(self, meta: Meta, items: list[Any]) -> StructBody:
        return StructBody(tuple(items))

    def union_body(self, meta: Meta, items: list[Any]) -> UnionBody:
        *arms, default = items[1:]
        return UnionBody(items[0], tuple(arms), default)

    def case_arm(self, meta: Meta, items: list[Any]) -> Arm:
        return Arm(tuple(items[:-1]), items[-1])

    def case_label(self, meta: Meta, items: list[Any]) -> tuple[Value, Pos]:
        return items[0], self._pos(meta)

    def default_arm(self, meta: Meta, items: list[Any]) -> Declaration:
        return items[0]  # type: ignore[no-any-return]

    # declarations
    def decl_plain(self, meta: Meta, items: list[Any]) -> Declaration:
        type_, name = items
        if type_ in (Builtin("opaque"), Builtin("string")):
            raise IdlError(f"{type_.name} needs a bound: '{type_.name} {name}<>' or '{type_.name} {name}<N>'",
                           *_where(self._pos(meta)))
        return Declaration("plain", str(name), type_, None, self._pos(meta))

    def decl_fixed(self, meta: Meta, items: list[Any]) -> Declaration:
        type_, name, bound = items
        if type_ == Builtin("string"):
            raise IdlError(f"a string has a variable length: write 'string {name}<{bound}>'", *_where(self._pos(meta)))
        return Declaration("fixed", str(name), type_, bound, self._pos(meta))

    def decl_var(self, meta: Meta, items: list[Any]) -> Declaration:
        type_, name, bound = items
        return Declaration("variable", str(name), type_, bound, self._pos(meta))

    def decl_optional(self, meta: Meta, items: list[Any]) -> Declaration:
        type_, name = items
        return Declaration("optional", str(name), type_, None, self._pos(meta))

    def decl_void(self, meta: Meta, items: list[Any]) -> Declaration:
        return Declaration("void", "", None, None, self._pos(meta))

    def opaque(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("opaque")

    def string(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("string")

    # type specifiers
    def t_int(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("int")

    def t_uint(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("unsigned int")

    def t_hyper(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("hyper")

    def t_uhyper(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("unsigned hyper")

    def t_float(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("float")

    def t_double(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("double")

    def t_bool(self, meta: Meta, items: list[Any]) -> Builtin:
        return Builtin("bool")

    def t_quadruple(self, meta: Meta, items: list[Any]) -> Builtin:
        raise IdlError(_QUADRUPLE, *_where(self._pos(meta)))

    def t_named(self, meta: Meta, items: list[Any]) -> Named:
        return Named(str(items[0]), self._pos(items[0]))

    def t_enum(self, meta: Meta, items: list[Any]) -> EnumBody:
        return items[0]  # type: ignore[no-any-return]

    t_struct = t_union = t_enum

    # programs
    def program_def(self, meta: Meta, items: list[Any]) -> ProgramDef:
        return ProgramDef(str(items[0]), items[-1], tuple(items[1:-1]), self._pos(meta))

    def version_def(self, meta: Meta, items: list[Any]) -> VersionDef:
        return VersionDef(str(items[0]), items[-1], tuple(items[1:-1]), self._pos(meta))

    def procedure_def(self, meta: Meta, items: list[Any]) -> ProcedureDef:
        result, name, *args, number = items
        args_ = tuple(args)
        if len(args_) > 1 and any(a.kind == "void" for a in args_):
            raise IdlError(f"procedure {name}: void is the only argument or none", *_where(self._pos(meta)))
        if len(args_) == 1 and args_[0].kind == "void":
            args_ = ()
        return ProcedureDef(str(name), number, args_, result, self._pos(meta))

    def p_plain(self, meta: Meta, items: list[Any]) -> Declaration:
        if items[0] == Builtin("opaque"):
            raise IdlError("opaque is not a procedure argument or result; typedef it first", *_where(self._pos(meta)))
        return Declaration("plain", "", items[0], None, self._pos(meta))

    def p_optional(self, meta: Meta, items: list[Any]) -> Declaration:
        return Declaration("optional", "", items[0], None, self._pos(meta))

    def p_string(self, meta: Meta, items: list[Any]) -> Declaration:
        return Declaration("variable", "", Builtin("string"), items[1] if len(items) > 1 else None, self._pos(meta))

    def p_void(self, meta: Meta, items: list[Any]) -> Declaration:
        return Declaration("void", "", None, None, self._pos(meta))

    def value(self, meta: Meta, items: list[Any]) -> Value:
        token: Token = items[0]
        if token.type == "NAME":
            return str(token)
        return _number(str(token))


def _where(pos: Pos) -> tuple[str, int, int]:
    return pos.file, pos.line, pos.column


def _number(text: str) -> int:
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)
    if digits[:2].lower() == "0x":
        return sign * int(digits[2:], 16)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)  # C's octal, as rpcgen copies it into C
    return sign * int(digits)


def _unquote(text: str) -> str:
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
