"""Byte for byte: distlab's XDR bytes of a value equal those of rpcgen's XDR routines.

For every type of everything.x and of system .x files that compile in C, the test generates a C
program (rpcgen -N -c for the XDR routines, and a main that fills one value of each type with a
deterministic pattern and prints its xdrmem bytes) and builds the same value in Python from the
same walk of the wire type, then compares the hex. Skipped only without rpcgen, gcc or libtirpc's
headers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from distlab.oncrpc.idl.compiler import read_interface, read_spec
from distlab.oncrpc.idl.model import Spec, TypeDef, UnionBody
from distlab.rpc.types import (
    Array, Bool, Enum, FixedArray, FixedOpaque, Float, Int, Opaque, Optional, Ref, String, Struct,
    TypeVisitor, Union, Void, WireType,
)
from distlab_serializers.xdr import Xdr

FIXTURES = Path(__file__).parents[2] / "fixtures" / "oncrpc"
TIRPC = "/usr/include/tirpc"
SYSTEM_IN_C = [f"/usr/include/rpcsvc/{n}.x" for n in
               ("rstat", "mount", "rquota", "sm_inter", "spray", "nfs_prot", "yp", "yppasswd", "rex", "rusers")]
"""System files whose every type this test can fill in C (others use char fields or C-only types)."""

NARROW = {"us"}
"""Fields of everything.x declared short or char: 4 bytes on the wire, fewer bits in C."""

pytestmark = pytest.mark.skipif(
    not (shutil.which("rpcgen") and shutil.which("gcc") and os.path.isdir(TIRPC)),
    reason="needs rpcgen, gcc and libtirpc-dev (apt-get install rpcsvc-proto gcc libtirpc-dev)",
)


def _discriminants(spec: Spec) -> dict[str, str]:
    """The discriminant's declared name of each named union (the wire model keeps no name for it)."""
    return {d.name: d.decl.type.discriminant.name for d in spec.definitions
            if isinstance(d, TypeDef) and isinstance(d.decl.type, UnionBody)}


class _Fill(TypeVisitor[Any]):
    """C statements that fill ``lv`` with a pattern value, and that value in Python."""

    def __init__(self, gen: _Gen, lv: str, decl: str, depth: int) -> None:
        self.g, self.lv, self.decl, self.depth = gen, lv, decl, depth

    def child(self, t: WireType, lv: str, decl: str, depth: int | None = None) -> Any:
        name = self.g.owner.get(id(t), decl)
        return t.accept(_Fill(self.g, lv, name, self.depth if depth is None else depth))

    def visit_int(self, t: Int) -> int:
        n = self.g.next()
        v = (n * 2654435761) % (t.hi - t.lo + 1) + t.lo
        if self.decl in NARROW:
            v %= 2**15  # C's u_short holds 16 bits (rpcgen widens it to a 4-byte unit on the wire)
        self.g.emit(f"{self.lv} = {v}{'LL' if t.signed else 'ULL'};" if t.bits == 64 else f"{self.lv} = {v}{'' if t.signed else 'U'};")
        return v

    def visit_float(self, t: Float) -> float:
        v = self.g.next() + 0.25
        self.g.emit(f"{self.lv} = {v}{'f' if t.bits == 32 else ''};")
        return v

    def visit_bool(self, t: Bool) -> bool:
        v = self.g.next() % 2 == 1
        self.g.emit(f"{self.lv} = {int(v)};")
        return v

    def visit_enum(self, t: Enum) -> int:
        v = t.members[self.g.next() % len(t.members)][1]
        self.g.emit(f"{self.lv} = {v};")
        return v

    def visit_string(self, t: String) -> str:
        v = f"s{self.g.next()}"[: t.bound]
        self.g.emit(f'{self.lv} = (char *)"{v}";')
        return v

    def _bytes(self, k: int) -> bytes:
        n = self.g.next()
        return bytes((n * 31 + i * 7) % 256 for i in range(k))

    def visit_opaque(self, t: Opaque) -> bytes:
        v = self._bytes(min(t.bound, 3))
        self.g.emit(f"{self.lv}.{self.decl}_len = {len(v)}; {self.lv}.{self.decl}_val = malloc(4);")
        self.g.emit("".join(f"{self.lv}.{self.decl}_val[{i}] = (char){b};" for i, b in enumerate(v)))
        return v

    def visit_fixed_opaque(self, t: FixedOpaque) -> bytes:
        v = self._bytes(t.size)
        self.g.emit("".join(f"{self.lv}[{i}] = (char){b};" for i, b in enumerate(v)))
        return v

    def visit_array(self, t: Array) -> list[Any]:
        k = min(t.bound, 2)
        self.g.emit(f"{self.lv}.{self.decl}_len = {k}; {self.lv}.{self.decl}_val = calloc({k}, sizeof(*{self.lv}.{self.decl}_val));")
        return [self.child(t.elem, f"{self.lv}.{self.decl}_val[{i}]", self.decl) for i in range(k)]

    def visit_fixed_array(self, t: FixedArray) -> list[Any]:
        return [self.child(t.elem, f"{self.lv}[{i}]", self.decl) for i in range(t.size)]

    def visit_struct(self, t: Struct) -> dict[str, Any]:
        return {n: self.child(f, f"{self.lv}.{n}", n) for n, f in t.fields}

    def visit_union(self, t: Union) -> tuple[int, Any]:
        options: list[tuple[int, str, WireType]] = list(t.arms)
        if t.default is not None:
            cases = {c for c, _, _ in t.arms}
            spare = [v for _, v in t.discriminant.members] if isinstance(t.discriminant, Enum) else list(range(-5, 100))
            free = [v for v in spare if v not in cases]
            if free:
                options.append((free[0], *t.default))
        case, arm, arm_t = options[self.g.next() % len(options)]
        self.g.emit(f"{self.lv}.{self.g.discs[t.name]} = {case};")
        value = None if isinstance(arm_t, Void) else self.child(arm_t, f"{self.lv}.{t.name}_u.{arm}", arm)
        return case, value

    def visit_optional(self, t: Optional) -> Any:
        if self.depth >= 2:
            self.g.emit(f"{self.lv} = NULL;")
            return None
        self.g.emit(f"{self.lv} = calloc(1, sizeof(*{self.lv}));")
        return self.child(t.elem, f"(*{self.lv})", self.decl, self.depth + 1)

    def visit_ref(self, t: Ref) -> Any:
        return self.child(t.target, self.lv, self.decl)

    def visit_void(self, t: Void) -> None:
        return None


class _Gen:
    def __init__(self, owner: dict[int, str], discs: dict[str, str]) -> None:
        self.owner, self.discs, self.n = owner, discs, 0
        self.lines: list[str] = []

    def next(self) -> int:
        self.n += 1
        return self.n

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)


def _interop(x_file: str, tmp_path: Path) -> None:
    interface = read_interface(x_file)
    spec, _ = read_spec(x_file)
    own = {d.name for d in spec.definitions if isinstance(d, TypeDef)}
    work = tmp_path / "c"
    work.mkdir()
    for f in Path(x_file).parent.glob("*.x"):
        if f.name == Path(x_file).name or Path(x_file).parent == FIXTURES:
            shutil.copy(f, work / f.name)
    stem = Path(x_file).stem
    subprocess.run(["rpcgen", "-N", "-h", "-o", f"{stem}.h", f"{stem}.x"], cwd=work, check=True, capture_output=True)
    subprocess.run(["rpcgen", "-N", "-c", "-o", f"{stem}_xdr.c", f"{stem}.x"], cwd=work, check=True, capture_output=True)
    owner: dict[int, str] = {}
    for n, t in interface.types.items():
        owner.setdefault(id(t), n)
    gen = _Gen(owner, _discriminants(spec))
    expected: dict[str, bytes] = {}
    xdr = Xdr()
    for name, t in interface.types.items():
        if name not in own or owner[id(t)] != name:
            continue
        gen.lines.append(f"  {{ {name} v; memset(&v, 0, sizeof v);")
        value = t.accept(_Fill(gen, "v", name, 0))
        gen.lines.append(f'    emit("{name}", (xdrproc_t)xdr_{name}, &v); }}')
        expected[name] = xdr.encode(value, t)
    main = "\n".join([
        '#include <stdio.h>', '#include <stdlib.h>', '#include <string.h>', f'#include "{stem}.h"',
        "static void emit(const char *name, xdrproc_t proc, void *obj) {",
        "  static char buf[1 << 16]; XDR x; xdrmem_create(&x, buf, sizeof buf, XDR_ENCODE);",
        '  if (!proc(&x, obj)) { printf("%s FAIL\\n", name); return; }',
        '  printf("%s ", name); for (u_int i = 0; i < xdr_getpos(&x); i++) printf("%02x", (unsigned char)buf[i]);',
        '  printf("\\n"); }',
        "int main(void) {", *gen.lines, "  return 0; }",
    ])
    (work / "main.c").write_text(main)
    subprocess.run(["gcc", "-w", f"-I{TIRPC}", "-o", "main", "main.c", f"{stem}_xdr.c", "-ltirpc"],
                   cwd=work, check=True, capture_output=True)
    out = subprocess.run(["./main"], cwd=work, check=True, capture_output=True, text=True).stdout
    got = dict(line.split(" ", 1) for line in out.strip().split("\n"))
    assert set(got) == set(expected)
    for name, data in expected.items():
        assert got[name] == data.hex(), f"{name}: C wrote {got[name]}, distlab {data.hex()}"


def test_everything_bytes_equal_rpcgens(tmp_path: Path) -> None:
    _interop(str(FIXTURES / "everything.x"), tmp_path)


@pytest.mark.parametrize("x_file", SYSTEM_IN_C, ids=lambda p: Path(p).name)
def test_system_file_bytes_equal_rpcgens(x_file: str, tmp_path: Path) -> None:
    if not os.path.exists(x_file):
        pytest.skip(f"{x_file} is not installed")
    _interop(x_file, tmp_path)
