"""The issue's "done when": ``distlab idl compile /usr/include/rpcsvc/rstat.x -o out/`` writes a module that
imports, type-checks and calls a C rstat-like server built by rpcgen from the same file, directly by
port and through ``distlab binder``; the values decode as the C server set them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from integration_helpers import plain

from distlab.oncrpc import Client, bind, getport
from distlab.oncrpc.pmap import PMAP_V2, PROTOCOLS

CALLER = '''\
"""Code a user writes against the generated module: mypy --strict must accept it."""
from distlab.oncrpc import Client
from rstat import RSTATVERS_TIME_PROGRAM, RstatversTimeClient, Statstime


def boot_seconds(port: int) -> int:
    with Client("127.0.0.1", port) as client:
        stats: Statstime = RstatversTimeClient(client).rstatproc_stats()
        disks: int = RstatversTimeClient(client).rstatproc_havedisk()
    assert RSTATVERS_TIME_PROGRAM.version == 3
    return stats.boottime.tv_sec + stats.curtime.tv_usec + disks
'''

# What rstat_server.c sets, version by version (field names as rstat.x spells them).
TIME = {"cp_time": [100, 101, 102, 103], "dk_xfer": [-200, -201, -202, -203], "v_pgpgin": 301, "v_pgpgout": 302,
        "v_pswpin": 303, "v_pswpout": 304, "v_intr": 4_000_000_000, "if_ipackets": 401, "if_ierrors": -402,
        "if_oerrors": 403, "if_collisions": 404, "v_swtch": 405, "avenrun": [256, 512, -768],
        "boottime": {"tv_sec": 1_700_000_000, "tv_usec": 123456}, "curtime": {"tv_sec": 1_800_000_000, "tv_usec": 654321},
        "if_opackets": 406}
SWTCH = {"cp_time": [10, 11, 12, 13], "dk_xfer": [20, 21, 22, 23], "v_pgpgin": 31, "v_pgpgout": 32, "v_pswpin": 33,
         "v_pswpout": 34, "v_intr": 35, "if_ipackets": 41, "if_ierrors": 42, "if_oerrors": 43, "if_collisions": 44,
         "v_swtch": 45, "avenrun": [3_000_000_000, 1, 2], "boottime": {"tv_sec": 7, "tv_usec": 8}, "if_opackets": 46}
ORIG = {"cp_time": [1, 2, 3, 4], "dk_xfer": [5, 6, 7, 8], "v_pgpgin": 9, "v_pgpgout": 10, "v_pswpin": 11,
        "v_pswpout": 12, "v_intr": 13, "if_ipackets": 14, "if_ierrors": 15, "if_oerrors": 16, "if_collisions": 17,
        "if_opackets": 18}


def check_every_version(rstat: types.ModuleType, client: Client) -> None:
    assert plain(rstat.RstatversTimeClient(client).rstatproc_stats()) == TIME
    assert rstat.RstatversTimeClient(client).rstatproc_havedisk() == 3
    assert plain(rstat.RstatversSwtchClient(client).rstatproc_stats()) == SWTCH
    assert rstat.RstatversSwtchClient(client).rstatproc_havedisk() == 2
    assert plain(rstat.RstatversOrigClient(client).rstatproc_stats()) == ORIG
    assert rstat.RstatversOrigClient(client).rstatproc_havedisk() == 1


def test_generated_module_and_its_caller_pass_mypy_strict(generated: Path, tmp_path: Path,
                                                           mypy_env: dict[str, str]) -> None:
    (generated / "rstat_caller.py").write_text(CALLER)
    impl = Path(__file__).with_name("everything_impl.py")
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path),
                           "rstat.py", "rstat_caller.py", "everything.py", str(impl)],
                          cwd=generated, env=mypy_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_generated_client_calls_c_rstat_server_by_port(rstat: types.ModuleType, rstat_c_server: tuple[int, int],
                                                        transport: str) -> None:
    port = rstat_c_server[0 if transport == "tcp" else 1]
    with Client("127.0.0.1", port, transport=transport) as client:  # type: ignore[arg-type]
        check_every_version(rstat, client)
        client.call(rstat.RSTATVERS_TIME_PROGRAM, 0)  # NULL, answered by rpcgen's dispatch


def _free_port() -> int:
    with socket.socket() as s, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        u.bind(("127.0.0.1", port))  # the binder needs the number free for UDP too
        return port


@pytest.fixture
def binder() -> Iterator[tuple[str, int]]:
    """``distlab binder`` on a free port, as a user starts it; stopped after the test."""
    address = ("127.0.0.1", _free_port())
    command = [str(Path(sys.executable).with_name("distlab")), "binder", "--port", str(address[1])]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                getport(address, 1, 1, timeout_s=0.5)
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"distlab binder did not start: {proc.communicate()[1]}") from None
                time.sleep(0.05)
        yield address
    finally:
        proc.terminate()
        proc.wait(10)


def test_generated_client_finds_c_rstat_server_through_distlab_binder(
        rstat: types.ModuleType, rstat_c_server: tuple[int, int], binder: tuple[str, int]) -> None:
    # The C server registers with no binder (libtirpc's pmap_set only knows port 111), so the test
    # registers its ports with a portmapper SET, as pmap_set would have.
    tcp, udp = rstat_c_server
    with Client(*binder) as pmap:
        for version in (1, 2, 3):
            for transport, port in (("tcp", tcp), ("udp", udp)):
                assert pmap.call(PMAP_V2, 1, {"prog": rstat.RSTATPROG, "vers": version,
                                              "prot": PROTOCOLS[transport], "port": port})
    assert getport(binder, rstat.RSTATPROG, rstat.RSTATVERS_TIME, "udp") == udp
    for transport in ("tcp", "udp"):
        with bind(rstat.RSTATVERS_TIME_PROGRAM, binder=binder, transport=transport) as client:  # type: ignore[arg-type]
            assert client.port == (tcp if transport == "tcp" else udp)
            check_every_version(rstat, client)
