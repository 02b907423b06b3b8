"""stub_lines: IDL lines against generated lines, per .x file; refusals are rows, not crashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from distlab.oncrpc.idl import stub_lines as sl
from distlab.oncrpc.idl.stub_lines import c_code_lines, idl_lines, python_code_lines, stub_lines, system_files, system_table

SMALL_X = """\
/* A tiny interface.
 * Three lines of comment above, one blank below. */

const LIMIT = 16;          /* a trailing comment does not hide the code */
struct pair { int a; int b; };
%/* passed through to C */
program P { version V { int ADD(pair) = 1; } = 1; } = 0x20001234;
"""


def test_idl_lines_skip_blanks_and_comments() -> None:
    assert idl_lines(SMALL_X) == 4
    assert idl_lines("") == 0
    assert idl_lines("/* only\n a comment */\n\n   \n") == 0
    assert idl_lines('const S = "/* not a comment */";\n') == 1


def test_code_line_counters() -> None:
    assert c_code_lines("// a\n/* b\n c */\nint x;\n\n  y = 1; /* z */\n") == 2
    assert python_code_lines("# a\n\nx = 1\n'''doc\n\nmore'''\n  # b\n") == 3
    assert python_code_lines("") == 0


def test_a_small_file(tmp_path: Path) -> None:
    x = tmp_path / "small.x"
    x.write_text(SMALL_X)
    row = stub_lines(str(x))
    assert row.refused is None
    assert (row.idl_lines, row.passthrough_lines) == (4, 1)
    assert row.distlab_lines is not None and row.distlab_lines > row.idl_lines
    assert row.distlab_per_idl == row.distlab_lines / 4
    if shutil.which("rpcgen"):
        assert row.rpcgen_error is None
        assert row.rpcgen_lines is not None and row.rpcgen_lines > row.idl_lines
    else:
        assert row.rpcgen_lines is None and "not installed" in (row.rpcgen_error or "")


def test_a_refused_file_is_a_row_with_the_reason(tmp_path: Path) -> None:
    x = tmp_path / "broken.x"
    x.write_text("struct pair { int a; int b; };\nprogram P { version V { int ADD(pair) = ; } = 1; } = 1;\n")
    row = stub_lines(str(x))
    assert row.distlab_lines is None and row.distlab_per_idl is None
    assert row.refused is not None and "broken.x" in row.refused and ":2" in row.refused
    assert row.idl_lines == 2
    if shutil.which("rpcgen"):
        assert row.rpcgen_lines is None and row.rpcgen_error is not None and row.rpcgen_error.startswith("rpcgen -h")


def test_without_rpcgen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x = tmp_path / "small.x"
    x.write_text(SMALL_X)
    real = shutil.which
    monkeypatch.setattr(sl.shutil, "which", lambda name: None if name == "rpcgen" else real(name))
    row = stub_lines(str(x))
    assert row.rpcgen_lines is None and row.rpcgen_error is not None and "not installed" in row.rpcgen_error
    assert row.distlab_lines is not None


def test_the_system_table_has_a_row_per_file() -> None:
    files = system_files()
    if not files:
        pytest.skip("no .x files in /usr/include/rpcsvc or /usr/include/tirpc/rpcsvc (apt-get install libc6-dev rpcsvc-proto)")
    rows = system_table()
    assert [r.path for r in rows] == files
    for row in rows:
        # Either compiled or refused with a reason, never both, never neither.
        assert (row.distlab_lines is None) == (row.refused is not None), row
        assert row.idl_lines > 0
    compiled = [r for r in rows if r.distlab_per_idl is not None]
    assert compiled, "distlab's compiler refused every system file"
    # A stub is more code than its declaration (the claim; most files generate several lines per line).
    assert sorted(r.distlab_per_idl for r in compiled if r.passthrough_lines == 0)[0] > 1  # type: ignore[type-var]
