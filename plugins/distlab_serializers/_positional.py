"""The serializer shared by the positional formats (XDR, NDR, native), over a compiler from wire types to codecs.

A positional format writes the fields of a value in the type's order with no names or tags, so the
receiver needs the type to read it. The formats differ in a few choices, gathered in a
:class:`Layout`: byte order, XDR's 4-byte units with zero padding, NDR's natural alignment, the width
of a bool, how strings and optional values are written, and fixed-width or varint integers.

A type is compiled once per layout into two closures, kept in the type's cache:

- ``enc(buf, value)`` appends the bytes of ``value`` to the bytearray ``buf``
  (:mod:`distlab_serializers._positional_encode`); it checks bounds and ranges and, when something
  does not fit, the serializer re-walks the value with :func:`distlab.rpc.types.validate` to name
  the field;
- ``dec(data, pos) -> (value, pos)`` reads one value at ``pos``
  (:mod:`distlab_serializers._positional_decode`); every length is checked against the bytes left
  before anything is allocated, and every failure is a :class:`~distlab.rpc.errors.DecodeError` with
  the offset.

What both directions share (the layout, the cache, NDR alignment) is in
:mod:`distlab_serializers._positional_layout`.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from distlab.rpc import DecodeError, EncodeError, WireType, validate
from distlab.rpc import arrays
from distlab_serializers._positional_decode import DecoderCompiler
from distlab_serializers._positional_encode import EncoderCompiler
from distlab_serializers._positional_layout import Dec, Layout

__all__ = ["Layout", "Positional"]


def explain(value: Any, t: WireType, err: BaseException) -> EncodeError:
    """The error to raise when encoding failed: one that names the field if validation finds it."""
    try:
        validate(value, t)
    except EncodeError as named:
        return named
    except RecursionError:
        return EncodeError("value", "nested too deeply")
    if isinstance(err, EncodeError):
        return err
    return EncodeError("value", f"{type(err).__name__}: {err}")


class Positional:
    """A serializer for one positional layout (the XDR, NDR and native components build on it)."""

    schemaless = False
    unsafe = False

    def __init__(self, layout: Layout, specialize: bool = True) -> None:
        self._encoders = EncoderCompiler(layout, specialize)
        self._decoders = DecoderCompiler(layout)
        self._ekey = self._encoders.key

    def _prefix(self) -> bytes:
        return b""

    def encode(self, value: Any, type: WireType) -> bytes:
        """The bytes of ``value`` as a ``type``; :class:`EncodeError` names a field that does not fit."""
        enc = type._cache.get(self._ekey) or self._encoders.encoder(type)
        numeric = getattr(enc, "numeric", None)
        if numeric is not None and isinstance(value, np.ndarray) and value.ndim == 1:
            # A whole message that is one numeric array: straight into one preallocated buffer.
            elem, fixed, bound, order = numeric
            n = value.shape[0]
            if n <= bound and (n == bound or not fixed):
                head = b"" if fixed else struct.pack(order + "I", n)
                try:
                    return arrays.encode_array(value, elem, order, self._prefix() + head)
                except Exception as err:
                    raise explain(value, type, err) from None
        buf = bytearray(self._prefix())
        try:
            enc(buf, value)
        except Exception as err:
            raise explain(value, type, err) from None
        return bytes(buf)

    def decode(self, data: bytes, type: WireType) -> Any:
        """The value of ``type`` that ``data`` encodes; :class:`DecodeError` with the offset otherwise."""
        return self._decode_from(self._decoders, _as_bytes(data), 0, type)

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """The value of ``type`` at the start of ``data``, and the offset where it ends.

        For messages whose header says how to read the rest (an RPC call's arguments follow its
        header). Raises :class:`DecodeError` as :meth:`decode` does, except for trailing bytes.
        """
        return _read(self._decoders, _as_bytes(data), 0, type)

    @staticmethod
    def _decode_from(decoders: DecoderCompiler, data: bytes, pos: int, type: WireType) -> Any:
        """The value of ``type`` at ``pos``, which must end where ``data`` ends."""
        value, end = _read(decoders, data, pos, type)
        if end != len(data):
            raise DecodeError(end, f"{len(data) - end} trailing bytes")
        return value


def _read(decoders: DecoderCompiler, data: bytes, pos: int, type: WireType) -> tuple[Any, int]:
    dec: Dec = type._cache.get(decoders.key) or decoders.decoder(type)
    try:
        return dec(data, pos)
    except RecursionError:
        raise DecodeError(pos, "nested too deeply") from None


def _as_bytes(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise DecodeError(0, f"expected bytes, got {type(data).__name__}")
