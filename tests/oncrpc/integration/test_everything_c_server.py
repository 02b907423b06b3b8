"""distlab's clients, through the stubs generated from everything.x, against a C server generated from it by
rpcgen (libtirpc): every procedure of both versions and every error reply, sync and async, over TCP and UDP."""

from __future__ import annotations

import asyncio
import dataclasses
import types
from typing import Any

import pytest
from integration_helpers import plain

from distlab.oncrpc import (
    AsyncClient,
    AuthError,
    AuthSys,
    Client,
    GarbageArgsError,
    Procedure,
    ProcUnavailError,
    ProgMismatchError,
    ProgramVersion,
    ProgUnavailError,
    SystemErrError,
)
from distlab.rpc.types import INT32, VOID

TRANSPORTS = ["tcp", "udp"]


def _port(ports: tuple[int, int], transport: str) -> int:
    return ports[0] if transport == "tcp" else ports[1]


def failing(ev: types.ModuleType) -> list[tuple[ProgramVersion, int, tuple[Any, ...], type[Exception]]]:
    """Calls a server must refuse, as (program version, procedure, arguments, the error distlab raises)."""
    v1: ProgramVersion = ev.EVERYTHING_V1_PROGRAM
    return [
        (dataclasses.replace(v1, program=ev.EVERYTHING_PROG + 1), 0, (), ProgUnavailError),
        (dataclasses.replace(v1, version=9), 0, (), ProgMismatchError),
        (dataclasses.replace(v1, procedures={99: Procedure("NOPE", 99, (), VOID)}), 99, (), ProcUnavailError),
        # A name_t of length 1000 (over MAX_NAME_LEN): what libtirpc's xdr_string refuses.
        (dataclasses.replace(v1, procedures={ev.FIND: Procedure("FIND", ev.FIND, (INT32,), VOID)}), ev.FIND, (1000,),
         GarbageArgsError),
        (v1, ev.MAKE_SHAPE, (ev.POLYGON, 100.0), SystemErrError),  # the C procedure calls svcerr_systemerr
    ]


def check_error(err: Exception, expected: type[Exception]) -> None:
    assert isinstance(err, expected), repr(err)
    if isinstance(err, ProgMismatchError):
        assert (err.low, err.high) == (1, 2)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sync_client(ev: types.ModuleType, impl: types.ModuleType, everything_c_server: tuple[int, int], transport: str) -> None:
    with Client("127.0.0.1", _port(everything_c_server, transport), transport=transport) as client:  # type: ignore[arg-type]
        for stub, calls in ((ev.EverythingV1Client(client), impl.calls_v1()), (ev.EverythingV2Client(client), impl.calls_v2())):
            for method, args, expected in calls:
                assert plain(getattr(stub, method)(*args)) == plain(expected), (method, args)
        for program, proc, args, error in failing(ev):
            with pytest.raises(error) as raised:
                client.call(program, proc, *args)
            check_error(raised.value, error)
    with Client("127.0.0.1", _port(everything_c_server, transport), transport=transport,  # type: ignore[arg-type]
                cred=AuthSys(uid=1000, machinename="lab").to_opaque()) as client:
        ev.EverythingV2Client(client).ping()
    with Client("127.0.0.1", _port(everything_c_server, transport), transport=transport,  # type: ignore[arg-type]
                cred=AuthSys(uid=impl.DENIED_UID, machinename="lab").to_opaque()) as client:
        with pytest.raises(AuthError) as denied:
            ev.EverythingV2Client(client).ping()
        assert denied.value.reason == impl.AUTH_TOOWEAK


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_async_client_all_calls_in_flight_at_once(ev: types.ModuleType, impl: types.ModuleType, everything_c_server: tuple[int, int],
                                                   transport: str) -> None:
    async def main() -> None:
        client = await AsyncClient.connect("127.0.0.1", _port(everything_c_server, transport),
                                           transport=transport)  # type: ignore[arg-type]
        async with client:
            v1, v2 = ev.EverythingV1AsyncClient(client), ev.EverythingV2AsyncClient(client)
            calls = [(v1, *c) for c in impl.calls_v1()] + [(v2, *c) for c in impl.calls_v2()]
            results = await asyncio.gather(*(getattr(stub, m)(*args) for stub, m, args, _ in calls))
            for (_, method, args, expected), got in zip(calls, results):
                assert plain(got) == plain(expected), (method, args)
            refusals = failing(ev)
            errors = await asyncio.gather(*(client.acall(p, n, *a) for p, n, a, _ in refusals), return_exceptions=True)
            for (_, _, _, error), err in zip(refusals, errors):
                check_error(err, error)
        denied = await AsyncClient.connect("127.0.0.1", _port(everything_c_server, transport),
                                           transport=transport,  # type: ignore[arg-type]
                                           cred=AuthSys(uid=impl.DENIED_UID, machinename="lab").to_opaque())
        async with denied:
            with pytest.raises(AuthError) as raised:
                await ev.EverythingV2AsyncClient(denied).ping()
            assert raised.value.reason == impl.AUTH_TOOWEAK

    asyncio.run(main())
