"""The IDL compiler of ONC RPC: ``.x`` files (RFC 5531 section 12, RFC 4506 section 6) to Python.

Two ways in: :func:`load` gives a ``.x`` file's constants, wire types, program versions, typed
clients and server base classes as a module object; ``distlab idl compile FILE.x -o DIR``
(:func:`compile_file`) writes the same module as readable source that passes ``mypy --strict``.
The stages: :mod:`.preprocess` (the system ``cpp``, as rpcgen), :mod:`.parser` (lark, to
:mod:`.model`), :mod:`.resolve` and :mod:`.to_wire` (names, constants, recursion; the wire types of
:mod:`distlab.rpc.types`), :mod:`.codegen` (Python source).
"""

from __future__ import annotations

from distlab.oncrpc.idl.cli import compile_file
from distlab.oncrpc.idl.compiler import read_interface
from distlab.oncrpc.idl.errors import IdlError
from distlab.oncrpc.idl.loader import load
from distlab.oncrpc.idl.stubs import AsyncCaller, Caller
from distlab.oncrpc.idl.to_wire import Interface

__all__ = ["AsyncCaller", "Caller", "IdlError", "Interface", "compile_file", "load", "read_interface"]
