"""The three functions of the study, as a local call runs them, and their signatures with directions.

These are the semantics every remote way of calling is judged against (``result_correct``): the
server runs the same code on what it receives, and the engine runs it on a copy of the caller's
objects for the local call. The lecture's example is ``newlist = append(data, dbList)``.

Directions are DCE IDL's: ``in`` (the caller's value goes to the callee), ``out`` (the callee's value
comes back), ``in out`` (both). A parameter that is not ``in`` is a pointer in C: the callee changes
what the caller sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from typing import Any, Literal

__all__ = [
    "DIRECTIONS",
    "FUNCTIONS",
    "Call",
    "Direction",
    "Parameter",
    "Signature",
    "alias",
    "append",
    "invert",
    "lookup",
    "run_local",
    "snapshot",
]

Direction = Literal["in", "out", "in out"]
DIRECTIONS: tuple[Direction, ...] = ("in", "out", "in out")
"""The directions a parameter may be declared with."""

_INVERT = bytes(b ^ 0xFF for b in range(256))


def invert(element: bytes) -> bytes:
    """The element with every byte XORed with 0xFF: how ``append`` changes the elements it touches."""
    return element.translate(_INVERT)


def append(data: Sequence[bytes], db: MutableSequence[bytes], touch: Sequence[int]) -> MutableSequence[bytes]:
    """``newlist = append(data, dbList)``: invert the elements of ``db`` at ``touch``, append ``data``, return ``db``."""
    for i in touch:
        db[i] = invert(db[i])
    db.extend(data)
    return db


def lookup(key: int, put: bytes | None, db: MutableSequence[bytes]) -> bytes:
    """The element at ``key``; if ``put`` is given, it replaces that element after it is read."""
    old = db[key]
    if put is not None:
        db[key] = put
    return old


def alias(a: MutableSequence[bytes], b: MutableSequence[bytes], mark_a: bytes, mark_b: bytes) -> None:
    """Append ``mark_a`` to ``a``, then ``mark_b`` to ``b`` (called with ``a is b`` to show aliasing)."""
    a.append(mark_a)
    b.append(mark_b)


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One parameter of a function: its name, whether it is a list (a reference in C), and its direction."""

    name: str
    is_list: bool
    direction: Direction = "in"


@dataclasses.dataclass(frozen=True)
class Signature:
    """A function's name and parameters, in order, with their directions (what a stub is built from)."""

    function: str
    parameters: tuple[Parameter, ...]

    def text(self) -> str:
        """The signature in DCE IDL style, e.g. ``append([in] data, [in,out] db, [in] touch)``."""
        inner = ", ".join(f"[{p.direction.replace(' ', ',')}] {p.name}" for p in self.parameters)
        return f"{self.function}({inner})"


_FUNCS: dict[str, Callable[..., Any]] = {"append": append, "lookup": lookup, "alias": alias}

FUNCTIONS: Mapping[str, Signature] = {
    "append": Signature("append", (Parameter("data", True), Parameter("db", True, "in out"), Parameter("touch", False))),
    "lookup": Signature("lookup", (Parameter("key", False), Parameter("put", False), Parameter("db", True, "in out"))),
    "alias": Signature("alias", (Parameter("a", True, "in out"), Parameter("b", True, "in out"),
                                 Parameter("mark_a", False), Parameter("mark_b", False))),
}
"""The signature of each function with every list parameter the callee may write declared ``in out``."""


@dataclasses.dataclass
class Call:
    """One logical call a call mix makes: the function, its signature and its arguments by name.

    Attributes:
        signature: the function and its parameters' directions (a read-only lookup declares ``db`` ``in``).
        args: the arguments by parameter name; lists are the caller's own objects (two parameters may
            hold the same object: aliasing).
    """

    signature: Signature
    args: dict[str, Any]

    @property
    def function(self) -> str:
        """The function's name."""
        return self.signature.function


def snapshot(args: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``args`` in which every list is a new list, and two names that held one list hold one copy.

    Elements are bytes (immutable), so a shallow copy of each list is a full copy of its value.
    """
    copies: dict[int, list[bytes]] = {}
    out: dict[str, Any] = {}
    for name, value in args.items():
        if isinstance(value, list):
            out[name] = copies.setdefault(id(value), list(value))
        else:
            out[name] = value
    return out


def run_local(call: Call, args: dict[str, Any] | None = None) -> Any:
    """Run the call's function locally on ``args`` (default: the call's own arguments); its result."""
    return _FUNCS[call.function](**(call.args if args is None else args))
