"""``distlab binder`` against libtirpc's own binder clients, and distlab's servers and clients binding through it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from oncrpc_runtime_helpers import CALC, CALC_V1, CALC_V2, build, python_handlers

from distlab.oncrpc import Binder, Client, Server, bind, getaddr, getport
from distlab.oncrpc.pmap import dump


@pytest.fixture(scope="module")
def binder_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("binder")
    return build(work, [str(CALC / "binder_client.c")], "binder_client", [], CALC / "calc.x")


@pytest.fixture
def binder() -> Iterator[tuple[str, int]]:
    daemon = Binder(port=0)
    with daemon.server.serve_in_thread():
        yield "127.0.0.1", daemon.server.port


def _served(binder: tuple[str, int]) -> Server:
    server = Server(binder=binder)
    server.add(CALC_V1, python_handlers())  # type: ignore[arg-type]
    server.add(CALC_V2, {1: lambda a: -a})
    return server


def test_server_registers_on_start_and_unregisters_on_stop(binder: tuple[str, int]) -> None:
    server = _served(binder)
    with server.serve_in_thread():
        assert getport(binder, CALC_V1.program, 1, "tcp") == server.port
        assert getport(binder, CALC_V1.program, 2, "udp") == server.port
        assert getaddr(binder, CALC_V1.program, 2, "tcp") == f"127.0.0.1.{server.port >> 8}.{server.port & 255}"
        for transport in ("tcp", "udp"):
            with bind(CALC_V1, binder=binder, transport=transport) as client:  # type: ignore[arg-type]
                assert client.call(CALC_V1, "ADD", 20, 22) == 42
        netids = {(r["r_vers"], r["r_netid"]) for r in dump(binder) if r["r_prog"] == CALC_V1.program}
        assert netids == {(1, "tcp"), (1, "udp"), (2, "tcp"), (2, "udp")}
    assert getport(binder, CALC_V1.program, 1, "tcp") == 0
    assert not [r for r in dump(binder) if r["r_prog"] == CALC_V1.program]
    with pytest.raises(LookupError, match="knows no CALC_PROG version 1"):
        bind(CALC_V1, binder=binder)


def test_libtirpc_portmapper_and_rpcbind_clients_at_a_port(binder: tuple[str, int], binder_client: Path) -> None:
    server = _served(binder)
    with server.serve_in_thread():
        run = subprocess.run([str(binder_client), "at", str(binder[1]), str(CALC_V1.program), "1", str(server.port)],
                             capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("ok ") == 14, run.stdout


def _can_unshare() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare and ip (util-linux, iproute2)"
    probe = subprocess.run(["unshare", "-rn", "ip", "link", "set", "lo", "up"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"cannot make a network namespace here: {probe.stderr.strip()}"


NAMESPACED = textwrap.dedent("""
    import subprocess, sys
    from distlab.oncrpc import Binder, Server
    sys.path.insert(0, sys.argv[2])
    from oncrpc_runtime_helpers import CALC_V1, python_handlers
    binder = Binder(port=111)
    with binder.server.serve_in_thread():
        server = Server(binder=("127.0.0.1", 111))
        server.add(CALC_V1, python_handlers())
        with server.serve_in_thread():
            run = subprocess.run([sys.argv[1], "std", str(CALC_V1.program), "1", str(server.port)], timeout=60)
    sys.exit(run.returncode)
""")


def test_libtirpc_pmap_getport_and_rpcb_getaddr_on_port_111(binder_client: Path) -> None:
    # libtirpc's pmap_getport and rpcb_getaddr always ask port 111; a private network namespace
    # (unshare -rn: no root needed where user namespaces are allowed) gives the binder that port
    # without touching the machine's rpcbind.
    reason = _can_unshare()
    if reason:
        pytest.skip(reason)
    script = f"ip link set lo up && exec {sys.executable} -c '{NAMESPACED}' {binder_client} {Path(__file__).parent}"
    run = subprocess.run(["unshare", "-rn", "sh", "-c", script], capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("ok ") == 4, run.stdout
