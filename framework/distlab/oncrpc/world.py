"""The world of the ONC RPC study: the calls one trial makes against an in-process server."""

from __future__ import annotations

import dataclasses

from distlab.params import param

__all__ = ["TRANSPORTS", "OncrpcWorld"]

TRANSPORTS = ("tcp", "udp")


@dataclasses.dataclass(frozen=True)
class OncrpcWorld:
    """Calls over loopback: a distlab server on 127.0.0.1 (a thread running its asyncio loop) and a client.

    Each call sends ``payload_bytes`` of opaque data to an echo procedure and gets them back; with
    ``in_flight`` above 1 the asyncio client keeps that many calls outstanding on one connection (TCP)
    or socket (UDP), otherwise the synchronous client makes one call at a time.
    """

    transport: str = param("tcp", "the transport of the calls", choices=TRANSPORTS)
    calls: int = param(2000, "calls per trial", ge=1, le=10_000_000)
    # A UDP datagram carries at most 65,507 bytes; the header and length word take the rest.
    payload_bytes: int = param(0, "opaque bytes sent and echoed back by each call", ge=0, le=65_000)
    in_flight: int = param(1, "calls outstanding at once (1: the synchronous client)", ge=1, le=4096)
