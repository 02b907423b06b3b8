"""``distlab binder``: a portmapper (version 2) and rpcbind (versions 3 and 4) daemon, RFC 1833.

One table of registrations, ``(program, version, netid) -> (universal address, owner)``, served
through the three versions of program 100000 over TCP and UDP. distlab servers given
``binder=(host, port)`` register with it on start and unregister on stop; libtirpc's ``pmap_set``,
``pmap_getport``, ``rpcb_set``, ``rpcb_getaddr`` and ``rpcinfo`` speak to it as to the system's.

It listens on :data:`~distlab.oncrpc.pmap.DEFAULT_PORT` (10111) on 127.0.0.1 by default. libtirpc's
client routines always ask port 111, so to stand in for the system's rpcbind run it as root, with
no rpcbind running, as ``distlab binder --port 111``.

Deliberately not offered (PROC_UNAVAIL): portmapper CALLIT and rpcbind CALLIT/BCAST/INDIRECT (they
relay calls to other servers: a reflection amplifier on an open port), rpcbind's address
conversions, GETADDRLIST and GETSTAT. Anyone who can reach the binder may SET and UNSET, as with
the historical portmapper; bind it to loopback (the default) to keep it to this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from distlab.oncrpc.pmap import DEFAULT_PORT, PMAP_PROG, PMAP_V2, PROTOCOLS, RPCBIND_V3, RPCBIND_V4, parse_uaddr, uaddr
from distlab.oncrpc.server import Handler, Server

__all__ = ["Binder", "main"]

_NETIDS = {v: k for k, v in PROTOCOLS.items()}


class Binder:
    """The binder daemon's table and its procedures; :attr:`server` serves them.

    Args:
        host: the address to listen on (and the host of the addresses portmapper SET registers).
        port: the port, for TCP and UDP (0 picks a free one).

    Examples:
        In a test or a script::

            binder = Binder(port=0)
            with binder.server.serve_in_thread():
                ...  # Server(binder=("127.0.0.1", binder.server.port)) registers with it
    """

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        self.host = host
        self.table: dict[tuple[int, int, str], tuple[str, str]] = {}
        self.server = Server(host, port)
        self.server.add(PMAP_V2, {1: self.pmap_set, 2: self.pmap_unset, 3: self.pmap_getport, 4: self.pmap_dump})
        rpcb: dict[int, Handler] = {1: self.rpcb_set, 2: self.rpcb_unset, 3: self.rpcb_getaddr, 4: self.rpcb_dump, 6: self.gettime}
        self.server.add(RPCBIND_V3, rpcb)
        self.server.add(RPCBIND_V4, {**rpcb, 9: self.rpcb_getversaddr})

    async def start(self) -> None:
        """Listen, and register the binder's own three versions as rpcbind does."""
        await self.server.start()
        for version in (2, 3, 4):
            for netid in ("tcp", "udp"):
                self.table[(PMAP_PROG, version, netid)] = (uaddr(self.host, self.server.port), "superuser")

    async def stop(self) -> None:
        """Stop listening."""
        await self.server.stop()

    # -- portmapper version 2 ------------------------------------------------------------------

    def pmap_set(self, m: dict[str, int]) -> bool:
        """SET: register ``prog``/``vers`` at ``port`` over ``prot``; false if it is registered already."""
        netid = _NETIDS.get(m["prot"])
        key = (m["prog"], m["vers"], netid or "")
        if netid is None or key in self.table:
            return False
        self.table[key] = (uaddr(self.host, m["port"]), "unknown")
        return True

    def pmap_unset(self, m: dict[str, int]) -> bool:
        """UNSET: remove ``prog``/``vers`` over TCP and UDP (``prot`` and ``port`` are ignored, as RFC 1833 says)."""
        gone = [k for k in self.table if k[:2] == (m["prog"], m["vers"]) and k[2] in PROTOCOLS]
        for key in gone:
            del self.table[key]
        return bool(gone)

    def pmap_getport(self, m: dict[str, int]) -> int:
        """GETPORT: the port of ``prog``/``vers`` over ``prot``, 0 if none."""
        entry = self.table.get((m["prog"], m["vers"], _NETIDS.get(m["prot"], "")))
        return parse_uaddr(entry[0])[1] if entry else 0

    def pmap_dump(self) -> dict[str, Any] | None:
        """DUMP: every TCP and UDP registration, as a linked list of mappings."""
        node: dict[str, Any] | None = None
        for (prog, vers, netid), (addr, _) in sorted(self.table.items(), reverse=True):
            if netid in PROTOCOLS:
                mapping = {"prog": prog, "vers": vers, "prot": PROTOCOLS[netid], "port": parse_uaddr(addr)[1]}
                node = {"map": mapping, "next": node}
        return node

    # -- rpcbind versions 3 and 4 ----------------------------------------------------------------

    def rpcb_set(self, r: dict[str, Any]) -> bool:
        """SET: register ``r_prog``/``r_vers`` on ``r_netid`` at ``r_addr``; false if it is registered already."""
        key = (r["r_prog"], r["r_vers"], r["r_netid"])
        try:
            parse_uaddr(r["r_addr"])
        except ValueError:
            return False
        if key in self.table or not r["r_netid"]:
            return False
        self.table[key] = (r["r_addr"], r["r_owner"] or "unknown")
        return True

    def rpcb_unset(self, r: dict[str, Any]) -> bool:
        """UNSET: remove ``r_prog``/``r_vers`` on ``r_netid`` (on every netid if it is empty)."""
        gone = [k for k in self.table
                if k[:2] == (r["r_prog"], r["r_vers"]) and (not r["r_netid"] or k[2] == r["r_netid"])]
        for key in gone:
            del self.table[key]
        return bool(gone)

    def rpcb_getaddr(self, r: dict[str, Any]) -> str:
        """GETADDR: the address of ``r_prog``/``r_vers`` on ``r_netid``, or of another version of the program
        there (so the caller learns of the mismatch from the server), ``""`` if none."""
        exact = self.rpcb_getversaddr(r)
        if exact:
            return exact
        for (prog, _, netid), (addr, _) in sorted(self.table.items()):
            if prog == r["r_prog"] and netid == r["r_netid"]:
                return addr
        return ""

    def rpcb_getversaddr(self, r: dict[str, Any]) -> str:
        """GETVERSADDR: the address of exactly ``r_prog``/``r_vers`` on ``r_netid``, ``""`` if none."""
        entry = self.table.get((r["r_prog"], r["r_vers"], r["r_netid"]))
        return entry[0] if entry else ""

    def rpcb_dump(self) -> dict[str, Any] | None:
        """DUMP: every registration, as a linked list of ``rpcb`` records."""
        node: dict[str, Any] | None = None
        for (prog, vers, netid), (addr, owner) in sorted(self.table.items(), reverse=True):
            record = {"r_prog": prog, "r_vers": vers, "r_netid": netid, "r_addr": addr, "r_owner": owner}
            node = {"rpcb_map": record, "rpcb_next": node}
        return node

    def gettime(self) -> int:
        """GETTIME: the binder's clock, in seconds since 1970."""
        return int(time.time()) & 0xFFFFFFFF


async def _serve(binder: Binder) -> None:
    await binder.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"distlab binder: portmapper v2 and rpcbind v3, v4 on {binder.host}:{binder.server.port} "
          "(tcp and udp); Ctrl-C stops it", flush=True)
    try:
        await stop.wait()
    finally:
        await binder.stop()


def main(args: Sequence[str] = ()) -> int:
    """``distlab binder [--host H] [--port P]``: run the binder until interrupted; the exit status."""
    parser = argparse.ArgumentParser(
        prog="distlab binder", description="A portmapper (v2) and rpcbind (v3, v4) daemon, RFC 1833.",
        epilog="libtirpc's clients (pmap_getport, rpcb_getaddr, rpcinfo) ask port 111: to stand in for the "
               "system's rpcbind, stop it and run 'distlab binder --port 111' as root.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port for TCP and UDP (default: {DEFAULT_PORT}; 111, the standard one, needs root)")
    opts = parser.parse_args(list(args))
    binder = Binder(opts.host, opts.port)
    try:
        asyncio.run(_serve(binder))
    except OSError as err:
        hint = " (ports below 1024 need root)" if opts.port < 1024 else ""
        print(f"distlab binder: cannot listen on {opts.host}:{opts.port}: {err.strerror or err}{hint}", file=sys.stderr)
        return 1
    return 0
