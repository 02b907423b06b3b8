"""The IDL compiler on real files: every system .x file, everything.x, the generated module's typing."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

import distlab
from distlab.oncrpc.idl import IdlError, load
from distlab.oncrpc.idl.cli import main
from distlab.rpc.types import UnionValue
from distlab_serializers.xdr import Xdr

FIXTURES = Path(__file__).parents[2] / "fixtures" / "oncrpc"
SYSTEM = sorted(glob.glob("/usr/include/rpcsvc/*.x")) + [
    p for p in ("/usr/include/tirpc/rpc/rpcb_prot.x", "/usr/include/tirpc/rpcsvc/crypt.x") if os.path.exists(p)
]


@pytest.mark.skipif(not SYSTEM, reason="no system .x files (apt-get install rpcsvc-proto libtirpc-dev)")
@pytest.mark.parametrize("x_file", SYSTEM or ["none"], ids=lambda p: Path(p).name)
def test_every_system_file_compiles(x_file: str) -> None:
    module = load(x_file)
    assert module.PROGRAM_VERSIONS or Path(x_file).name == "nis_object.x"  # nis_object.x only has types
    for pv in module.PROGRAM_VERSIONS:
        assert pv.procedures and all(p.number == n for n, p in pv.procedures.items())


def test_system_file_count() -> None:
    if not SYSTEM:
        pytest.skip("no system .x files")
    assert len(SYSTEM) == 19


def test_everything_has_what_it_defines() -> None:
    m = load(str(FIXTURES / "everything.x"))
    assert (m.MAX_NAME_LEN, m.BLOCK_SIZE, m.SMALL_LIST, m.LOWEST) == (32, 16, 8, -(2**31))
    assert (m.CIRCLE, m.SQUARE, m.POLYGON, m.NOTHING, m.DEFAULT_SHAPE) == (0, 1, 7, 16, 1)
    assert m.GREETING == "hello, xdr" and m.LATE_MAX == 12 and m.late.max_len == 12
    assert m.palette.size == 3  # a #define as a bound
    assert [n for n, _ in m.extras.fields] == ["kept"]  # the #ifdef branch
    assert m.more_extras is m.extras
    v1 = m.EVERYTHING_V1_PROGRAM
    assert (v1.program, v1.version) == (0x20000042, 1)
    assert v1.procedure("ADD").args == (m.wire.INT32, m.wire.INT32)
    assert v1.procedure("PING").args == () and m.EVERYTHING_V2_PROGRAM.version == 2
    # recursion: node.next is optional node, through a Ref
    assert m.node.fields[2][1].elem.target is m.node
    x = Xdr()
    n = m.Node(1, "a", m.Node(2, "b", None))
    assert x.decode(x.encode(n, m.node), m.node) == n
    assert x.decode(x.encode(UnionValue(m.SQUARE, m.Point(1.5, 2.5)), m.shape), m.shape) == (1, m.Point(1.5, 2.5))


def test_structs_are_slotted_mutable_dataclasses() -> None:
    # What codegen's docstring promises: fields only, mutable, compared by value, not hashable.
    m = load(str(FIXTURES / "everything.x"))
    p = m.Point(1.5, 2.5)
    assert type(p).__slots__ == ("x", "y") and not hasattr(p, "__dict__")
    p.x = 3.0
    assert p == m.Point(3.0, 2.5) and p != m.Point(1.5, 2.5)
    with pytest.raises(AttributeError):
        p.z = 1.0
    with pytest.raises(TypeError):
        hash(p)
    x = Xdr()
    assert x.decode(x.encode(p, m.point), m.point) == p


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, tuple[object, ...]]] = []

    def call(self, program: object, procedure: int, *args: object) -> object:
        self.calls.append((getattr(program, "version_name"), procedure, args))
        return 5


def test_client_and_server_classes() -> None:
    m = load(str(FIXTURES / "everything.x"))
    rec = _Recorder()
    assert m.EverythingV1Client(rec).add(2, 3) == 5
    assert rec.calls == [("EVERYTHING_V1", 3, (2, 3))]

    class Impl(m.EverythingV2Server):  # type: ignore[name-defined,misc]
        def ping(self) -> None: ...
        def sum(self, arg1: object) -> int: return 1
        def echo_extras(self, arg1: object) -> object: return arg1
        def negate(self, arg1: bool) -> bool: return not arg1
        def next_color(self, arg1: int) -> int: return arg1

    assert sorted(Impl().handlers()) == [1, 2, 3, 4, 5]
    with pytest.raises(TypeError):
        m.EverythingV2Server()  # abstract


def test_compiled_modules_pass_mypy_strict_and_import(tmp_path: Path) -> None:
    files = [str(FIXTURES / "everything.x")] + [p for p in SYSTEM if p.endswith("rstat.x")]
    assert main(["compile", *files, "-o", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.py"))
    assert "everything.py" in written
    env = dict(os.environ, MYPYPATH=str(Path(distlab.__file__).parents[1]))
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", *written],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    done = subprocess.run([sys.executable, "-c", "import everything; print(everything.EVERYTHING_V1_PROGRAM.name)"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.strip() == "EVERYTHING_PROG", done.stderr


def test_cli_reports_errors_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.x"
    bad.write_text("const A = 1;\nstruct s {\n  quadruple q;\n};\n")
    assert main(["compile", str(bad), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:3: quadruple" in err
    with pytest.raises(IdlError):
        load(str(bad))
