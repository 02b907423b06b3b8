"""Fixtures of the integration tests: modules written by ``distlab idl compile`` and C peers built by rpcgen."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from integration_helpers import EVERYTHING_X, RSTAT_X, build, running  # noqa: E402

DISTLAB = Path(sys.executable).with_name("distlab")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory where the ``distlab`` command wrote ``rstat.py`` and ``everything.py``, on ``sys.path``."""
    out = tmp_path_factory.mktemp("generated")
    command = [str(DISTLAB)] if DISTLAB.exists() else [sys.executable, "-m", "distlab"]
    done = subprocess.run([*command, "idl", "compile", str(RSTAT_X), str(EVERYTHING_X), "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.glob("*.py")) == ["everything.py", "rstat.py"]
    sys.path.insert(0, str(out))
    return out


@pytest.fixture(scope="session")
def ev(generated: Path) -> types.ModuleType:
    """The generated module of everything.x, imported."""
    return importlib.import_module("everything")


@pytest.fixture(scope="session")
def impl(ev: types.ModuleType) -> types.ModuleType:
    """everything_impl.py (the Python server and the values to call with), which imports the generated module."""
    return importlib.import_module("everything_impl")


@pytest.fixture(scope="session")
def rstat(generated: Path) -> types.ModuleType:
    """The generated module of rstat.x, imported."""
    return importlib.import_module("rstat")


@pytest.fixture(scope="session")
def c_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with everything_server, everything_client and rstat_server built against libtirpc."""
    work = tmp_path_factory.mktemp("c")
    common = [("-h", "everything.h"), ("-c", "everything_xdr.c")]
    build(work, EVERYTHING_X, "everything_server", [*common, ("-m", "everything_svc.c")])
    build(work, EVERYTHING_X, "everything_client", [*common, ("-l", "everything_clnt.c")])
    build(work, RSTAT_X, "rstat_server", [("-h", "rstat.h"), ("-c", "rstat_xdr.c"), ("-m", "rstat_svc.c")])
    return work


@pytest.fixture(scope="module")
def everything_c_server(c_build: Path) -> Iterator[tuple[int, int]]:
    """everything_server (C), running: its (TCP port, UDP port) on 127.0.0.1."""
    with running(c_build / "everything_server") as ports:
        yield ports


@pytest.fixture(scope="module")
def rstat_c_server(c_build: Path) -> Iterator[tuple[int, int]]:
    """rstat_server (C), running: its (TCP port, UDP port) on 127.0.0.1."""
    with running(c_build / "rstat_server") as ports:
        yield ports


@pytest.fixture
def mypy_env() -> dict[str, str]:
    """The environment for ``python -m mypy`` on generated modules: distlab found through its source root."""
    import distlab

    return dict(os.environ, MYPYPATH=str(Path(distlab.__file__).parents[1]))
