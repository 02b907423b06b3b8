"""The rpc study's errors, under :class:`distlab.errors.DistlabError`::

    DistlabError
    ├── EncodeError    a value does not fit its wire type (names the field)
    ├── DecodeError    bytes are not a valid encoding of a wire type (has the byte offset)
    └── RpcError       a remote procedure call failed
"""

from __future__ import annotations

from distlab.errors import DistlabError

__all__ = ["MESSAGE_LIMIT", "DecodeError", "EncodeError", "RpcError"]

MESSAGE_LIMIT = 400
"""The most characters of a message an encode or decode error keeps: a message may quote a value
taken from the input (a library's error text, a key, a repr), and a few bytes of input must not
make a megabyte of error text."""


def _capped(message: str) -> str:
    if len(message) <= MESSAGE_LIMIT:
        return message
    return message[: MESSAGE_LIMIT - 40] + f"... ({len(message)} characters in all)"


class EncodeError(DistlabError):
    """A value that does not fit its wire type.

    Args:
        field: the path of the offending field, e.g. ``"args.items[3]"``.
        message: what is wrong and what the type allows.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"cannot encode {_capped(field or 'value')}: {_capped(message)}")


class DecodeError(DistlabError):
    """Bytes that are not a valid encoding of the expected wire type.

    Args:
        offset: the byte offset at which decoding failed.
        message: what was wrong.
    """

    def __init__(self, offset: int, message: str) -> None:
        self.offset = offset
        super().__init__(f"at byte {offset}: {_capped(message)}")


class RpcError(DistlabError):
    """A remote procedure call that failed (transport, protocol or remote error)."""
