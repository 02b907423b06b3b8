"""The rpc study's errors, under :class:`distlab.errors.DistlabError`::

    DistlabError
    ├── EncodeError    a value does not fit its wire type (names the field)
    ├── DecodeError    bytes are not a valid encoding of a wire type (has the byte offset)
    └── RpcError       a remote procedure call failed
"""

from __future__ import annotations

from distlab.errors import DistlabError

__all__ = ["DecodeError", "EncodeError", "RpcError"]


class EncodeError(DistlabError):
    """A value that does not fit its wire type.

    Args:
        field: the path of the offending field, e.g. ``"args.items[3]"``.
        message: what is wrong and what the type allows.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"cannot encode {field or 'value'}: {message}")


class DecodeError(DistlabError):
    """Bytes that are not a valid encoding of the expected wire type.

    Args:
        offset: the byte offset at which decoding failed.
        message: what was wrong.
    """

    def __init__(self, offset: int, message: str) -> None:
        self.offset = offset
        super().__init__(f"at byte {offset}: {message}")


class RpcError(DistlabError):
    """A remote procedure call that failed (transport, protocol or remote error)."""
