"""The runtime way in: ``load("file.x")`` gives the objects a compiled module would, without files.

It runs the very source that ``distlab idl compile`` writes (:func:`~distlab.oncrpc.idl.codegen.generate`)
in a fresh module object, so the two ways in cannot drift apart.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
import types
from collections.abc import Sequence

from distlab.oncrpc.idl.codegen import generate
from distlab.oncrpc.idl.compiler import read_interface

__all__ = ["load", "module_name"]

_COUNTER = itertools.count(1)


def module_name(path: str) -> str:
    """The Python module name for the ``.x`` file at ``path``: its stem as an identifier.

    Examples:
        >>> module_name("/usr/include/rpcsvc/nis_callback.x"), module_name("my-proto.x")
        ('nis_callback', 'my_proto')
    """
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0]) or "interface"
    return "_" + stem if stem[0].isdigit() else stem


def load(path: str, include_dirs: Sequence[str] = ()) -> types.ModuleType:
    """The module ``distlab idl compile`` would write for the ``.x`` file at ``path``, loaded.

    Args:
        path: the ``.x`` file.
        include_dirs: more directories for ``#include``.

    Returns:
        A module with the constants, wire types, dataclasses, program
        versions, clients and server base classes of the file. It is registered in
        ``sys.modules`` under a private name of its own (``_distlab_idl_<stem>_<n>``), as
        dataclasses and pickle look classes up through their module.

    Raises:
        IdlError: naming the file, line and column of what cannot be compiled.

    Examples:
        >>> rstat = load("/usr/include/rpcsvc/rstat.x")  # doctest: +SKIP
        >>> rstat.RSTATVERS_TIME_PROGRAM.procedure("RSTATPROC_STATS").number  # doctest: +SKIP
        1
    """
    source = generate(read_interface(path, include_dirs), os.path.basename(path))
    name = f"_distlab_idl_{module_name(path)}_{next(_COUNTER)}"
    module = types.ModuleType(name)
    module.__file__ = os.path.abspath(path)
    sys.modules[name] = module
    exec(compile(source, f"<distlab idl: {path}>", "exec"), module.__dict__)  # noqa: S102 - our own generated code
    return module
