"""ONC RPC messages (RFC 5531) in the wire type model, with the portmapper and MOUNT arguments.

An RPC message is a header (:data:`RPC_MSG`) followed by the procedure's arguments or results, which
the header does not describe; decode the header with a serializer's ``decode_prefix`` and the rest
with the procedure's type. Over TCP each message is preceded by record marks
(:func:`split_records`). The names follow the RFC's ``.x`` text, so an IDL compiler's output for
``rpc_prot.x`` can be checked against these.
"""

from __future__ import annotations

from distlab.rpc.errors import DecodeError
from distlab.rpc.types import (
    UINT32,
    VOID,
    Array,
    Enum,
    Opaque,
    String,
    Struct,
    Union,
)

__all__ = [
    "AUTHSYS_PARMS",
    "AUTH_FLAVOR",
    "CALL_BODY",
    "MAPPING",
    "MOUNT_DIRPATH",
    "MSG_TYPE",
    "OPAQUE_AUTH",
    "REPLY_BODY",
    "RPC_MSG",
    "split_records",
]

MSG_TYPE = Enum("msg_type", (("CALL", 0), ("REPLY", 1)))
REPLY_STAT = Enum("reply_stat", (("MSG_ACCEPTED", 0), ("MSG_DENIED", 1)))
ACCEPT_STAT = Enum(
    "accept_stat",
    (("SUCCESS", 0), ("PROG_UNAVAIL", 1), ("PROG_MISMATCH", 2), ("PROC_UNAVAIL", 3), ("GARBAGE_ARGS", 4), ("SYSTEM_ERR", 5)),
)
REJECT_STAT = Enum("reject_stat", (("RPC_MISMATCH", 0), ("AUTH_ERROR", 1)))
AUTH_STAT = Enum(
    "auth_stat",
    (("AUTH_OK", 0), ("AUTH_BADCRED", 1), ("AUTH_REJECTEDCRED", 2), ("AUTH_BADVERF", 3),
     ("AUTH_REJECTEDVERF", 4), ("AUTH_TOOWEAK", 5), ("AUTH_INVALIDRESP", 6), ("AUTH_FAILED", 7),
     ("AUTH_KERB_GENERIC", 8), ("AUTH_TIMEEXPIRE", 9), ("AUTH_TKT_FILE", 10), ("AUTH_DECODE", 11),
     ("AUTH_NET_ADDR", 12), ("RPCSEC_GSS_CREDPROBLEM", 13), ("RPCSEC_GSS_CTXPROBLEM", 14)),
)
AUTH_FLAVOR = Enum(
    "auth_flavor",
    (("AUTH_NONE", 0), ("AUTH_SYS", 1), ("AUTH_SHORT", 2), ("AUTH_DH", 3), ("RPCSEC_GSS", 6), ("AUTH_TLS", 7)),
)
"""The flavors named by RFC 5531 section 8.2 and RFC 9289 (AUTH_TLS); for their names only."""

# RFC 5531 section 8.2: flavor numbers are assigned by IANA and new ones appear (AUTH_TLS, 7, came
# with RFC 9289), and section 8.1 makes the body opaque so that a receiver can carry a flavor it
# does not know and answer AUTH_BADCRED itself. So the wire type of a flavor is an unsigned number,
# not the enum: a decoder must not refuse the message for a flavor outside the list.
OPAQUE_AUTH = Struct("opaque_auth", (("flavor", UINT32), ("body", Opaque(400))))
AUTHSYS_PARMS = Struct(
    "authsys_parms",
    (("stamp", UINT32), ("machinename", String(255)), ("uid", UINT32), ("gid", UINT32), ("gids", Array(UINT32, 16))),
)
MISMATCH_INFO = Struct("mismatch_info", (("low", UINT32), ("high", UINT32)))

CALL_BODY = Struct(
    "call_body",
    (("rpcvers", UINT32), ("prog", UINT32), ("vers", UINT32), ("proc", UINT32), ("cred", OPAQUE_AUTH), ("verf", OPAQUE_AUTH)),
)
ACCEPTED_REPLY = Struct(
    "accepted_reply",
    (
        ("verf", OPAQUE_AUTH),
        ("reply_data", Union("reply_data", ACCEPT_STAT, ((0, "results", VOID), (2, "mismatch_info", MISMATCH_INFO)), ("void", VOID))),
    ),
)
REJECTED_REPLY = Union("rejected_reply", REJECT_STAT, ((0, "mismatch_info", MISMATCH_INFO), (1, "stat", AUTH_STAT)))
REPLY_BODY = Union("reply_body", REPLY_STAT, ((0, "areply", ACCEPTED_REPLY), (1, "rreply", REJECTED_REPLY)))
RPC_MSG = Struct(
    "rpc_msg",
    (("xid", UINT32), ("body", Union("body", MSG_TYPE, ((0, "cbody", CALL_BODY), (1, "rbody", REPLY_BODY))))),
)
"""The header of every ONC RPC message; the arguments (a call) or results (a reply) follow it."""

MAPPING = Struct("mapping", (("prog", UINT32), ("vers", UINT32), ("prot", UINT32), ("port", UINT32)))
"""The portmapper's (program 100000) argument of PMAPPROC_GETPORT; the result is one UINT32."""

MOUNT_DIRPATH = String(1024)
"""MOUNT v3's (program 100005) argument of MOUNTPROC3_MNT."""


def split_records(data: bytes) -> bytes:
    """The message carried by TCP record marking (RFC 5531 section 11): fragments joined.

    Raises:
        DecodeError: a fragment longer than the bytes left, or no last fragment.
    """
    pos, out = 0, bytearray()
    while True:
        if pos + 4 > len(data):
            raise DecodeError(pos, "truncated record mark")
        mark = int.from_bytes(data[pos : pos + 4], "big")
        size = mark & 0x7FFFFFFF
        if pos + 4 + size > len(data):
            raise DecodeError(pos, f"fragment of {size} bytes, {len(data) - pos - 4} left")
        out += data[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if mark & 0x80000000:
            if pos != len(data):
                raise DecodeError(pos, "bytes after the last fragment")
            return bytes(out)
