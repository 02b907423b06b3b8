"""An ONC RPC interface as values: programs, their versions and procedures (RFC 5531 sections 8 and 12).

This is what the IDL compiler produces from a ``.x`` file's ``program`` definitions and what the runtime
(clients, servers, the binder) dispatches on, so that both sides share one description of an interface.
The argument and result types are wire types of :mod:`distlab.rpc.types`.

Several arguments (rpcgen's ``-N`` style, RFC 5531 section 12: ``int ADD(int, int) = 1;``) are encoded
one after the other, exactly as a struct of them would be; ``void`` arguments are an empty tuple.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from distlab.rpc.types import WireType

__all__ = ["Procedure", "ProgramVersion"]


@dataclasses.dataclass(frozen=True)
class Procedure:
    """One remote procedure of a program version.

    Attributes:
        name: its name in the interface definition, e.g. ``"RSTATPROC_STATS"``.
        number: its procedure number (0 is the NULL procedure every server answers).
        args: the wire type of each argument, in order; ``()`` for ``void``.
        result: the wire type of the result (``VOID`` for ``void``).
    """

    name: str
    number: int
    args: tuple[WireType, ...]
    result: WireType


@dataclasses.dataclass(frozen=True)
class ProgramVersion:
    """One version of an RPC program: the unit a server registers and a client binds to.

    Attributes:
        name: the program's name in the interface definition, e.g. ``"RSTATPROG"``.
        version_name: the version's name, e.g. ``"RSTATVERS_TIME"``.
        program: the program number.
        version: the version number.
        procedures: the procedures by number (procedure 0, NULL, is implied and need not be listed).
    """

    name: str
    version_name: str
    program: int
    version: int
    procedures: Mapping[int, Procedure]

    def procedure(self, number_or_name: int | str) -> Procedure:
        """The procedure with this number or name.

        Raises:
            KeyError: naming the program version and the procedures it has.
        """
        for proc in self.procedures.values():
            if number_or_name in (proc.number, proc.name):
                return proc
        known = ", ".join(f"{p.name} = {p.number}" for p in self.procedures.values())
        raise KeyError(f"{self.name} version {self.version} has no procedure {number_or_name!r}; it has: {known}")
