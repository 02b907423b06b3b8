"""A C client generated from everything.x by rpcgen (libtirpc) against a distlab server built from the
generated server base classes: every procedure of both versions and every error reply, over TCP and UDP."""

from __future__ import annotations

import subprocess
import types
from pathlib import Path

import pytest

from distlab.oncrpc import Server


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_c_client_calls_distlab_server(impl: types.ModuleType, c_build: Path, transport: str) -> None:
    server = Server(authenticate=impl.authenticate)
    for version in (impl.EverythingV1(), impl.EverythingV2()):
        server.add(version.program, version.handlers())
    with server.serve_in_thread():
        run = subprocess.run([str(c_build / "everything_client"), transport, str(server.port)],
                             capture_output=True, text=True, timeout=60)
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(lines) == 33 and all(line.startswith("ok ") for line in lines), run.stdout
