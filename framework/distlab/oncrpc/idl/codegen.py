"""The code generator: an :class:`~distlab.oncrpc.idl.to_wire.Interface` as a readable Python module.

The module holds, in this order: the file's constants and enum members (their own names), the
program, version and procedure numbers (as rpcgen's header defines them), one dataclass per
struct (``point`` -> ``Point``; see "Value types" below) and every type as a wire type constant (the
``.x`` name; a struct's wire type decodes to its dataclass), one :class:`~distlab.oncrpc.program.ProgramVersion` per program
version (``<VERSION>_PROGRAM``), and per version a client class (``<Version>Client``, methods named
after the procedures in lower case, calling ``call`` of any :class:`~distlab.oncrpc.idl.stubs.Caller`),
its asyncio twin (``<Version>AsyncClient``, awaiting ``acall``) and a server base class
(``<Version>Server``: one abstract method per procedure, and ``handlers()`` for the runtime).

A name that is a Python keyword, or that would hide a name the module uses (``list``, ``int``,
``wire``), gets a trailing underscore. The source is made by walking the wire types with two
:class:`~distlab.rpc.types.TypeVisitor` subclasses: one writes a type's expression, one its
Python annotation. The output passes ``mypy --strict``.

Value types: a struct becomes ``@dataclasses.dataclass(slots=True)``: mutable, compared by value,
not hashable, and with no other attributes than its fields (assigning a misspelled one raises
``AttributeError``). Not ``frozen=True``, for three reasons:

- speed: a decoder builds one object per struct it reads, and a frozen dataclass's ``__init__``
  sets each field through ``object.__setattr__`` (measured on this machine: 0.56 µs per object of 6
  fields against 0.09 µs with slots), which made decoding 10,000 records of a generated struct 10%
  slower than the same struct written by hand;
- the promise would be shallow: the fields of a struct are often lists and numpy arrays (variable
  arrays), which stay mutable inside a frozen object, and such a value is not hashable anyway;
- the peers agree: rpcgen's C structs are plain mutable structs, and the marshaling study's
  hand-written value types (:mod:`distlab.rpc.payloads`) are plain dataclasses; a generated struct
  is a message to fill in and send, not a key.

A caller who needs an immutable copy can make one (``dataclasses.astuple``).
"""

from __future__ import annotations

import builtins
import keyword
import re

from distlab.oncrpc.idl.to_wire import Interface
from distlab.oncrpc.program import ProgramVersion
from distlab.rpc.types import (
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
    Void,
    WireType,
    numeric,
)

__all__ = ["generate", "python_name"]

# Names the generated module imports or its annotations use: a .x name equal to one is renamed.
_RESERVED = {
    "abc", "annotations", "dataclasses", "cast", "Any", "Callable", "Sequence", "numpy", "NDArray",
    "wire", "AsyncCaller", "Caller", "Procedure", "ProgramVersion", "PROGRAM_VERSIONS",
} | {n for n in dir(builtins) if not n.startswith("_")}


def python_name(name: str, taken: set[str] | None = None) -> str:
    """``name`` as a Python identifier that is no keyword, no reserved name and not in ``taken``.

    Examples:
        >>> python_name("list"), python_name("from"), python_name("node")
        ('list_', 'from_', 'node')
    """
    out = name
    while keyword.iskeyword(out) or out in _RESERVED or (taken is not None and out in taken):
        out += "_"
    if taken is not None:
        taken.add(out)
    return out


_ANNOTATION_NAMES = {"int", "float", "bool", "str", "bytes", "tuple", "None", "Any", "Sequence", "NDArray", "numpy"}


def _field_name(name: str, hidden: set[str]) -> str:
    while keyword.iskeyword(name) or name in hidden:
        name += "_"
    return name


def _camel(name: str) -> str:
    parts = [p for p in re.split(r"_+", name) if p]
    return "".join(p[:1].upper() + (p[1:].lower() if p.isupper() else p[1:]) for p in parts) or "T"


class _Names:
    """The Python name of every constant, type, dataclass and class of one module."""

    def __init__(self, interface: Interface) -> None:
        self.taken: set[str] = set()
        self.const = {n: python_name(n, self.taken) for n in interface.constants}
        self.number = {n: python_name(n, self.taken) for n in interface.numbers if n not in self.const}
        self.type = {n: python_name(n, self.taken) for n in interface.types}
        self.ref = {n: python_name(f"_{n}_ref", self.taken) for n in interface.refs}
        self.cls: dict[int, str] = {}
        self.owner: dict[int, str] = {}
        for n, t in interface.types.items():
            self.owner.setdefault(id(t), n)
            if isinstance(t, Struct) and id(t) not in self.cls:
                self.cls[id(t)] = python_name(_camel(n), self.taken)
        # A field may not hide a name its class's annotations use (a field 'int' of type int).
        hidden = _ANNOTATION_NAMES | set(self.cls.values())
        self.fields = {
            id(t): tuple(_field_name(n, hidden) for n, _ in t.fields)
            for t in interface.types.values()
            if isinstance(t, Struct)
        }
        self.program = {p.version_name: python_name(f"{p.version_name}_PROGRAM", self.taken) for p in interface.programs}
        self.classes = {
            p.version_name: tuple(python_name(_camel(p.version_name) + s, self.taken) for s in ("Client", "AsyncClient", "Server"))
            for p in interface.programs
        }


class _Expr(TypeVisitor[str]):
    """A wire type's Python expression; named types by their constant (except ``top``, being defined)."""

    def __init__(self, names: _Names, top: WireType | None = None) -> None:
        self.names, self.top = names, top

    def visit(self, t: WireType) -> str:
        if t is not self.top and id(t) in self.names.owner:
            return self.names.type[self.names.owner[id(t)]]
        return t.accept(_Expr(self.names))

    def visit_int(self, t: Int) -> str:
        return "wire." + {(32, True): "INT32", (32, False): "UINT32", (64, True): "INT64", (64, False): "UINT64"}[(t.bits, t.signed)]

    def visit_float(self, t: Float) -> str:
        return f"wire.FLOAT{t.bits}"

    def visit_bool(self, t: Bool) -> str:
        return "wire.BOOL"

    def visit_void(self, t: Void) -> str:
        return "wire.VOID"

    def _member(self, name: str, value: int) -> str:
        return self.names.const.get(name, str(value))

    def visit_enum(self, t: Enum) -> str:
        members = "".join(f"({n!r}, {self._member(n, v)}), " for n, v in t.members)
        return f"wire.Enum({t.name!r}, ({members.rstrip()}))"

    def visit_string(self, t: String) -> str:
        return f"wire.String({'' if t.max_len is None else t.max_len})"

    def visit_opaque(self, t: Opaque) -> str:
        return f"wire.Opaque({'' if t.max_len is None else t.max_len})"

    def visit_fixed_opaque(self, t: FixedOpaque) -> str:
        return f"wire.FixedOpaque({t.size})"

    def visit_array(self, t: Array) -> str:
        bound = "" if t.max_len is None else f", {t.max_len}"
        return f"wire.Array({self.visit(t.elem)}{bound})"

    def visit_fixed_array(self, t: FixedArray) -> str:
        return f"wire.FixedArray({self.visit(t.elem)}, {t.size})"

    def visit_struct(self, t: Struct) -> str:
        fields = "".join(f"\n        ({n!r}, {self.visit(f)})," for n, (_, f) in zip(self.names.fields[id(t)], t.fields))
        return f"wire.Struct(\n    {t.name!r},\n    ({fields}\n    ),\n    cls={self.names.cls[id(t)]},\n)"

    def visit_union(self, t: Union) -> str:
        enum = t.discriminant if isinstance(t.discriminant, Enum) else None
        arms = ""
        for case, name, arm in t.arms:
            label = self._member(enum.name_of(case), case) if enum is not None and case in enum.values else str(case)
            arms += f"\n        ({label}, {name!r}, {self.visit(arm)}),"
        default = "" if t.default is None else f"\n    default=({t.default[0]!r}, {self.visit(t.default[1])}),"
        return f"wire.Union(\n    {t.name!r},\n    {self.visit(t.discriminant)},\n    ({arms}\n    ),{default}\n)"

    def visit_optional(self, t: Optional) -> str:
        return f"wire.Optional({self.visit(t.elem)})"

    def visit_ref(self, t: Ref) -> str:
        return self.names.ref[t.name]


class _Annotation(TypeVisitor[str]):
    """The Python type of a wire type's values (what decoders return; encoders accept them too)."""

    def __init__(self, names: _Names) -> None:
        self.names = names
        self.numpy = False

    def visit_int(self, t: Int) -> str:
        return "int"

    def visit_enum(self, t: Enum) -> str:
        return "int"

    def visit_float(self, t: Float) -> str:
        return "float"

    def visit_bool(self, t: Bool) -> str:
        return "bool"

    def visit_void(self, t: Void) -> str:
        return "None"

    def visit_string(self, t: String) -> str:
        return "str"

    def visit_opaque(self, t: Opaque | FixedOpaque) -> str:
        return "bytes"

    visit_fixed_opaque = visit_opaque

    def visit_array(self, t: Array | FixedArray) -> str:
        num = numeric(t.elem)
        if num is not None:
            # Decoders return numpy arrays of numbers; encoders take any sequence of them.
            self.numpy = True
            return f"NDArray[numpy.{num.dtype}] | Sequence[{self.visit(num)}]"
        return f"Sequence[{self.visit(t.elem)}]"

    visit_fixed_array = visit_array

    def visit_struct(self, t: Struct) -> str:
        return self.names.cls[id(t)]

    def visit_union(self, t: Union) -> str:
        return "tuple[int, Any]"

    def visit_optional(self, t: Optional) -> str:
        return f"{self.visit(t.elem)} | None"

    def visit_ref(self, t: Ref) -> str:
        return self.visit(t.target)


def generate(interface: Interface, source_name: str) -> str:
    """The Python module of ``interface``.

    Args:
        interface: what the ``.x`` file defines.
        source_name: the ``.x`` file's name, for the module's docstring.
    """
    names = _Names(interface)
    ann = _Annotation(names)
    out: list[str] = []
    exported: list[str] = []

    out.append("\n# Constants and enum members\n")
    for n, v in interface.constants.items():
        out.append(f"{names.const[n]} = {v!r}")
        exported.append(names.const[n])
    if names.number:
        out.append("\n# Program, version and procedure numbers\n")
    for n, pynum in names.number.items():
        v = interface.numbers[n]
        out.append(f"{pynum} = {hex(v) if v > 0xFFFF else v}")
        exported.append(pynum)

    out.append("\n\n# Types\n")
    for n in interface.refs:
        out.append(f"{names.ref[n]} = wire.Ref({n!r})  # {n} refers to itself; bound below")
    for n, t in interface.types.items():
        pyname = names.type[n]
        exported.append(pyname)
        if names.owner[id(t)] != n:
            out.append(f"{pyname} = {names.type[names.owner[id(t)]]}")
            continue
        if isinstance(t, Struct):
            cls = names.cls[id(t)]
            exported.append(cls)
            fields = "".join(f"\n    {f}: {ann.visit(ft)}" for f, (_, ft) in zip(names.fields[id(t)], t.fields))
            out.append(f"\n@dataclasses.dataclass(slots=True)\nclass {cls}:\n    \"\"\"struct {n}.\"\"\"\n{fields}\n\n")
        out.append(f"{pyname} = {_Expr(names, t).visit(t)}")
        if n in interface.refs:
            out.append(f"{names.ref[n]}.bind({pyname})")

    for p in interface.programs:
        out += _program(p, names, ann, _Expr(names))
        exported += [names.program[p.version_name], *names.classes[p.version_name]]
    out.append(f"\nPROGRAM_VERSIONS: tuple[ProgramVersion, ...] = ({''.join(names.program[p.version_name] + ', ' for p in interface.programs).rstrip()})")
    exported.append("PROGRAM_VERSIONS")

    programs = ", ".join(f"{p.name} version {p.version}" for p in interface.programs) or "no programs"
    head = [
        f'"""ONC RPC interface {source_name}: {programs}.',
        "",
        f"Generated by distlab's IDL compiler from {source_name}; do not edit, compile the .x file again",
        '(distlab idl compile FILE.x -o DIR)."""',
        "",
        "from __future__ import annotations",
        "",
        "import abc",
        "import dataclasses",
        "from collections.abc import Callable, Sequence",
        "from typing import Any, cast",
        "",
    ]
    if ann.numpy:
        head += ["import numpy", "from numpy.typing import NDArray", ""]
    head += [
        "from distlab.oncrpc.idl.stubs import AsyncCaller, Caller",
        "from distlab.oncrpc.program import Procedure, ProgramVersion",
        "from distlab.rpc import types as wire",
        "",
        "__all__ = [" + "".join(f"\n    {n!r}," for n in sorted(exported)) + "\n]",
        "",
        "# Keep the imports used whatever the file defines (a file without programs uses no stubs).",
        "_USED = (abc, dataclasses, Callable, Sequence, Any, cast, AsyncCaller, Caller, Procedure)",
    ]
    return "\n".join(head + out) + "\n"


def _program(p: ProgramVersion, names: _Names, ann: _Annotation, expr: _Expr) -> list[str]:
    const = names.program[p.version_name]
    client, aclient, server = names.classes[p.version_name]
    procs = sorted(p.procedures.values(), key=lambda q: q.number)
    out = [f"\n\n# {p.name} version {p.version} ({p.version_name})\n"]
    entries = "".join(
        f"\n        {q.number}: Procedure({q.name!r}, {q.number}, ({''.join(expr.visit(a) + ', ' for a in q.args).rstrip()}), {expr.visit(q.result)}),"
        for q in procs
    )
    number = names.number.get(p.name, str(p.program))
    version = names.number.get(p.version_name, str(p.version))
    out.append(f"{const} = ProgramVersion(\n    {p.name!r},\n    {p.version_name!r},\n    {number},\n    {version},\n    {{{entries}\n    }},\n)")
    taken = {"handlers", "program"}
    # A method may share a builtin's name (sum, next): only keywords and the class's own names clash.
    methods: dict[int, str] = {}
    for q in procs:
        methods[q.number] = _field_name(q.name.lower(), taken)
        taken.add(methods[q.number])

    def signature(q: object) -> tuple[str, str, str]:
        assert hasattr(q, "args") and hasattr(q, "result")
        params = "".join(f", arg{i + 1}: {ann.visit(a)}" for i, a in enumerate(q.args))
        args = "".join(f", arg{i + 1}" for i in range(len(q.args)))
        return params, args, ann.visit(q.result)

    title = f"{p.name} version {p.version} ({p.version_name})"
    for cls, caller, call, prefix in ((client, "Caller", "call", ""), (aclient, "AsyncCaller", "acall", "async ")):
        out.append(f"\n\nclass {cls}:\n    \"\"\"Calls {title} through a client's ``{call}``.\"\"\"\n")
        out.append(f"    def __init__(self, client: {caller}) -> None:\n        self._client = client")
        for q in procs:
            params, args, result = signature(q)
            invoke = f"{'await ' if prefix else ''}self._client.{call}({const}, {q.number}{args})"
            body = invoke if result == "None" else f"return cast({result!r}, {invoke})"
            out.append(f"\n    {prefix}def {methods[q.number]}(self{params}) -> {result}:\n        \"\"\"{q.name}, procedure {q.number}.\"\"\"\n        {body}")
    out.append(f"\n\nclass {server}(abc.ABC):\n    \"\"\"Serves {title}: implement each procedure; the runtime calls them through ``handlers()``.\"\"\"\n")
    out.append(f"    program: ProgramVersion = {const}")
    for q in procs:
        params, _, result = signature(q)
        out.append(f"\n    @abc.abstractmethod\n    def {methods[q.number]}(self{params}) -> {result}:\n        \"\"\"{q.name}, procedure {q.number}.\"\"\"")
    handlers = "".join(f"\n            {q.number}: self.{methods[q.number]}," for q in procs)
    out.append(f"\n    def handlers(self) -> dict[int, Callable[..., Any]]:\n        \"\"\"The procedures by number.\"\"\"\n        return {{{handlers}\n        }}")
    return out
