"""The parameter dataclasses of the serializers (cheap to import: registration reads them)."""

from __future__ import annotations

import dataclasses

from distlab import param

__all__ = [
    "CborParams",
    "JsonParams",
    "MsgpackParams",
    "NativeParams",
    "NdrParams",
    "PickleParams",
    "XdrParams",
]


@dataclasses.dataclass(frozen=True)
class XdrParams:
    """XDR (RFC 4506): big-endian, 4-byte units, zero padding; nothing to choose."""


@dataclasses.dataclass(frozen=True)
class NdrParams:
    """DCE NDR: the sender's byte order after a 4-byte format label; the receiver makes it right."""

    byte_order: str = param("little", "the sender's integer and float byte order", choices=("little", "big"))


@dataclasses.dataclass(frozen=True)
class NativeParams:
    """Packed fields in one fixed byte order, no alignment, no label (both ends must agree)."""

    byte_order: str = param("little", "byte order of every number", choices=("little", "big"))
    integers: str = param(
        "fixed", "integers, enums and lengths as fixed-width words or LEB128 varints (zigzag if signed)",
        choices=("fixed", "varint"),
    )


@dataclasses.dataclass(frozen=True)
class JsonParams:
    """JSON text (UTF-8) through the standard library."""

    compact: bool = param(True, "no spaces after separators")


@dataclasses.dataclass(frozen=True)
class MsgpackParams:
    """MessagePack through the msgpack library (its C extension)."""


@dataclasses.dataclass(frozen=True)
class CborParams:
    """CBOR (RFC 8949) through the cbor2 library."""

    canonical: bool = param(False, "deterministic encoding (RFC 8949 section 4.2: sorted map keys, shortest floats)")


@dataclasses.dataclass(frozen=True)
class PickleParams:
    """Python's pickle: a baseline, unsafe for untrusted input."""

    protocol: int = param(5, "pickle protocol", ge=2, le=5)
    allow_untrusted: bool = param(
        False, "decode at all; unpickling runs code chosen by the input, so only for data you produced"
    )
