"""The front end: a ``.x`` file on disk to its :class:`~distlab.oncrpc.idl.to_wire.Interface`.

Preprocess, parse, then build, with two fallbacks for names a file takes from C rather than
defines, as rpcgen's output does when the C compiler sees it:

- ``%#define NAME VALUE`` with a number or a name as the value (nlm_prot.x's ``LM_MAXSTRLEN``) is a
  constant the file may use; other ``%`` lines are C and ignored.
- ``%#include <dir/name.h>`` or ``"name.h"`` of the header rpcgen makes from a ``name.x`` beside the
  file (nis_callback.x includes ``rpcsvc/nis.h`` for ``nis_object``) brings that file's definitions.

The file's own definitions win over both, and both over the prelude.
"""

from __future__ import annotations

import ast
import operator
import os
import re
from collections.abc import Callable, Mapping, Sequence

from distlab.oncrpc.idl.model import ConstDef, Pos, Spec, Text, Value
from distlab.oncrpc.idl.parser import parse
from distlab.oncrpc.idl.preprocess import Source, preprocess
from distlab.oncrpc.idl.to_wire import Interface, build

__all__ = ["read_interface", "read_spec"]

_DEFINE = re.compile(r"^#\s*define\s+([A-Za-z_]\w*)\s+([^/]+?)\s*(?:/\*.*)?$")
_INCLUDE = re.compile(r'^#\s*include\s+[<"]([^>"]+)\.h[>"]')


def read_spec(path: str, include_dirs: Sequence[str] = ()) -> tuple[Spec, Source]:
    """The parsed file and its preprocessed source.

    Raises:
        IdlError: the file cannot be preprocessed or parsed.
    """
    source = preprocess(path, include_dirs=include_dirs)
    return parse(source, path), source


def read_interface(path: str, include_dirs: Sequence[str] = ()) -> Interface:
    """The wire types, constants and program versions of the ``.x`` file at ``path``.

    Args:
        path: the file.
        include_dirs: more directories for ``#include`` and for the ``.x`` files of ``%#include``.

    Raises:
        IdlError: naming the file, line and column of what cannot be compiled.
    """
    spec, source = read_spec(path, include_dirs)
    return build(spec, _fallbacks(path, source, include_dirs, {os.path.realpath(path)}))


def _fallbacks(path: str, source: Source, include_dirs: Sequence[str], seen: set[str]) -> list[Spec]:
    included: list[Spec] = []
    defines: list[ConstDef] = []
    for text, file, line in source.passthrough:
        d = _DEFINE.match(text.strip())
        if d is not None:
            value = _evaluate(d.group(2), {c.name: c.value for c in defines})
            if value is not None:
                defines.append(ConstDef(d.group(1), value, Pos(file, line, 2)))
            continue
        inc = _INCLUDE.match(text.strip())
        if inc is None:
            continue
        header = inc.group(1)
        dirs = [os.path.dirname(os.path.abspath(file))] + list(include_dirs)
        candidates = [os.path.join(os.path.dirname(os.path.abspath(file)), os.path.basename(header) + ".x")]
        candidates += [os.path.join(d, header + ".x") for d in dirs]
        for candidate in candidates:
            real = os.path.realpath(candidate)
            if os.path.isfile(candidate) and real not in seen:
                seen.add(real)
                spec, inner = read_spec(candidate, include_dirs)
                # Its own fallbacks come first, so that its definitions win over theirs.
                included += _fallbacks(candidate, inner, include_dirs, seen) + [spec]
                break
    return [*included, Spec(path, tuple(defines))] if defines else included


_OPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_, ast.BitXor: operator.xor,
}


def _evaluate(text: str, known: Mapping[str, Value | Text]) -> Value | None:
    """A ``%#define``'s value: a name, or an integer expression of numbers and earlier defines
    (nlm_prot.x's ``LM_MAXSTRLEN+1``); ``None`` for anything else (a macro with arguments, C code)."""
    if re.fullmatch(r"[A-Za-z_]\w*", text):
        return text if not isinstance(known.get(text), int) else known[text]  # type: ignore[return-value]
    # C's octal 017 and Python's differ; C's / on integers is Python's //.
    python = re.sub(r"\b0([0-7]+)\b", r"0o\1", text).replace("/", "//")
    try:
        tree = ast.parse(python, mode="eval").body
    except SyntaxError:
        return None

    def value(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name) and isinstance(known.get(node.id), int):
            return known[node.id]  # type: ignore[return-value]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert)):
            return -value(node.operand) if isinstance(node.op, ast.USub) else ~value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(node)

    try:
        return value(tree)
    except (ValueError, ZeroDivisionError):
        return None
