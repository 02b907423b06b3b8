"""The study's interface, ``semantics.x``, compiled by distlab's IDL compiler when first needed.

:func:`interface` returns the module ``distlab idl compile semantics.x`` would write (constants, value
classes such as ``SemAppendArgs``, the program versions, ``SemanticsV1Client`` and friends), made once
per process. The ``.x`` file ships as package data beside this module.
"""

from __future__ import annotations

import functools
import os
import sys
import types

__all__ = ["IDL_PATH", "MODULE_NAME", "interface"]

MODULE_NAME = "distlab.rpc_semantics.semantics_x"
"""The name the compiled interface is known by, the same in every process."""

IDL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "semantics.x")
"""The study's ``.x`` file (its top comment gives the semantics of every procedure)."""


@functools.cache
def interface() -> types.ModuleType:
    """The compiled interface (compiled once per process: the preprocessor and parser take a while)."""
    from distlab.oncrpc.idl import load

    module = load(IDL_PATH)
    # load() names the module after a per-process counter; a class named on the wire (the dynamic
    # stub sends "module.Class") or in a pickle must resolve to the same name in the server's process.
    private = module.__name__
    for value in vars(module).values():
        if isinstance(value, type) and value.__module__ == private:
            value.__module__ = MODULE_NAME
    module.__name__ = MODULE_NAME
    sys.modules[MODULE_NAME] = module
    return module
