"""Errors in .x files name the file, line and column, and say what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from distlab.errors import ConfigError
from distlab.oncrpc.idl import IdlError, load
from distlab.oncrpc.idl.parser import parse_text
from distlab.oncrpc.idl.to_wire import build


def _load(tmp_path: Path, text: str, name: str = "t.x") -> object:
    path = tmp_path / name
    path.write_text(text)
    return load(str(path))


def _error(tmp_path: Path, text: str) -> IdlError:
    with pytest.raises(IdlError) as info:
        _load(tmp_path, text)
    return info.value


def test_syntax_error_names_line_column_and_expected(tmp_path: Path) -> None:
    e = _error(tmp_path, "struct s {\n    int a\n};\n")
    assert (Path(e.file or "").name, e.line, e.column) == ("t.x", 3, 1)
    assert "expected" in e.reason and "';'" in e.reason
    assert isinstance(e, ConfigError)


def test_quadruple_is_refused_at_its_line(tmp_path: Path) -> None:
    e = _error(tmp_path, "const N = 2;\n\ntypedef quadruple q;\n")
    assert (e.line, e.column) == (3, 9) and "quadruple" in e.reason


def test_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "inc.x").write_text("typedef int a;\ntypedef int b<UNKNOWN_BOUND>;\n")
    e = _error(tmp_path, '#include "inc.x"\nstruct s { a x; };\n')
    assert (Path(e.file or "").name, e.line) == ("inc.x", 2) and "UNKNOWN_BOUND" in e.reason


def test_unknown_type_suggests_the_nearest(tmp_path: Path) -> None:
    e = _error(tmp_path, "struct point { int x; };\nstruct s { pointt p; };\n")
    assert "unknown type 'pointt'" in e.reason and "'point'" in e.reason and e.line == 2


def test_defined_twice(tmp_path: Path) -> None:
    e = _error(tmp_path, "const A = 1;\nconst A = 2;\n")
    assert e.line == 2 and "twice" in e.reason


def test_cycle_of_constants(tmp_path: Path) -> None:
    e = _error(tmp_path, "const A = B;\nconst B = A;\ntypedef int x<A>;\n")
    assert "by itself" in e.reason


def test_case_label_outside_enum_and_duplicate_case(tmp_path: Path) -> None:
    e = _error(tmp_path, "enum c { R = 0 };\nunion u switch (c d) {\ncase 5:\n  int x;\n};\n")
    assert e.line == 2 and "union u" in e.reason


def test_missing_file() -> None:
    with pytest.raises(IdlError, match="no such file"):
        load("/nonexistent/x.x")


def test_rfc_anonymous_types_and_features_without_cpp() -> None:
    spec = parse_text(
        "typedef struct { int a; union switch (bool b) { case TRUE: int v; case FALSE: void; } u; } pair;\n"
        "enum e { A = 010, B = 0x10, C = -3, D };\n"
        "typedef struct pair *pp;\n"
    )
    i = build(spec)
    assert i.constants == {"A": 8, "B": 16, "C": -3, "D": -2}
    pair = i.types["pair"]
    assert [n for n, _ in pair.fields] == ["a", "u"]  # type: ignore[attr-defined]
    assert "pair_u" in i.types
