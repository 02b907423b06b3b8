"""CBOR (RFC 8949) through the cbor2 library.

See :mod:`distlab_serializers._schemaless` for how the wire type model maps onto CBOR's data model.
Decoding reports the offset at which cbor2 stopped; cbor2 reads long byte strings in chunks, so a
declared length of 2**31 fails when the input runs out, before 2 GiB are allocated.
"""

from __future__ import annotations

import io
from typing import Any

import cbor2

from distlab.rpc import DecodeError
from distlab_serializers._schemaless import Plain, SchemalessSerializer
from distlab_serializers.params import CborParams

__all__ = ["Cbor"]


class Cbor(SchemalessSerializer):
    """The CBOR serializer (component ``cbor``)."""

    PLAIN = Plain("cbor")

    def __init__(self, params: CborParams | None = None) -> None:
        super().__init__()
        self.params = params or CborParams()

    def dumps(self, plain: Any) -> bytes:
        """CBOR bytes of a plain value."""
        return cbor2.dumps(plain, canonical=self.params.canonical)

    def loads(self, data: bytes) -> Any:
        """One CBOR item that is all of ``data``."""
        value, end = self.loads_prefix(data)
        if end != len(data):
            raise DecodeError(end, f"{len(data) - end} trailing bytes")
        return value

    def loads_prefix(self, data: bytes) -> tuple[Any, int]:
        """The CBOR item at the start of ``data`` and the offset where it ends."""
        fp = io.BytesIO(data)
        try:
            value = cbor2.CBORDecoder(fp).decode()
        except RecursionError:
            raise DecodeError(fp.tell(), "CBOR nested too deeply") from None
        except Exception as err:  # CBORDecodeError and whatever a tag's decoder raises
            raise DecodeError(fp.tell(), f"invalid CBOR: {type(err).__name__}: {err}") from None
        return value, fp.tell()
