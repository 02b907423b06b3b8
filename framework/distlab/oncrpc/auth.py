"""Credentials and verifiers (RFC 5531 sections 8.2 and 10): AUTH_NONE, AUTH_SYS, and every other flavor as opaque.

A credential on the wire is a flavor number and at most 400 opaque bytes. distlab reads every flavor
as that pair (:class:`OpaqueAuth`), so a flavor it does not know (AUTH_DH, RPCSEC_GSS, a private one)
passes through unchanged; the body of AUTH_SYS can be read and made with :class:`AuthSys`.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from typing import Any, NamedTuple

from distlab.oncrpc.codec import default_serializer
from distlab.rpc.types import UINT32, Array, String, Struct

__all__ = ["AUTHSYS_PARMS", "AUTH_NONE", "AUTH_SYS", "NONE", "AuthSys", "OpaqueAuth"]

AUTH_NONE = 0
"""The flavor of no credential (an empty body)."""
AUTH_SYS = 1
"""The flavor of a Unix-style credential (:class:`AuthSys`), also known as AUTH_UNIX."""

AUTHSYS_PARMS = Struct(
    "authsys_parms",
    (("stamp", UINT32), ("machinename", String(255)), ("uid", UINT32), ("gid", UINT32), ("gids", Array(UINT32, 16))),
)
"""The body of an AUTH_SYS credential."""


class OpaqueAuth(NamedTuple):
    """A credential or verifier as it is on the wire: a flavor number and its body (at most 400 bytes)."""

    flavor: int
    body: bytes = b""


NONE = OpaqueAuth(AUTH_NONE, b"")
"""The AUTH_NONE credential or verifier."""


@dataclasses.dataclass(frozen=True)
class AuthSys:
    """An AUTH_SYS credential: who the caller says it is (nothing proves it).

    Examples:
        >>> cred = AuthSys(uid=1000, gid=1000, machinename="lab", stamp=7)
        >>> AuthSys.from_opaque(cred.to_opaque(), serializer=None) == cred
        True
    """

    uid: int = 0
    gid: int = 0
    gids: tuple[int, ...] = ()
    machinename: str = dataclasses.field(default_factory=socket.gethostname)
    stamp: int = dataclasses.field(default_factory=lambda: int(time.time()) & 0xFFFFFFFF)

    def to_opaque(self, serializer: Any = None) -> OpaqueAuth:
        """The credential on the wire (flavor AUTH_SYS), encoded by ``serializer`` (default: distlab's XDR)."""
        ser = serializer or default_serializer()
        value = {"stamp": self.stamp, "machinename": self.machinename, "uid": self.uid, "gid": self.gid,
                 "gids": list(self.gids)}
        return OpaqueAuth(AUTH_SYS, ser.encode(value, AUTHSYS_PARMS))

    @classmethod
    def from_opaque(cls, auth: OpaqueAuth, serializer: Any = None) -> AuthSys:
        """The AUTH_SYS credential in ``auth``.

        Raises:
            ValueError: ``auth`` is another flavor.
            DecodeError: its body is not a valid ``authsys_parms``.
        """
        if auth.flavor != AUTH_SYS:
            raise ValueError(f"flavor {auth.flavor} is not AUTH_SYS ({AUTH_SYS})")
        v = (serializer or default_serializer()).decode(auth.body, AUTHSYS_PARMS)
        return cls(uid=v["uid"], gid=v["gid"], gids=tuple(int(g) for g in v["gids"]),
                   machinename=v["machinename"], stamp=v["stamp"])
