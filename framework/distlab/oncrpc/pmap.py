"""The binder's protocols (RFC 1833): portmapper version 2 and rpcbind versions 3 and 4, and their client side.

A binder (``distlab binder``, or the system's rpcbind on port 111) maps a program and version to the
address where a server listens. Portmapper version 2 speaks of ports over TCP (protocol 6) and UDP
(17); rpcbind versions 3 and 4 of *universal addresses* (``"127.0.0.1.3.232"``: the host, then the
port's high and low byte) per transport (*netid*: ``tcp``, ``udp``, ``tcp6``, ``udp6``). Both are
program 100000, and one binder serves all three versions from one table.

Examples:
    Find a server through a binder and call it::

        port = getport(("127.0.0.1", DEFAULT_PORT), CALC_V1.program, CALC_V1.version, "tcp")
        with bind(CALC_V1, binder=("127.0.0.1", DEFAULT_PORT)) as client:
            client.call(CALC_V1, 0)
"""

from __future__ import annotations

from typing import Any

from distlab.oncrpc.aclient import AsyncClient
from distlab.oncrpc.client import Client, Transport
from distlab.oncrpc.program import Procedure, ProgramVersion
from distlab.rpc.types import BOOL, UINT32, VOID, Optional, Ref, String, Struct

__all__ = [
    "DEFAULT_PORT",
    "MAPPING",
    "PMAPLIST",
    "PMAP_PROG",
    "PMAP_V2",
    "PROTOCOLS",
    "RPCB",
    "RPCBLIST",
    "RPCBIND_V3",
    "RPCBIND_V4",
    "aset",
    "aunset",
    "bind",
    "dump",
    "getaddr",
    "getport",
    "parse_uaddr",
    "uaddr",
]

PMAP_PROG = 100000
"""The program number of the portmapper and rpcbind."""
DEFAULT_PORT = 10111
"""``distlab binder``'s default port: unprivileged (the standard port, 111, needs root)."""
PROTOCOLS = {"tcp": 6, "udp": 17}
"""The IP protocol numbers portmapper version 2 names transports by."""

MAPPING = Struct("mapping", (("prog", UINT32), ("vers", UINT32), ("prot", UINT32), ("port", UINT32)))
_pmaplist = Ref("pmaplist")
PMAPLIST = Struct("pmaplist", (("map", MAPPING), ("next", Optional(_pmaplist))))
_pmaplist.bind(PMAPLIST)

RPCB = Struct("rpcb", (("r_prog", UINT32), ("r_vers", UINT32), ("r_netid", String()), ("r_addr", String()),
                       ("r_owner", String())))
_rpcblist = Ref("rp__list")
RPCBLIST = Struct("rp__list", (("rpcb_map", RPCB), ("rpcb_next", Optional(_rpcblist))))
_rpcblist.bind(RPCBLIST)


def _version(version: int, name: str, procs: dict[int, Procedure]) -> ProgramVersion:
    return ProgramVersion("PMAP_PROG" if version == 2 else "RPCBPROG", name, PMAP_PROG, version, procs)


PMAP_V2 = _version(2, "PMAP_VERS", {
    1: Procedure("PMAPPROC_SET", 1, (MAPPING,), BOOL),
    2: Procedure("PMAPPROC_UNSET", 2, (MAPPING,), BOOL),
    3: Procedure("PMAPPROC_GETPORT", 3, (MAPPING,), UINT32),
    4: Procedure("PMAPPROC_DUMP", 4, (), Optional(PMAPLIST)),
})
"""Portmapper version 2 (CALLIT, procedure 5, is not offered: it lets anyone relay calls through the binder)."""

_RPCB_COMMON = {
    1: Procedure("RPCBPROC_SET", 1, (RPCB,), BOOL),
    2: Procedure("RPCBPROC_UNSET", 2, (RPCB,), BOOL),
    3: Procedure("RPCBPROC_GETADDR", 3, (RPCB,), String()),
    4: Procedure("RPCBPROC_DUMP", 4, (), Optional(RPCBLIST)),
    6: Procedure("RPCBPROC_GETTIME", 6, (), UINT32),
}
RPCBIND_V3 = _version(3, "RPCBVERS", dict(_RPCB_COMMON))
"""rpcbind version 3 (without CALLIT and the address conversions, procedures 5, 7 and 8)."""
RPCBIND_V4 = _version(4, "RPCBVERS4", {**_RPCB_COMMON, 9: Procedure("RPCBPROC_GETVERSADDR", 9, (RPCB,), String())})
"""rpcbind version 4 (without BCAST, INDIRECT, GETADDRLIST and GETSTAT)."""


def uaddr(host: str, port: int) -> str:
    """The universal address of ``host:port`` (RFC 1833 section 2.2).

    Examples:
        >>> uaddr("127.0.0.1", 1000)
        '127.0.0.1.3.232'
    """
    return f"{host}.{port >> 8}.{port & 0xFF}"


def parse_uaddr(address: str) -> tuple[str, int]:
    """The host and port of a universal address.

    Raises:
        ValueError: not a universal address.

    Examples:
        >>> parse_uaddr("127.0.0.1.3.232")
        ('127.0.0.1', 1000)
    """
    host, _, rest = address.rpartition(".")
    host, _, high = host.rpartition(".")
    if not host or not high.isdigit() or not rest.isdigit() or int(high) > 255 or int(rest) > 255:
        raise ValueError(f"{address!r} is not a universal address (HOST.P1.P2)")
    return host, (int(high) << 8) | int(rest)


def getport(binder: tuple[str, int], program: int, version: int, transport: Transport = "tcp",
            timeout_s: float = 5.0) -> int:
    """The port of ``program`` ``version`` over ``transport`` according to a portmapper (0: not registered)."""
    with Client(*binder, timeout_s=timeout_s) as client:
        port: int = client.call(PMAP_V2, 3, {"prog": program, "vers": version, "prot": PROTOCOLS[transport], "port": 0})
    return port


def getaddr(binder: tuple[str, int], program: int, version: int, netid: str = "tcp", timeout_s: float = 5.0) -> str:
    """The universal address of ``program`` ``version`` on ``netid`` (rpcbind version 4's GETVERSADDR; ``""``: none)."""
    with Client(*binder, timeout_s=timeout_s) as client:
        address: str = client.call(RPCBIND_V4, 9, {"r_prog": program, "r_vers": version, "r_netid": netid,
                                                   "r_addr": "", "r_owner": ""})
    return address


def dump(binder: tuple[str, int], timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """Every registration a binder holds, as rpcbind's ``rpcb`` records (``r_prog``, ``r_vers``, ``r_netid``, ...)."""
    with Client(*binder, timeout_s=timeout_s) as client:
        node = client.call(RPCBIND_V4, 4)
    out = []
    while node is not None:
        out.append(node["rpcb_map"])
        node = node["rpcb_next"]
    return out


def bind(program: ProgramVersion, *, binder: tuple[str, int] = ("127.0.0.1", DEFAULT_PORT),
         transport: Transport = "tcp", **options: Any) -> Client:
    """A :class:`Client` of the server a binder names for ``program`` (binding by program and version).

    The server's host is the binder's; ``options`` are those of :class:`Client`.

    Raises:
        LookupError: the binder knows no such program version over ``transport``.
    """
    port = getport(binder, program.program, program.version, transport)
    if port == 0:
        raise LookupError(f"the binder at {binder[0]}:{binder[1]} knows no {program.name} version "
                          f"{program.version} over {transport}")
    return Client(binder[0], port, transport=transport, **options)


async def aset(binder: tuple[str, int], program: int, version: int, transport: Transport, port: int) -> bool:
    """Register ``program`` ``version`` at ``port`` over ``transport`` (portmapper SET); whether the binder agreed."""
    client = await AsyncClient.connect(*binder, timeout_s=5.0)
    async with client:
        ok: bool = await client.acall(PMAP_V2, 1, {"prog": program, "vers": version,
                                                   "prot": PROTOCOLS[transport], "port": port})
    return ok


async def aunset(binder: tuple[str, int], program: int, version: int) -> bool:
    """Remove every registration of ``program`` ``version`` (portmapper UNSET); whether there was one."""
    client = await AsyncClient.connect(*binder, timeout_s=5.0)
    async with client:
        ok: bool = await client.acall(PMAP_V2, 2, {"prog": program, "vers": version, "prot": 0, "port": 0})
    return ok
