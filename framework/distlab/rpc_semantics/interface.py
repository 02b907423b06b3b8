"""The study's interface, ``semantics.x``, compiled by distlab's IDL compiler when first needed.

:func:`interface` returns the module ``distlab idl compile semantics.x`` would write (constants, value
classes such as ``SemAppendArgs``, the program versions, ``SemanticsV1Client`` and friends), made once
per process. The ``.x`` file ships as package data beside this module.
"""

from __future__ import annotations

import functools
import os
import types

__all__ = ["IDL_PATH", "interface"]

IDL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "semantics.x")
"""The study's ``.x`` file (its top comment gives the semantics of every procedure)."""


@functools.cache
def interface() -> types.ModuleType:
    """The compiled interface (compiled once per process: the preprocessor and parser take a while)."""
    from distlab.oncrpc.idl import load

    return load(IDL_PATH)
