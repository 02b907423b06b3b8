"""Fixtures of the ONC RPC runtime tests: C peers built once per session, servers stopped after each use."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oncrpc_runtime_helpers import CALC, build  # noqa: E402

GENERATED = [("-h", "calc.h"), ("-c", "calc_xdr.c")]


@pytest.fixture(scope="session")
def calc_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with calc_server and calc_client built by rpcgen and gcc against libtirpc."""
    work = tmp_path_factory.mktemp("calc")
    build(work, [str(CALC / "calc_server.c")], "calc_server", [*GENERATED, ("-m", "calc_svc.c")], CALC / "calc.x")
    build(work, [str(CALC / "calc_client.c")], "calc_client", [*GENERATED, ("-l", "calc_clnt.c")], CALC / "calc.x")
    return work


@pytest.fixture(scope="module")
def c_server(calc_build: Path) -> Iterator[tuple[int, int]]:
    """The rpcgen C server, running: its (TCP port, UDP port) on 127.0.0.1."""
    proc = subprocess.Popen([str(calc_build / "calc_server")], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert len(line) == 2, "calc_server did not print its ports"
        yield int(line[0]), int(line[1])
    finally:
        proc.kill()
        proc.wait()
