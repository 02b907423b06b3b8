"""Fixtures: the study's server in a thread of the test process, and a way to call it as a passing mode does."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from distlab.oncrpc.server import Server
from distlab.rpc_semantics import Call, Remote, interface
from distlab.rpc_semantics.metered import MeteredClient
from distlab.rpc_semantics.refs import RefTable
from distlab.rpc_semantics.service import RefAccess, SemanticsService
from distlab_rpc_semantics.stubs import Dynamic, Generated

STUBS = {"generated": Generated(), "dynamic": Dynamic()}


class Endpoint:
    """A server in a thread, its client, and the caller's callback server."""

    def __init__(self, client: MeteredClient, proxy: Any, refs: RefTable, access: RefAccess) -> None:
        self.client, self.proxy, self.refs, self.access = client, proxy, refs, access

    def remote(self) -> Remote:
        return Remote(self.proxy, interface(), self.refs)

    def invoke(self, passing: Any, call: Call) -> Any:
        return passing.invoke(call, self.remote())


@contextlib.contextmanager
def serve(stub: Any) -> Iterator[Endpoint]:
    """A server exporting with ``stub`` in a thread, and a client of it through the same stub."""
    access = RefAccess()
    server = Server(transports=("tcp",))
    stub.serve(server, SemanticsService(access))
    refs = RefTable()
    with server.serve_in_thread(), refs.serve():
        client = MeteredClient("127.0.0.1", server.port)
        try:
            yield Endpoint(client, stub.client(client), refs, access)
        finally:
            client.close()
            access.close()


@pytest.fixture(scope="module", params=sorted(STUBS))
def endpoint(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    """A server (the given stub's export) and a client of it (the same stub's proxy)."""
    with serve(STUBS[request.param]) as ep:
        yield ep


@pytest.fixture
def generated_endpoint() -> Iterator[Endpoint]:
    """The generated stub only (tests that read its bytes on the wire)."""
    with serve(Generated()) as ep:
        yield ep


MakeList = Callable[[int], list[bytes]]


@pytest.fixture
def make_list() -> MakeList:
    """``make_list(n)``: n distinct 8-byte elements."""
    return lambda n: [i.to_bytes(8, "big") for i in range(n)]
