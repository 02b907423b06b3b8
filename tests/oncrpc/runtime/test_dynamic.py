"""The dynamic stub (distlab.oncrpc.dynamic): every supported type round-trips through a real server;
refusals name the type; malformed calls never stop the server."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.oncrpc import AsyncClient, Client, GarbageArgsError, Server
from distlab.oncrpc.codec import default_serializer
from distlab.oncrpc.dynamic import (
    DEFAULT_PROGRAM,
    DYNAMIC_VALUE,
    AsyncDynamicProxy,
    DynamicProxy,
    RemoteError,
    export,
    from_value,
    to_value,
)
from distlab.rpc.errors import EncodeError


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str


@dataclasses.dataclass(frozen=True)
class Box:
    corner: Point
    items: list[Any]


class Secret:
    pass


def _move(p: Point, dx: int) -> Point:
    return dataclasses.replace(p, x=p.x + dx)


async def _later(x: Any) -> Any:
    await asyncio.sleep(0)
    return x


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server()
    srv.add(*export({"echo": lambda x: x, "add": lambda a, b=10: a + b, "move": _move,
                     "boom": lambda: 1 / 0, "later": _later, "secret": lambda: Secret()},
                    classes=[Point, Box]))
    with srv.serve_in_thread():
        yield srv


@pytest.fixture()
def remote(server: Server) -> Iterator[DynamicProxy]:
    with Client(server.host, server.port) as client:
        yield DynamicProxy(client, classes=[Point, Box])


VALUES = [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 0.0, -2.5, 1e308, "", "héllo ∑", b"", b"\x00\xff" * 100,
    [], [1, "a", None, [2.5, b"x"]], (), (1, (2, 3)), {}, {"a": 1, 2: [3], (4, 5): {"n": None}, None: False},
    Point(1, 2.5, "p"), Box(Point(0, 0.0, ""), [Point(1, 1.0, "q"), {"k": (1,)}]),
]


@pytest.mark.parametrize("value", VALUES, ids=[f"{type(v).__name__}-{i}" for i, v in enumerate(VALUES)])
def test_every_supported_type_round_trips_with_its_type(remote: DynamicProxy, value: Any) -> None:
    back = remote.echo(value)
    assert back == value
    assert type(back) is type(value)
    if isinstance(value, (list, tuple)) and value:
        assert [type(v) for v in back] == [type(v) for v in value]


def test_special_floats_keep_their_value(remote: DynamicProxy) -> None:
    assert remote.echo(math.inf) == math.inf
    assert math.isnan(remote.echo(math.nan))


def test_keywords_defaults_and_dataclass_arguments(remote: DynamicProxy) -> None:
    assert remote.add(2, b=3) == 5
    assert remote.add(2) == 12
    assert remote.move(Point(1, 0.5, "a"), 4) == Point(5, 0.5, "a")
    assert sorted(dir(remote)) == ["add", "boom", "echo", "later", "move", "secret"]


def test_remote_failures_come_back_as_remote_errors(remote: DynamicProxy) -> None:
    with pytest.raises(RemoteError, match="ZeroDivisionError") as info:
        remote.boom()
    assert info.value.type_name == "ZeroDivisionError"
    with pytest.raises(RemoteError, match="no function 'nope' is exported; exported: add, boom"):
        remote.nope()
    with pytest.raises(RemoteError, match="TypeError"):
        remote.add(1, 2, 3)
    # A result that cannot travel is refused on the server, naming its type.
    with pytest.raises(RemoteError, match="test_dynamic.Secret cannot travel"):
        remote.secret()


def test_unsupported_arguments_are_refused_before_sending(remote: DynamicProxy) -> None:
    with pytest.raises(EncodeError, match=r"echo\(\) argument 0: a builtins.set cannot travel.*allowed: None, bool"):
        remote.echo({1, 2})
    with pytest.raises(EncodeError, match=r"argument 0\[1\]\.x.*does not fit 64 bits"):
        remote.echo([0, Point(2**64, 0.0, "")])
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(EncodeError, match="contains itself"):
        remote.echo(looped)


def test_a_dataclass_unknown_to_the_receiver_is_refused_by_name(server: Server) -> None:
    with Client(server.host, server.port) as client:
        # The server knows Point; this client does not, so the result cannot be rebuilt here.
        bare = DynamicProxy(client)
        with pytest.raises(TypeError, match=r"dataclass .*Point is not known on this side"):
            bare.echo(Point(1, 1.0, "a"))


def test_async_proxy(server: Server) -> None:
    async def run() -> list[Any]:
        async with await AsyncClient.connect(server.host, server.port) as client:
            remote = AsyncDynamicProxy(client, classes=[Point])
            return [await remote.later([1, Point(1, 2.0, "z")]), await remote.add(1, 2), await remote._names()]

    later, added, names = asyncio.run(run())
    assert later == [1, Point(1, 2.0, "z")]
    assert added == 3
    assert "later" in names


def _xdr_string(s: str) -> bytes:
    raw = s.encode()
    return struct.pack(">I", len(raw)) + raw + bytes(-len(raw) % 4)


def test_malformed_calls_never_stop_the_server(server: Server, remote: DynamicProxy) -> None:
    program = export({})[0]
    invoke = program.procedure("INVOKE")
    with Client(server.host, server.port) as client:

        def outcome(body: bytes) -> str:
            reply = client.call_raw(DEFAULT_PROGRAM, 1, 1, body)
            try:
                status, arm = client.codec.results(reply, DEFAULT_PROGRAM, 1, invoke)
            except GarbageArgsError:
                return "garbage"
            return "ok" if status == 0 else arm["type"]

        rng = random.Random(20261130)
        seen = {outcome(rng.randbytes(rng.randrange(0, 80))) for _ in range(300)}
        assert "garbage" in seen
        # A list nested 200,000 deep: refused by the decoder (its nesting cap), not a crash.
        deep = _xdr_string("echo") + struct.pack(">I", 1) + struct.pack(">II", 6, 1) * 200_000 + bytes(8)
        assert outcome(deep) == "garbage"
        # 150 deep decodes, but is deeper than the stub rebuilds: an error reply naming why.
        deep = _xdr_string("echo") + struct.pack(">I", 1) + struct.pack(">II", 6, 1) * 150 + bytes(8)
        assert outcome(deep) == "TypeError"
        # An unknown type tag.
        assert outcome(_xdr_string("echo") + struct.pack(">II", 1, 77) + bytes(4)) == "garbage"
    assert remote.echo([1, {"still": "serving"}]) == [1, {"still": "serving"}]


def test_a_forged_dataclass_is_never_imported(server: Server, remote: DynamicProxy) -> None:
    forged = (9, {"cls": "os.system", "fields": [{"name": "command", "value": (4, "true")}]})
    with Client(server.host, server.port) as client:
        reply = client.call(export({})[0], 1, "echo", [forged], [])
    assert reply[0] == 1 and "os.system is not known" in reply[1]["message"]


_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False),
                  st.text(max_size=8), st.binary(max_size=8))
_values = st.recursive(_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-5, 5)), inner, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(_values)
def test_xdr_round_trip_of_any_nested_value(value: Any) -> None:
    ser = default_serializer()
    back = from_value(ser.decode(ser.encode(to_value(value), DYNAMIC_VALUE), DYNAMIC_VALUE), {})
    assert back == value
    assert repr(back) == repr(value)  # same types all the way down (tuple stays tuple, bool stays bool)
