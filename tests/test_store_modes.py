"""Files distlab writes follow the umask (issue 15), as any other tool's: 0644 under 022, 0600 under 077,
0664 under 002 (a sweep directory shared by a group on a cluster)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from distlab import store


@pytest.fixture(params=[0o022, 0o077, 0o002], ids=["022", "077", "002"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_writes_follow_the_umask(tmp_path: Path, umask: int) -> None:
    store.write_bytes(tmp_path / "a.bin", b"x")
    store.write_json(tmp_path / "b.json", {"a": 1})
    assert _mode(tmp_path / "a.bin") == _mode(tmp_path / "b.json") == 0o666 & ~umask
    store.write_bytes(tmp_path / "a.bin", b"y")  # replacing keeps to the umask too
    assert _mode(tmp_path / "a.bin") == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_a_sweep_and_its_report_follow_the_umask(tmp_path: Path, umask: int) -> None:
    from testkit import toy_sweep

    from distlab.report import make_report

    root = toy_sweep(tmp_path / "sweep", repeats=2)
    store.plan_sweep(root, ["a1"])
    written = make_report(root, tmp_path / "report")
    files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()] + [p for p in written if p.is_file()]
    assert any(p.name == store.RESULTS for p in files) and any(p.name == "plan.json" for p in files)
    wrong = {str(p): oct(_mode(p)) for p in files if _mode(p) != 0o666 & ~umask}
    assert not wrong
    dirs = [p for p in root.rglob("*") if p.is_dir() and not p.is_symlink()]
    assert all(_mode(d) == 0o777 & ~umask for d in dirs)


def test_a_compiled_idl_module_follows_the_umask(tmp_path: Path, umask: int) -> None:
    """``distlab idl compile`` writes a module other users import: not mkstemp's 0600."""
    from distlab.oncrpc.idl.cli import compile_file

    source = tmp_path / "ping.x"
    source.write_text("program PING_PROG {\n  version PING_VERS {\n    void PINGPROC_NULL(void) = 0;\n  } = 1;\n} = 0x20000099;\n")
    target = Path(compile_file(str(source), str(tmp_path / "out")))
    assert target.is_file() and _mode(target) == 0o666 & ~umask


def test_the_sweep_lock_follows_the_umask(tmp_path: Path, umask: int) -> None:
    """Another member of the group must be able to take the lock of a group-shared sweep directory."""
    from distlab.store.lock import STATE_DIR, sweep_lock, try_lock

    with sweep_lock(tmp_path):
        pass
    lock = tmp_path / STATE_DIR / "lock"
    assert _mode(lock) == 0o666 & ~umask
    assert _mode(lock.parent) == 0o777 & ~umask
    other = tmp_path / "other.lock"
    fd = try_lock(other)
    assert fd is not None
    os.close(fd)
    assert _mode(other) == 0o666 & ~umask
