"""ONC RPC version 2 messages (RFC 5531 section 9) in the wire type model, and the steps of a call.

The types follow the RFC's ``.x`` text (as :mod:`distlab.rpc.oncrpc` does for the rpc study), with
one difference: the flavor of a credential and the statuses of a reply are read as unsigned
integers, not closed enums, because the RFC leaves them open (a flavor this side does not know is
passed through as opaque, and a status it does not know is reported, not mistaken for garbage).

A message is a header (:data:`RPC_MSG`) followed by the arguments of a call or the results of a
reply, encoded by a serializer of the rpc study's ``serializer`` kind (distlab's XDR by default:
:func:`default_serializer`). The functions here build headers and read replies; the transports
(:mod:`~distlab.oncrpc.client`, :mod:`~distlab.oncrpc.aclient`, :mod:`~distlab.oncrpc.server`)
only move the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distlab.oncrpc.auth import NONE, OpaqueAuth
from distlab.oncrpc.codec import default_serializer
from distlab.oncrpc.errors import (
    ACCEPT_ERRORS,
    AuthError,
    BadReplyError,
    ProgMismatchError,
    RpcMismatchError,
)
from distlab.oncrpc.program import Procedure, ProgramVersion
from distlab.rpc.errors import DecodeError, EncodeError
from distlab.rpc.kinds import Serializer
from distlab.rpc.types import UINT32, VOID, Opaque, Struct, Union, Void, WireType

__all__ = [
    "CALL",
    "Codec",
    "GARBAGE_ARGS",
    "MSG_ACCEPTED",
    "MSG_DENIED",
    "NULL_PROCEDURE",
    "OPAQUE_AUTH",
    "PROC_UNAVAIL",
    "PROG_MISMATCH",
    "PROG_UNAVAIL",
    "REPLY",
    "RPC_MSG",
    "RPC_VERSION",
    "SUCCESS",
    "SYSTEM_ERR",
    "accepted_reply",
    "call_message",
    "decode_args",
    "default_serializer",
    "denied_reply",
    "encode_args",
    "procedure_of",
    "read_reply",
]

RPC_VERSION = 2
CALL, REPLY = 0, 1
MSG_ACCEPTED, MSG_DENIED = 0, 1
SUCCESS, PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR = range(6)
RPC_MISMATCH, AUTH_ERROR = 0, 1

OPAQUE_AUTH = Struct("opaque_auth", (("flavor", UINT32), ("body", Opaque(400))))
_MISMATCH_INFO = Struct("mismatch_info", (("low", UINT32), ("high", UINT32)))
_CALL_BODY = Struct(
    "call_body",
    (("rpcvers", UINT32), ("prog", UINT32), ("vers", UINT32), ("proc", UINT32), ("cred", OPAQUE_AUTH), ("verf", OPAQUE_AUTH)),
)
_ACCEPTED_REPLY = Struct(
    "accepted_reply",
    (("verf", OPAQUE_AUTH),
     ("reply_data", Union("reply_data", UINT32, ((SUCCESS, "results", VOID), (PROG_MISMATCH, "mismatch_info", _MISMATCH_INFO)),
                          ("void", VOID)))),
)
_REJECTED_REPLY = Union("rejected_reply", UINT32, ((RPC_MISMATCH, "mismatch_info", _MISMATCH_INFO), (AUTH_ERROR, "stat", UINT32)))
_REPLY_BODY = Union("reply_body", UINT32, ((MSG_ACCEPTED, "areply", _ACCEPTED_REPLY), (MSG_DENIED, "rreply", _REJECTED_REPLY)))
RPC_MSG = Struct("rpc_msg", (("xid", UINT32), ("body", Union("body", UINT32, ((CALL, "cbody", _CALL_BODY), (REPLY, "rbody", _REPLY_BODY))))))
"""The header of every ONC RPC message; the arguments (a call) or results (a reply) follow it."""

NULL_PROCEDURE = Procedure("NULL", 0, (), VOID)
"""Procedure 0 of every program version: no arguments, no results (a ping)."""


def procedure_of(program: ProgramVersion, procedure: int | str) -> Procedure:
    """The procedure ``procedure`` of ``program``; number 0 is NULL even where it is not listed.

    Raises:
        KeyError: the program version has no such procedure.
    """
    if procedure == 0 and 0 not in program.procedures:
        return NULL_PROCEDURE
    if isinstance(procedure, int) and procedure in program.procedures:
        return program.procedures[procedure]
    return program.procedure(procedure)


def encode_args(serializer: Serializer, proc: Procedure, args: Sequence[Any]) -> bytes:
    """The arguments of a call, one after the other (several arguments encode as a struct of them would).

    Raises:
        TypeError: not as many arguments as the procedure has.
        EncodeError: an argument does not fit its type (names the argument).
    """
    if len(args) != len(proc.args):
        raise TypeError(f"{proc.name} takes {len(proc.args)} argument(s), got {len(args)}")
    if len(args) == 1:
        try:
            return serializer.encode(args[0], proc.args[0])
        except EncodeError as err:
            raise EncodeError(f"{proc.name} argument 1", str(err)) from None
    parts = []
    for i, (value, t) in enumerate(zip(args, proc.args), 1):
        try:
            parts.append(serializer.encode(value, t))
        except EncodeError as err:
            raise EncodeError(f"{proc.name} argument {i}", str(err)) from None
    return b"".join(parts)


def decode_args(serializer: Serializer, proc: Procedure, data: bytes, pos: int) -> list[Any]:
    """The arguments of ``proc`` in ``data`` from ``pos``, which must end where ``data`` ends.

    Raises:
        DecodeError: they are not a valid encoding of the procedure's argument types.
    """
    values = []
    for t in proc.args:
        value, used = serializer.decode_prefix(data[pos:], t)
        values.append(value)
        pos += used
    if pos != len(data):
        raise DecodeError(pos, f"{len(data) - pos} bytes after the arguments of {proc.name}")
    return values


def call_message(serializer: Serializer, xid: int, program: int, version: int, procedure: int,
                 cred: OpaqueAuth = NONE, verf: OpaqueAuth = NONE) -> bytes:
    """The header of a call (the encoded arguments follow it)."""
    return serializer.encode(
        {"xid": xid, "body": (CALL, {"rpcvers": RPC_VERSION, "prog": program, "vers": version, "proc": procedure,
                                     "cred": {"flavor": cred.flavor, "body": cred.body},
                                     "verf": {"flavor": verf.flavor, "body": verf.body}})},
        RPC_MSG,
    )


def accepted_reply(serializer: Serializer, xid: int, status: int = SUCCESS, low: int = 0, high: int = 0,
                   verf: OpaqueAuth = NONE) -> bytes:
    """The header of an accepted reply (for SUCCESS, the encoded results follow it)."""
    data: tuple[int, Any] = (status, {"low": low, "high": high} if status == PROG_MISMATCH else None)
    return serializer.encode(
        {"xid": xid, "body": (REPLY, (MSG_ACCEPTED, {"verf": {"flavor": verf.flavor, "body": verf.body}, "reply_data": data}))},
        RPC_MSG,
    )


def denied_reply(serializer: Serializer, xid: int, status: int, low: int = RPC_VERSION, high: int = RPC_VERSION,
                 reason: int = 0) -> bytes:
    """A denied reply: RPC_MISMATCH (with the versions spoken) or AUTH_ERROR (with its ``auth_stat``)."""
    arm: Any = {"low": low, "high": high} if status == RPC_MISMATCH else reason
    return serializer.encode({"xid": xid, "body": (REPLY, (MSG_DENIED, (status, arm)))}, RPC_MSG)


def read_reply(serializer: Serializer, data: bytes, program: int, version: int, proc: Procedure,
               result: WireType | None = None) -> Any:
    """The results of a reply to a call of ``proc``, or the typed error the reply stands for.

    Args:
        data: the whole reply message, header included (its xid already matched by the caller).
        result: the type to decode the results as (default: the procedure's result type).

    Raises:
        ReplyError: one of its subclasses for every status other than SUCCESS.
        BadReplyError: not a reply, or results that do not decode.
    """
    try:
        header, pos = serializer.decode_prefix(data, RPC_MSG)
    except DecodeError as err:
        raise BadReplyError(f"not an RPC reply: {err}") from None
    msg_type, body = header["body"]
    if msg_type != REPLY:
        raise BadReplyError(f"expected a reply, got message type {msg_type}")
    stat, reply = body
    number = proc.number
    if stat == MSG_DENIED:
        reject, arm = reply
        if reject == RPC_MISMATCH:
            raise RpcMismatchError(program, version, number, arm["low"], arm["high"])
        raise AuthError(program, version, number, arm)
    accept, arm = reply["reply_data"]
    if accept == SUCCESS:
        t = proc.result if result is None else result
        try:
            value, end = serializer.decode_prefix(data[pos:], t)
        except DecodeError as err:
            raise BadReplyError(f"results of {proc.name}: {err}") from None
        if pos + end != len(data):
            raise BadReplyError(f"{len(data) - pos - end} bytes after the results of {proc.name}")
        return value
    if accept == PROG_MISMATCH:
        raise ProgMismatchError(program, version, number, arm["low"], arm["high"])
    error = ACCEPT_ERRORS.get(accept)
    if error is None:
        raise BadReplyError(f"unknown accept_stat {accept} for {proc.name}")
    raise error(program, version, number)


class Codec:
    """The message steps of one serializer, with the shortcuts a positional format allows.

    With XDR (and any format that writes the xid first, as 4 big-endian bytes, and everything else
    independently of it), a call's header differs from the last one of the same procedure only in
    its xid, and a successful reply with an AUTH_NONE verifier has a fixed header: the codec then
    encodes each header once (with the serializer) and patches the xid in, and recognises the common
    reply by its bytes, so a null call costs little more than its socket operations. With any other
    format every header is encoded and decoded in full.

    Args:
        serializer: a component of the ``serializer`` kind (default: distlab's XDR).
    """

    def __init__(self, serializer: Serializer | None = None) -> None:
        self.serializer = ser = serializer or default_serializer()
        a, b = call_message(ser, 0, 1, 1, 1), call_message(ser, 0x01020304, 1, 1, 1)
        #: Whether the xid is the first 4 bytes, big-endian, and nothing else depends on it.
        self.xid_first = a[4:] == b[4:] and b[:4] == b"\x01\x02\x03\x04"
        self._ok_tail = accepted_reply(ser, 0)[4:] if self.xid_first else b""
        self._ok_end = 4 + len(self._ok_tail)
        #: Whether ``void`` takes no bytes and decodes from none (true of XDR): a void result then
        #: needs no call into the serializer, which was a third of a null call's Python time.
        self.void_empty = ser.encode(None, VOID) == b"" and ser.decode_prefix(b"", VOID) == (None, 0)
        self._calls: dict[tuple[int, int, int, OpaqueAuth, OpaqueAuth], bytes] = {}

    def call(self, xid: int, program: int, version: int, procedure: int,
             cred: OpaqueAuth = NONE, verf: OpaqueAuth = NONE) -> bytes:
        """The header of a call (as :func:`call_message`)."""
        if not self.xid_first:
            return call_message(self.serializer, xid, program, version, procedure, cred, verf)
        key = (program, version, procedure, cred, verf)
        tail = self._calls.get(key)
        if tail is None:
            if len(self._calls) > 4096:  # a client calling ever new procedures or credentials
                self._calls.clear()
            tail = self._calls[key] = call_message(self.serializer, 0, program, version, procedure, cred, verf)[4:]
        return xid.to_bytes(4, "big") + tail

    def success(self, xid: int) -> bytes:
        """The header of a successful reply with an AUTH_NONE verifier (the results follow it)."""
        if self.xid_first:
            return xid.to_bytes(4, "big") + self._ok_tail
        return accepted_reply(self.serializer, xid)

    def xid(self, data: bytes) -> int | None:
        """The xid of a message, or ``None`` if its header does not decode."""
        if self.xid_first:
            return int.from_bytes(data[:4], "big") if len(data) >= 4 else None
        try:
            header, _ = self.serializer.decode_prefix(data, RPC_MSG)
        except DecodeError:
            return None
        return int(header["xid"])

    def results(self, data: bytes, program: int, version: int, proc: Procedure) -> Any:
        """The results of a reply (as :func:`read_reply`)."""
        tail = self._ok_tail
        if tail and data.startswith(tail, 4):
            start = self._ok_end
            if self.void_empty and type(proc.result) is Void:
                if start == len(data):
                    return None
                raise BadReplyError(f"{len(data) - start} bytes after the results of {proc.name}")
            try:
                value, end = self.serializer.decode_prefix(data[start:], proc.result)
            except DecodeError as err:
                raise BadReplyError(f"results of {proc.name}: {err}") from None
            if start + end != len(data):
                raise BadReplyError(f"{len(data) - start - end} bytes after the results of {proc.name}")
            return value
        return read_reply(self.serializer, data, program, version, proc)
