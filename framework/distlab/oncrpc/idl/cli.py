"""``distlab idl compile FILE.x -o DIR``: write the Python module of a ``.x`` file.

The oncrpc study declares this verb (``Study.commands = {"idl": "distlab.oncrpc.idl.cli:main"}``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from distlab.oncrpc.idl.codegen import generate
from distlab.oncrpc.idl.compiler import read_interface
from distlab.oncrpc.idl.errors import IdlError
from distlab.oncrpc.idl.loader import module_name
from distlab.store.files import write_bytes

__all__ = ["compile_file", "main"]


def compile_file(path: str, out_dir: str, include_dirs: list[str] | None = None) -> str:
    """Compile the ``.x`` file at ``path`` into ``out_dir/<stem>.py`` (written atomically).

    Returns:
        The path of the module written.

    Raises:
        IdlError: the file cannot be compiled (file, line, column and what was expected).
    """
    source = generate(read_interface(path, include_dirs or ()), os.path.basename(path))
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, module_name(path) + ".py")
    # The store's atomic write: a module other users can import follows the umask (mkstemp's would be 0600).
    write_bytes(Path(target), source.encode("utf-8"))
    return target


def main(args: list[str]) -> int:
    """Run ``distlab idl ARGS``; returns the exit status (2 for a ``.x`` file that does not compile)."""
    parser = argparse.ArgumentParser(prog="distlab idl", description="The ONC RPC IDL compiler (.x files, RFC 5531).")
    verbs = parser.add_subparsers(dest="verb", required=True)
    comp = verbs.add_parser("compile", help="write the Python module of .x files")
    comp.add_argument("files", nargs="+", metavar="FILE.x")
    comp.add_argument("-o", "--out", default=".", metavar="DIR", help="directory for the modules (default: .)")
    comp.add_argument("-I", dest="include", action="append", default=[], metavar="DIR", help="more #include directories")
    try:
        ns = parser.parse_args(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    status = 0
    for path in ns.files:
        try:
            written = compile_file(path, ns.out, ns.include)
        except IdlError as exc:
            print(f"distlab idl: {exc}", file=sys.stderr)
            status = 2
            continue
        print(written)
    return status
