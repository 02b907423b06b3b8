"""The plugin kind of the rpc study: the serializer (how values of the wire type model become bytes)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from distlab.rpc.types import WireType

__all__ = ["Serializer"]


@runtime_checkable
class Serializer(Protocol):
    """Lays values of the wire type model (:mod:`distlab.rpc.types`) out as bytes, and back.

    Required:
        ``encode(value, type) -> bytes``, ``decode(data, type) -> value`` and
        ``decode_prefix(data, type) -> (value, end)``, for every wire type.
        ``decode(encode(v, t), t)`` must equal ``v`` in the sense of :func:`distlab.rpc.types.equal`.
        ``encode`` raises :class:`~distlab.rpc.errors.EncodeError` naming the field for a value that does
        not fit its type (a bound, a range, a missing field); ``decode`` raises
        :class:`~distlab.rpc.errors.DecodeError` with the byte offset for any input that is not exactly
        one encoding of the type: truncated, trailing bytes, bad padding, an enum value or union
        discriminant not in the type, invalid UTF-8, a length beyond the bound. No other exception
        may escape ``decode``, and a declared length must never be allocated before the bytes are
        known to be there. ``decode_prefix`` reads one value at the start of ``data`` and returns
        it with the offset where it ends; it fails as ``decode`` does, except that bytes after the
        value are left to the caller (an RPC call's arguments follow its header).

    Each type is best walked with a :class:`~distlab.rpc.types.TypeVisitor` that builds a closure
    per type once (:meth:`~distlab.rpc.types.WireType.compiled`); :class:`~distlab.rpc.fakes.TrivialSerializer`
    is a small complete example.

    Optional attributes:
        ``schemaless`` (bool): the bytes are self-describing (JSON, msgpack, CBOR, pickle), so the
        type is only used to check and shape values; default ``False``.
        ``unsafe`` (bool): decoding runs code chosen by the input (pickle); default ``False``.
    """

    def encode(self, value: Any, type: WireType) -> bytes:
        """The bytes of ``value`` as a ``type``."""
        ...

    def decode(self, data: bytes, type: WireType) -> Any:
        """The value of ``type`` that ``data`` encodes (all of it)."""
        ...

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """The value of ``type`` at the start of ``data``, and the offset where its encoding ends."""
        ...
