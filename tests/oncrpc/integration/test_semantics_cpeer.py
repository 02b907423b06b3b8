"""The rpc_semantics study's C peer (rpcgen stubs + libtirpc), native and big-endian s390x under qemu-user,
called by distlab's client: every procedure of semantics.x against the semantics its top comment states."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from distlab.oncrpc import Binder, Client, GarbageArgsError, Server
from distlab.oncrpc.idl import load
from distlab.oncrpc.pmap import getport
from distlab.rpc_semantics.cpeer import IDL, Peer, ToolchainMissing, build, missing, serve


@pytest.fixture(scope="module")
def sem() -> types.ModuleType:
    """semantics.x compiled by distlab's IDL compiler."""
    return load(str(IDL))


@pytest.fixture(scope="module", params=["native", "s390x"])
def peer(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Peer:
    arch: str = request.param
    reason = missing(arch)
    if reason is not None:
        pytest.skip(f"the {arch} C peer cannot be built here: {reason}")
    return build(arch, tmp_path_factory.mktemp(arch) / "peer")


@pytest.fixture(scope="module")
def client(peer: Peer) -> Iterator[Client]:
    with serve(peer) as (tcp, _), Client("127.0.0.1", tcp, timeout_s=30) as c:
        yield c


def _elf(binary: Path) -> tuple[str, int]:
    """(byte order, machine) from the ELF header: EI_DATA at 5, e_machine at 18 in that order."""
    head = binary.read_bytes()[:20]
    order = {1: "little", 2: "big"}[head[5]]
    return order, struct.unpack((">" if order == "big" else "<") + "H", head[18:20])[0]


def test_the_s390x_peer_is_a_big_endian_s390x_executable(peer: Peer) -> None:
    order, machine = _elf(peer.binary)
    if peer.arch == "s390x":
        assert (order, machine) == ("big", 22)  # EM_S390
        assert peer.big_endian
        if shutil.which("file"):
            described = subprocess.run(["file", str(peer.binary)], capture_output=True, text=True).stdout
            assert "MSB" in described and "S/390" in described, described
    else:
        assert order == sys.byteorder


# -- the semantics, written again here from semantics.x's comment, to check the C against ---------

def _append(data: list[bytes], db: list[bytes], touch: list[int]) -> list[bytes]:
    db = list(db)
    for i in touch:
        db[i] = bytes(b ^ 0xFF for b in db[i])
    return db + list(data)


def _delta(before: list[bytes], after: list[bytes], detect: int, sem: types.ModuleType) -> tuple[int, list[tuple[int, bytes]]]:
    if detect == sem.DETECT_PARAMETER:
        chunks = list(enumerate(after)) if before != after else []
    else:
        chunks = [(i, v) for i, v in enumerate(after) if i >= len(before) or before[i] != v]
    return len(after), chunks


def _plain_delta(d: Any) -> tuple[int, list[tuple[int, bytes]]]:
    return d.length, [(c.index, c.value) for c in d.chunks]


DB = [b"alpha", b"", b"\x00\x01\x02", b"delta" * 50]
DATA = [b"new1", b"n" * 1001]


@pytest.mark.parametrize("touch", [[], [0], [2, 0], [1], [0, 0]])
def test_append_in_every_passing_mode(client: Client, sem: types.ModuleType, touch: list[int]) -> None:
    p = sem.SEMANTICS_V1_PROGRAM
    expected = _append(DATA, DB, touch)
    for detect in (sem.DETECT_PARAMETER, sem.DETECT_CHUNK):
        args = sem.SemAppendArgs(data=DATA, db=DB, touch=touch, detect=detect)
        assert client.call(p, "APPEND_VALUE", args) == expected
        assert client.call(p, "APPEND_RESTORE", args) == expected
        assert _plain_delta(client.call(p, "APPEND_DELTA", args)) == _delta(DB, expected, detect, sem)


def test_an_untouched_list_comes_back_without_element_bytes(client: Client, sem: types.ModuleType) -> None:
    p = sem.SEMANTICS_V1_PROGRAM
    args = sem.SemLookupArgs(key=3, put=None, db=DB, detect=sem.DETECT_CHUNK)
    reply = client.call(p, "LOOKUP_DELTA", args)
    assert reply.old == DB[3]
    assert _plain_delta(reply.db) == (len(DB), [])


@pytest.mark.parametrize("put", [None, b"replaced", b"alpha"])
def test_lookup_in_every_passing_mode(client: Client, sem: types.ModuleType, put: bytes | None) -> None:
    p = sem.SEMANTICS_V1_PROGRAM
    after = list(DB)
    if put is not None:
        after[0] = put
    for detect in (sem.DETECT_PARAMETER, sem.DETECT_CHUNK):
        args = sem.SemLookupArgs(key=0, put=put, db=DB, detect=detect)
        assert client.call(p, "LOOKUP_VALUE", args) == DB[0]
        restored = client.call(p, "LOOKUP_RESTORE", args)
        assert (restored.old, restored.db) == (DB[0], after)
        delta = client.call(p, "LOOKUP_DELTA", args)
        assert (delta.old, _plain_delta(delta.db)) == (DB[0], _delta(DB, after, detect, sem))


def test_alias_copy_restore_returns_both_copies(client: Client, sem: types.ModuleType) -> None:
    p = sem.SEMANTICS_V1_PROGRAM
    args = sem.SemAliasArgs(a=DB, b=DB, mark_a=b"A", mark_b=b"B", detect=sem.DETECT_CHUNK)
    assert client.call(p, "ALIAS_VALUE", args) is None
    restored = client.call(p, "ALIAS_RESTORE", args)
    # Each copy got only its own mark: restoring a then b leaves [..., B], not [..., A, B].
    assert (restored.a, restored.b) == (DB + [b"A"], DB + [b"B"])
    delta = client.call(p, "ALIAS_DELTA", args)
    assert _plain_delta(delta.a) == (len(DB) + 1, [(len(DB), b"A")])
    assert _plain_delta(delta.b) == (len(DB) + 1, [(len(DB), b"B")])


def test_an_index_out_of_range_is_garbage_args(client: Client, sem: types.ModuleType) -> None:
    p = sem.SEMANTICS_V1_PROGRAM
    with pytest.raises(GarbageArgsError):
        client.call(p, "APPEND_VALUE", sem.SemAppendArgs(data=[], db=DB, touch=[len(DB)], detect=sem.DETECT_CHUNK))
    with pytest.raises(GarbageArgsError):
        client.call(p, "LOOKUP_VALUE", sem.SemLookupArgs(key=99, put=None, db=DB, detect=sem.DETECT_CHUNK))
    assert client.call(p, "APPEND_VALUE", sem.SemAppendArgs(data=[b"x"], db=[], touch=[], detect=1)) == [b"x"]


def test_global_references_through_a_shared_directory(client: Client, sem: types.ModuleType, tmp_path: Path) -> None:
    p = sem.SEMANTICS_V1_PROGRAM

    def write(folder: Path, items: list[bytes]) -> tuple[int, str]:
        folder.mkdir()
        for i, v in enumerate(items):
            (folder / f"{i:08d}").write_bytes(v)
        return sem.REF_DIRECTORY, str(folder)

    def read(folder: Path) -> list[bytes]:
        return [f.read_bytes() for f in sorted(folder.iterdir())]

    db = write(tmp_path / "db", DB)
    assert client.call(p, "APPEND_REF", sem.SemAppendRefArgs(data=DATA, db=db, touch=[2, 0])) is None
    assert read(tmp_path / "db") == _append(DATA, DB, [2, 0])
    assert client.call(p, "LOOKUP_REF", sem.SemLookupRefArgs(key=1, put=b"put", db=db)) == DB[1]
    assert read(tmp_path / "db")[1] == b"put"
    # The same object twice: a true reference sees both marks.
    one = write(tmp_path / "one", [b"x"])
    client.call(p, "ALIAS_REF", sem.SemAliasRefArgs(a=one, b=one, mark_a=b"A", mark_b=b"B"))
    assert read(tmp_path / "one") == [b"x", b"A", b"B"]


def test_global_references_through_callbacks_to_the_owner(client: Client, sem: types.ModuleType) -> None:
    lists: dict[int, list[bytes]] = {7: list(DB)}
    calls: list[str] = []

    def read(at: Any) -> bytes:
        calls.append("read")
        return lists[at.id][at.index]

    def write(put: Any) -> None:
        calls.append("write")
        lists[put.id][put.index] = put.value

    def append(put: Any) -> None:
        calls.append("append")
        lists[put.id].append(put.value)

    owner = Server(transports=("tcp",))
    owner.add(sem.SEMANTICS_CB_V1_PROGRAM, {1: lambda i: len(lists[i]), 2: read, 3: write, 4: append})
    with owner.serve_in_thread():
        ref = (sem.REF_CALLBACK, sem.SemCallbackRef(host="127.0.0.1", port=owner.port, id=7))
        p = sem.SEMANTICS_V1_PROGRAM
        assert client.call(p, "APPEND_REF", sem.SemAppendRefArgs(data=DATA, db=ref, touch=[0])) is None
        assert lists[7] == _append(DATA, DB, [0])
        assert calls == ["read", "write", "append", "append"]
        client.call(p, "ALIAS_REF", sem.SemAliasRefArgs(a=ref, b=ref, mark_a=b"A", mark_b=b"B"))
        assert lists[7][-2:] == [b"A", b"B"]


def test_the_peer_registers_with_a_binder_and_answers_over_udp(peer: Peer, sem: types.ModuleType) -> None:
    binder = Binder(port=0)
    p = sem.SEMANTICS_V1_PROGRAM
    with binder.server.serve_in_thread():
        address = ("127.0.0.1", binder.server.port)
        with serve(peer, binder_port=binder.server.port) as (tcp, udp):
            assert getport(address, p.program, p.version, "tcp") == tcp
            assert getport(address, p.program, p.version, "udp") == udp
            with Client("127.0.0.1", udp, transport="udp", timeout_s=30) as c:
                args = sem.SemAppendArgs(data=[b"u"], db=[b"d"], touch=[0], detect=sem.DETECT_CHUNK)
                assert c.call(p, "APPEND_VALUE", args) == [b"\x9b", b"u"]
        # Stopped with SIGTERM: it unregistered itself.
        assert getport(address, p.program, p.version, "tcp") == 0


def test_a_missing_toolchain_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTLAB_S390X_SYSROOT", "/nonexistent-sysroot")
    with pytest.raises(ToolchainMissing, match="sysroot /nonexistent-sysroot.*install:"):
        build("s390x")
    with pytest.raises(ValueError, match="arch must be one of native, s390x"):
        build("sparc")
