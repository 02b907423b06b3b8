"""Helpers of the ONC RPC runtime tests: the calc interface by hand, and C peers built with rpcgen and libtirpc.

``tests/fixtures/oncrpc/calc/calc.x`` is the interface; :data:`CALC_V1` and :data:`CALC_V2` are the
same interface written as :class:`~distlab.oncrpc.program.ProgramVersion` values by hand, so these
tests do not depend on the IDL compiler.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from distlab.oncrpc import Procedure, ProgramVersion
from distlab.rpc.types import INT32, INT64, VOID, Enum, Opaque, Optional, Ref, String, Struct, Union

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "oncrpc"
CALC = FIXTURES / "calc"
TIRPC = Path("/usr/include/tirpc")

OP = Enum("op", (("OP_ADD", 1), ("OP_SUB", 2), ("OP_MUL", 3)))
PAIR = Struct("pair", (("a", INT32), ("b", INT32)))
NAME = String(64)
BLOB = Opaque()
_node = Ref("node")
NODE = Struct("node", (("value", INT32), ("next", Optional(_node))))
_node.bind(NODE)
LIST = Optional(NODE)
OUTCOME = Union("outcome", INT32, ((0, "quotient", INT32),), ("void", VOID))

CALC_PROG = 0x20005151
CALC_V1 = ProgramVersion("CALC_PROG", "CALC_V1", CALC_PROG, 1, {
    1: Procedure("ADD", 1, (INT32, INT32), INT32),
    2: Procedure("APPLY", 2, (OP, PAIR), INT32),
    3: Procedure("GREET", 3, (NAME,), NAME),
    4: Procedure("ECHO", 4, (BLOB,), BLOB),
    5: Procedure("SUM", 5, (LIST,), INT64),
    6: Procedure("RESET", 6, (), VOID),
    7: Procedure("DIVIDE", 7, (INT32, INT32), OUTCOME),
})
CALC_V2 = ProgramVersion("CALC_PROG", "CALC_V2", CALC_PROG, 2, {1: Procedure("NEG", 1, (INT32,), INT32)})


def linked(values: list[int]) -> dict[str, object] | None:
    """A ``list`` value (nested nodes) holding ``values``."""
    node = None
    for v in reversed(values):
        node = {"value": v, "next": node}
    return node


def python_handlers() -> dict[int, object]:
    """calc's version 1 in Python, doing what calc_server.c does."""
    def sum_list(node: dict[str, object] | None) -> int:
        total = 0
        while node is not None:
            total += node["value"]  # type: ignore[operator]
            node = node["next"]  # type: ignore[assignment]
        return total

    return {
        1: lambda a, b: a + b,
        2: lambda o, p: {1: p["a"] + p["b"], 2: p["a"] - p["b"], 3: p["a"] * p["b"]}[o],
        3: lambda n: f"hello, {n}",
        4: lambda b: b,
        5: sum_list,
        6: lambda: None,
        7: lambda a, b: (1, None) if b == 0 else (0, int(a / b)),
    }


def build(workdir: Path, sources: list[str], output: str, rpcgen: list[tuple[str, str]], x_file: Path) -> Path:
    """Compile a C program against libtirpc after generating ``rpcgen`` outputs; skip if the tools are missing."""
    missing = [tool for tool in ("rpcgen", "gcc") if shutil.which(tool) is None]
    if missing or not (TIRPC / "rpc" / "rpc.h").is_file():
        pytest.skip(f"C peers need rpcgen, gcc and libtirpc-dev (apt-get install rpcsvc-proto gcc libtirpc-dev); "
                    f"missing: {', '.join(missing) or '/usr/include/tirpc'}")
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(x_file, workdir / x_file.name)
    for flag, out in rpcgen:
        if not (workdir / out).exists():
            subprocess.run(["rpcgen", "-N", flag, x_file.name, "-o", out], cwd=workdir, check=True, capture_output=True)
    for src in sources:
        if not (workdir / Path(src).name).exists():
            shutil.copy(src, workdir)
    names = [Path(s).name for s in sources] + [out for flag, out in rpcgen if out.endswith(".c")]
    result = subprocess.run(["gcc", "-O2", "-I", str(TIRPC), "-I", str(FIXTURES), "-o", output, *names, "-ltirpc"],
                            cwd=workdir, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"gcc failed building {output}:\n{result.stderr}")
    return workdir / output
