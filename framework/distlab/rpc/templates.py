"""What ``distlab new plugin NAME --kind serializer`` writes: a working serializer and its test.

The kind declares it (:attr:`distlab.component.Kind.template`); :mod:`distlab.scaffold` fills it in
(``${name}``, ``${cls}``, ``${kind}``: see :class:`distlab.scaffold.KindTemplate`) and adds the
package around it. The generated test runs the serializer through the kind's contract check from
:mod:`distlab.rpc.testing`.
"""

from __future__ import annotations

from distlab.scaffold import KindTemplate

__all__ = ["SERIALIZER", "TEMPLATES"]

_SERIALIZER_COMPONENT = '''\
"""The serializer ``${name}``: a framed format, a 4-byte length, the body, and optionally a CRC-32.

The body is written by distlab's trivial serializer (canonical JSON text of the value); replace
:meth:`${cls}._body` and :meth:`${cls}._value` with your own layout of the wire types. The
contract (``distlab.rpc.Serializer``): ``decode(encode(v, t), t)`` equals ``v``, and on any input
that is not exactly one encoding (truncated, mutated, with trailing bytes) ``decode`` raises only
``DecodeError`` with the byte offset.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any

from distlab import param
from distlab.rpc import DecodeError, TrivialSerializer, WireType


@dataclasses.dataclass(frozen=True)
class ${cls}Params:
    """A length-framed body, optionally followed by its CRC-32."""

    checksum: bool = param(True, "append a CRC-32 of the body, checked when decoding")


class ${cls}:
    """The serializer: made from its parameters; it keeps no state between calls."""

    schemaless = False

    def __init__(self, params: ${cls}Params) -> None:
        self.params = params
        self._inner = TrivialSerializer()

    def _body(self, value: Any, type: WireType) -> bytes:
        return self._inner.encode(value, type)

    def _value(self, body: bytes, type: WireType) -> Any:
        return self._inner.decode(body, type)

    def encode(self, value: Any, type: WireType) -> bytes:
        """The bytes of ``value`` as a ``type``."""
        body = self._body(value, type)
        crc = zlib.crc32(body).to_bytes(4, "big") if self.params.checksum else b""
        return len(body).to_bytes(4, "big") + body + crc

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """The value at the start of ``data``, and the offset where its encoding ends."""
        if len(data) < 4:
            raise DecodeError(len(data), "truncated: no 4-byte length")
        n = int.from_bytes(data[:4], "big")
        end = 4 + n + (4 if self.params.checksum else 0)
        if len(data) < end:  # checked before anything of that size is made
            raise DecodeError(len(data), f"truncated: the frame needs {end} bytes")
        body = data[4:4 + n]
        if self.params.checksum and zlib.crc32(body).to_bytes(4, "big") != data[4 + n:end]:
            raise DecodeError(4 + n, "CRC-32 mismatch")
        try:
            return self._value(body, type), end
        except DecodeError as err:
            raise DecodeError(4 + err.offset, str(err)) from None

    def decode(self, data: bytes, type: WireType) -> Any:
        """The value of ``type`` that ``data`` encodes (all of it)."""
        value, end = self.decode_prefix(data, type)
        if end != len(data):
            raise DecodeError(end, f"{len(data) - end} trailing bytes")
        return value
'''

_SERIALIZER_TEST = '''\
"""${name} keeps the serializer contract (distlab.rpc.testing) and registers itself."""

from __future__ import annotations

from distlab.rpc.testing import check_serializer

from ${name}.component import ${cls}, ${cls}Params


def test_contract() -> None:
    check_serializer(${cls}, ${cls}Params(), max_examples=10)
    check_serializer(${cls}, ${cls}Params(checksum=False), max_examples=5)
'''

SERIALIZER = KindTemplate(_SERIALIZER_COMPONENT, _SERIALIZER_TEST)
"""A framed format: a 4-byte length, the body (the trivial serializer's), and optionally a CRC-32."""

TEMPLATES: dict[str, KindTemplate] = {"serializer": SERIALIZER}
"""The templates of the study's kinds, by kind."""
