"""The C preprocessor pass that rpcgen makes before it parses a ``.x`` file.

rpcgen runs the system's ``cpp`` with ``-C`` and defines ``RPC_HDR``, ``RPC_XDR``, ``RPC_SVC`` or
``RPC_CLNT`` by the output it writes; the system ``.x`` files guard only ``%`` pass-through lines
with them. We run the same program, so ``#include``, ``#define``, ``#if`` and ``#ifdef`` mean
exactly what they mean to rpcgen, and define ``RPC_HDR`` and ``RPC_XDR``: what we make of a file is
both its header (constants and types) and its XDR routines, and the ``%#define`` and ``%#include``
lines that :mod:`distlab.oncrpc.idl.compiler` reads are in the header's part. Why ``cpp`` and not a pure-Python preprocessor: it is the preprocessor rpcgen itself
uses (gcc's ``cpp`` is on every machine that has rpcgen and on CI), and the pure-Python one on PyPI
(pcpp) has not had a release since 2021. Two flags differ from rpcgen's, on purpose:
``-traditional-cpp`` keeps each line's text where it was (ISO mode squeezes the spaces between
tokens), so an error's column is the column in the file; and ``-C`` keeps comments, which the
grammar skips, for the same reason.

The output's line markers (``# 12 "file.x"``) tell, for each line, the file and line it came from,
so an error in an included file names that file. Lines starting with ``%`` (C code rpcgen copies
into its output) and any other ``#`` line left by cpp (``#pragma``, ``#ident``) are blanked.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from collections.abc import Sequence

from distlab.oncrpc.idl.errors import IdlError

__all__ = ["Source", "preprocess"]

_MARKER = re.compile(r'^#\s*(?:line\s+)?(\d+)\s+"((?:[^"\\]|\\.)*)"')


@dataclasses.dataclass(frozen=True)
class Source:
    """A preprocessed ``.x`` file: text for the parser, and where each of its lines came from.

    Attributes:
        text: the text, line for line as ``cpp`` wrote it, with ``%`` and ``#`` lines blanked.
        origins: for line ``i`` (0-based) of ``text``, the file and 1-based line it came from.
        passthrough: the ``%`` lines (without the ``%``), each with its file and line.
    """

    text: str
    origins: tuple[tuple[str, int], ...]
    passthrough: tuple[tuple[str, str, int], ...] = ()

    def where(self, line: int) -> tuple[str, int]:
        """The file and line of the text's 1-based ``line``."""
        if 1 <= line <= len(self.origins):
            return self.origins[line - 1]
        return self.origins[-1] if self.origins else ("?", line)


def preprocess(path: str, defines: Sequence[str] = ("RPC_HDR", "RPC_XDR"), include_dirs: Sequence[str] = ()) -> Source:
    """Run the C preprocessor over the ``.x`` file at ``path``, as rpcgen does.

    Args:
        path: the ``.x`` file.
        defines: macros to define (``NAME`` or ``NAME=VALUE``).
        include_dirs: more directories for ``#include`` (a file's own directory is searched first).

    Returns:
        The text and where each line came from.

    Raises:
        IdlError: the file cannot be read, ``cpp`` is missing, or ``cpp`` refused the file (its
            message names the line).
    """
    if not os.path.isfile(path):
        raise IdlError("no such file (a .x interface definition was expected)", path)
    cpp = shutil.which("cpp")
    if cpp is None:
        raise IdlError(
            "the C preprocessor 'cpp' is not installed; rpcgen needs it too "
            "(Debian/Ubuntu: apt-get install cpp, or gcc)",
            path,
        )
    args = [cpp, "-C", "-traditional-cpp", "-ffreestanding", *(f"-D{d}" for d in defines)]
    args += [f"-I{d}" for d in include_dirs]
    try:
        done = subprocess.run([*args, path], capture_output=True, text=True, errors="replace", check=False)
    except OSError as exc:
        raise IdlError(f"cannot run the C preprocessor: {exc}", path) from exc
    if done.returncode != 0:
        raise IdlError("the C preprocessor refused the file:\n" + done.stderr.strip(), path)
    return split_lines(done.stdout, path)


def split_lines(output: str, path: str) -> Source:
    """The parser's text and line origins of ``cpp``'s ``output`` for the file ``path``."""
    lines: list[str] = []
    origins: list[tuple[str, int]] = []
    passthrough: list[tuple[str, str, int]] = []
    file, line = path, 1
    for raw in output.split("\n"):
        stripped = raw.lstrip()
        marker = _MARKER.match(stripped) if stripped.startswith("#") else None
        if marker is not None:
            # The marker names the line that follows it.
            file, line = marker.group(2).encode().decode("unicode_escape"), int(marker.group(1))
            lines.append("")
            origins.append((file, line))
            continue
        if stripped.startswith("%"):
            passthrough.append((stripped[1:], file, line))
        lines.append("" if stripped.startswith(("%", "#")) else raw)
        origins.append((file, line))
        line += 1
    return Source("\n".join(lines), tuple(origins), tuple(passthrough))
