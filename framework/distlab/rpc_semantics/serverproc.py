"""The server process of the study: ``python -m distlab.rpc_semantics.serverproc`` (started by :mod:`.process`).

It reads one line from stdin, the hex of a pickled :class:`ServerSpec`, serves ``SEMANTICS_PROG`` on
127.0.0.1 (TCP), registers with the binder if one is given, and prints ``READY <port>``. Then each
stdin line ``stats`` prints a JSON line of its callback counters; ``quit`` or the end of stdin stops it
(unregistering from the binder first, so that a restarted server can register again).
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import sys
from typing import Any

__all__ = ["ServerSpec", "main"]


@dataclasses.dataclass(frozen=True)
class ServerSpec:
    """What the server process is to serve.

    Attributes:
        serializer: the server's serializer object (it sends replies and callbacks in its byte order).
        stub: the case's stub component (it exports the service: :meth:`Stub.serve`).
        binder: ``(host, port)`` of a binder to register with, or ``None``.
        port: the port to listen on (0: a free one).
    """

    serializer: Any
    stub: Any
    binder: tuple[str, int] | None = None
    port: int = 0


def main() -> int:
    """Serve as the spec on stdin says until told to stop; the exit status."""
    from distlab.oncrpc.server import Server
    from distlab.rpc_semantics.metered import MeteredClient
    from distlab.rpc_semantics.service import RefAccess, SemanticsService

    spec: ServerSpec = pickle.loads(bytes.fromhex(sys.stdin.readline().strip()))  # noqa: S301 - our parent's own spec
    clients: list[MeteredClient] = []

    def connect(host: str, port: int) -> MeteredClient:
        client = MeteredClient(host, port, serializer=spec.serializer)
        clients.append(client)
        return client

    refs = RefAccess(spec.serializer, connect)
    server = Server("127.0.0.1", spec.port, transports=("tcp",), serializer=spec.serializer, binder=spec.binder)
    spec.stub.serve(server, SemanticsService(refs))
    with server.serve_in_thread():
        print(f"READY {server.port}", flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                print(json.dumps({"callbacks": refs.callbacks, "calls": sum(c.calls for c in clients),
                                  "bytes_out": sum(c.bytes_out for c in clients),
                                  "bytes_in": sum(c.bytes_in for c in clients)}), flush=True)
            elif line.strip() == "quit":
                break
    refs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
