"""How much code an IDL saves: generated lines per IDL line, over the system's ``.x`` files.

The course's claim is that stubs generated from an interface definition remove boilerplate. For each
``.x`` file, :func:`stub_lines` counts the lines a person wrote (the IDL's non-blank lines that are
not only comment: ``%`` pass-through and ``#`` preprocessor lines count, as somebody wrote them) and
the lines generated from it: the Python module of distlab's IDL compiler (what ``distlab idl
compile`` writes) and, where ``rpcgen`` is installed, rpcgen's C (header, XDR routines, client
stubs and server dispatcher: ``rpcgen -h``, ``-c``, ``-l``, ``-m``). A generated line is a
non-blank line that is not only a comment (Python ``#`` lines; C ``/* ... */`` and ``//``);
docstrings count, as they are generated text a reader wades through. A file the compiler refuses
(or rpcgen fails on) is a row with the reason, never a crash.

Examples:
    The table over the system's files::

        for row in system_table():
            print(row.name, row.idl_lines, row.distlab_lines, row.rpcgen_lines, row.refused)
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import subprocess
import tempfile
import tokenize
from collections.abc import Sequence

from distlab.oncrpc.idl.codegen import generate
from distlab.oncrpc.idl.compiler import read_interface
from distlab.oncrpc.idl.errors import IdlError

__all__ = ["SYSTEM_DIRS", "StubLines", "c_code_lines", "idl_lines", "python_code_lines", "stub_lines",
           "system_files", "system_table"]

SYSTEM_DIRS = ("/usr/include/rpcsvc", "/usr/include/tirpc/rpcsvc")
"""Where the system keeps its ``.x`` files (glibc's and rpcsvc-proto's; libtirpc's)."""

_RPCGEN_FLAGS = ("-h", "-c", "-l", "-m")


@dataclasses.dataclass(frozen=True)
class StubLines:
    """One ``.x`` file's counts.

    Attributes:
        path: the ``.x`` file.
        idl_lines: its non-blank, non-comment lines.
        passthrough_lines: how many of them are ``%`` lines (C copied into rpcgen's output as is;
            rusers.x, for one, writes XDR routines by hand that way).
        distlab_lines: code lines of distlab's generated Python module; ``None`` if refused.
        rpcgen_lines: code lines of rpcgen's C (four outputs); ``None`` if rpcgen is missing or failed.
        refused: why distlab's compiler refused the file, or ``None``.
        rpcgen_error: why rpcgen failed (or that it is not installed), or ``None``.
    """

    path: str
    idl_lines: int
    distlab_lines: int | None
    rpcgen_lines: int | None
    refused: str | None = None
    rpcgen_error: str | None = None
    passthrough_lines: int = 0

    @property
    def name(self) -> str:
        """The file's name."""
        return os.path.basename(self.path)

    @property
    def distlab_per_idl(self) -> float | None:
        """distlab's generated lines per IDL line (``None`` if refused or the IDL has no lines)."""
        return self.distlab_lines / self.idl_lines if self.distlab_lines is not None and self.idl_lines else None

    @property
    def rpcgen_per_idl(self) -> float | None:
        """rpcgen's generated lines per IDL line (``None`` without rpcgen's output)."""
        return self.rpcgen_lines / self.idl_lines if self.rpcgen_lines is not None and self.idl_lines else None


def _strip_c_comments(text: str) -> str:
    """``text`` with C comments replaced by a space (newlines inside them kept); strings respected."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        two = text[i:i + 2]
        if two == "/*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(" " + "\n" * text.count("\n", i, end))
            i = end
        elif two == "//":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text[i] in "\"'":
            quote, j = text[i], i + 1
            while j < n and text[j] != quote and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def idl_lines(text: str) -> int:
    """The non-blank lines of a ``.x`` text that hold more than comments.

    Examples:
        >>> idl_lines("/* a\\n * comment */\\n\\nconst N = 1; /* why */\\n%#include <x.h>\\n")
        2
    """
    return sum(1 for line in _strip_c_comments(text).splitlines() if line.strip())


def c_code_lines(text: str) -> int:
    """The non-blank lines of C source that hold more than comments.

    Examples:
        >>> c_code_lines("/* generated */\\n#include <rpc/rpc.h>\\n\\nint x; // why\\n")
        2
    """
    return idl_lines(text)


def python_code_lines(source: str) -> int:
    """The non-blank lines of Python source that hold more than a ``#`` comment (docstrings count).

    Examples:
        >>> python_code_lines("x = 1  # why\\n# alone\\n\\ny = \'\'\'a\\n\\nb\'\'\'\\n")
        3
    """
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                        tokenize.ENDMARKER):
            continue
        lines.update(range(tok.start[0], tok.end[0] + 1))
        if tok.type == tokenize.STRING:
            # A blank line inside a docstring is not a line of code.
            blank = [k for k, part in enumerate(tok.string.split("\n")) if not part.strip()]
            lines.difference_update(tok.start[0] + k for k in blank)
    return len(lines)


def _rpcgen_lines(path: str) -> tuple[int | None, str | None]:
    rpcgen = shutil.which("rpcgen")
    if rpcgen is None:
        return None, "rpcgen is not installed (apt-get install rpcsvc-proto)"
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        # rpcgen names its outputs after its input: work on a copy (the .x files it includes beside it).
        for sibling in os.listdir(os.path.dirname(path) or "."):
            if sibling.endswith(".x"):
                shutil.copy(os.path.join(os.path.dirname(path), sibling), tmp)
        name = os.path.basename(path)
        for flag in _RPCGEN_FLAGS:
            out = os.path.join(tmp, f"out{flag}.c")
            done = subprocess.run([rpcgen, flag, name, "-o", out], cwd=tmp, capture_output=True, text=True)
            if done.returncode != 0:
                message = (done.stderr or done.stdout).strip().splitlines()
                return None, f"rpcgen {flag}: {message[-1] if message else f'exit status {done.returncode}'}"
            with open(out, encoding="utf-8", errors="replace") as f:
                total += c_code_lines(f.read())
    return total, None


def stub_lines(path: str, include_dirs: Sequence[str] = (), *, with_rpcgen: bool = True) -> StubLines:
    """The counts of one ``.x`` file: its IDL lines, distlab's generated lines, rpcgen's.

    Args:
        path: the ``.x`` file.
        include_dirs: more directories for ``#include`` (the file's own directory is searched first).
        with_rpcgen: also run rpcgen (when it is installed).

    Raises:
        OSError: the file cannot be read (a refusal by the compiler is a row, not an error).
    """
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    written = idl_lines(text)
    passthrough = sum(1 for line in _strip_c_comments(text).splitlines() if line.lstrip().startswith("%"))
    distlab: int | None = None
    refused: str | None = None
    try:
        source = generate(read_interface(path, [os.path.dirname(path), *include_dirs]), os.path.basename(path))
        distlab = python_code_lines(source)
    except IdlError as err:
        refused = str(err)
    rpcgen, rpcgen_error = _rpcgen_lines(path) if with_rpcgen else (None, "not run")
    return StubLines(path, written, distlab, rpcgen, refused, rpcgen_error, passthrough)


def system_files(dirs: Sequence[str] = SYSTEM_DIRS) -> list[str]:
    """The ``.x`` files in ``dirs`` (those that exist), sorted by directory then name."""
    found: list[str] = []
    for folder in dirs:
        if os.path.isdir(folder):
            found += sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".x"))
    return found


def system_table(dirs: Sequence[str] = SYSTEM_DIRS, *, with_rpcgen: bool = True) -> list[StubLines]:
    """:func:`stub_lines` of every system ``.x`` file (an empty list if the system has none)."""
    return [stub_lines(path, with_rpcgen=with_rpcgen) for path in system_files(dirs)]
