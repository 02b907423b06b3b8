"""What generated stubs need from the runtime: a client that makes a call, synchronously or not.

A generated client class (see :mod:`distlab.oncrpc.idl.codegen`) wraps any object with these
methods, so the stubs depend on no transport: the runtime's clients, a fake for tests, or a
recorder of calls all work.
"""

from __future__ import annotations

from typing import Any, Protocol

from distlab.oncrpc.program import ProgramVersion

__all__ = ["AsyncCaller", "Caller"]


class Caller(Protocol):
    """A synchronous client: ``call`` encodes the arguments, makes the call and returns the result."""

    def call(self, program: ProgramVersion, procedure: int, *args: Any) -> Any:
        """The result of ``procedure`` of ``program`` called with ``args``."""
        ...


class AsyncCaller(Protocol):
    """An asyncio client: ``acall`` is :meth:`Caller.call` as a coroutine."""

    async def acall(self, program: ProgramVersion, procedure: int, *args: Any) -> Any:
        """The result of ``procedure`` of ``program`` called with ``args``."""
        ...
