"""The errors of ONC RPC calls, all under :class:`distlab.rpc.errors.RpcError`::

    RpcError
    ├── TransportError          the connection failed, closed, or timed out
    │   ├── RpcTimeoutError     no reply in time (UDP: after every retransmission)
    │   └── RecordError         TCP record marking violated (a fragment or record over its bound)
    ├── BadReplyError           a reply that is not a valid RPC reply, or whose results do not decode
    └── ReplyError              the server replied, but not with results
        ├── AcceptedError       MSG_ACCEPTED with a status other than SUCCESS
        │   ├── ProgUnavailError    PROG_UNAVAIL: no such program here
        │   ├── ProgMismatchError   PROG_MISMATCH: the program, not this version (.low, .high)
        │   ├── ProcUnavailError    PROC_UNAVAIL: no such procedure in the version
        │   ├── GarbageArgsError    GARBAGE_ARGS: the arguments did not decode
        │   └── SystemErrError      SYSTEM_ERR: the server failed (e.g. the procedure raised)
        └── DeniedError         MSG_DENIED
            ├── RpcMismatchError    RPC_MISMATCH: not RPC version 2 (.low, .high)
            └── AuthError           AUTH_ERROR (.reason: an auth_stat)

The names are the RFC 5531 status names with ``Error`` appended, so a status read in a packet trace
names the exception to catch.
"""

from __future__ import annotations

from distlab.rpc.errors import RpcError

__all__ = [
    "ACCEPT_ERRORS",
    "AUTH_STAT_NAMES",
    "AcceptedError",
    "AuthError",
    "BadReplyError",
    "DeniedError",
    "GarbageArgsError",
    "ProcUnavailError",
    "ProgMismatchError",
    "ProgUnavailError",
    "RecordError",
    "ReplyError",
    "RpcMismatchError",
    "RpcTimeoutError",
    "SystemErrError",
    "TransportError",
]

AUTH_STAT_NAMES = {
    0: "AUTH_OK", 1: "AUTH_BADCRED", 2: "AUTH_REJECTEDCRED", 3: "AUTH_BADVERF", 4: "AUTH_REJECTEDVERF",
    5: "AUTH_TOOWEAK", 6: "AUTH_INVALIDRESP", 7: "AUTH_FAILED", 8: "AUTH_KERB_GENERIC", 9: "AUTH_TIMEEXPIRE",
    10: "AUTH_TKT_FILE", 11: "AUTH_DECODE", 12: "AUTH_NET_ADDR", 13: "RPCSEC_GSS_CREDPROBLEM",
    14: "RPCSEC_GSS_CTXPROBLEM",
}
"""RFC 5531's ``auth_stat`` values by number."""


class TransportError(RpcError):
    """The connection failed, was closed by the peer, or a reply did not come in time."""


class RpcTimeoutError(TransportError):
    """No reply within the call's timeout (over UDP, after every retransmission)."""


class RecordError(TransportError):
    """TCP record marking (RFC 5531 section 11) violated: a fragment or record longer than allowed."""


class BadReplyError(RpcError):
    """A reply that is not a valid RPC reply, or whose results are not a valid encoding of the result type."""


class ReplyError(RpcError):
    """The server replied, but not with results.

    Attributes:
        program, version, procedure: the call that was answered this way.
    """

    status_name = "?"

    def __init__(self, program: int, version: int, procedure: int, detail: str = "") -> None:
        self.program, self.version, self.procedure = program, version, procedure
        text = f"{self.status_name} for program {program} version {version} procedure {procedure}"
        super().__init__(text + (f": {detail}" if detail else ""))


class AcceptedError(ReplyError):
    """The call was accepted (MSG_ACCEPTED) but not executed; ``.status`` is the ``accept_stat``."""

    status = -1


class ProgUnavailError(AcceptedError):
    """PROG_UNAVAIL: the server does not serve the program."""

    status, status_name = 1, "PROG_UNAVAIL"


class ProgMismatchError(AcceptedError):
    """PROG_MISMATCH: the server serves the program, in versions ``low`` to ``high`` only."""

    status, status_name = 2, "PROG_MISMATCH"

    def __init__(self, program: int, version: int, procedure: int, low: int, high: int) -> None:
        self.low, self.high = low, high
        super().__init__(program, version, procedure, f"the server has versions {low} to {high}")


class ProcUnavailError(AcceptedError):
    """PROC_UNAVAIL: the program version has no such procedure."""

    status, status_name = 3, "PROC_UNAVAIL"


class GarbageArgsError(AcceptedError):
    """GARBAGE_ARGS: the server could not decode the arguments."""

    status, status_name = 4, "GARBAGE_ARGS"


class SystemErrError(AcceptedError):
    """SYSTEM_ERR: the server failed while executing the call (a distlab handler raised)."""

    status, status_name = 5, "SYSTEM_ERR"


class DeniedError(ReplyError):
    """The call was denied (MSG_DENIED); ``.status`` is the ``reject_stat``."""

    status = -1


class RpcMismatchError(DeniedError):
    """RPC_MISMATCH: the server speaks RPC versions ``low`` to ``high``, not 2."""

    status, status_name = 0, "RPC_MISMATCH"

    def __init__(self, program: int, version: int, procedure: int, low: int, high: int) -> None:
        self.low, self.high = low, high
        super().__init__(program, version, procedure, f"the server speaks RPC versions {low} to {high}")


class AuthError(DeniedError):
    """AUTH_ERROR: the credential or verifier was refused; ``reason`` is the ``auth_stat``."""

    status, status_name = 1, "AUTH_ERROR"

    def __init__(self, program: int, version: int, procedure: int, reason: int) -> None:
        self.reason = reason
        super().__init__(program, version, procedure, AUTH_STAT_NAMES.get(reason, f"auth_stat {reason}"))


ACCEPT_ERRORS: dict[int, type[AcceptedError]] = {
    1: ProgUnavailError, 3: ProcUnavailError, 4: GarbageArgsError, 5: SystemErrError,
}
"""The accept statuses without data, by ``accept_stat`` (PROG_MISMATCH carries versions)."""
