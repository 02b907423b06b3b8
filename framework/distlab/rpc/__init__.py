"""The rpc study's world: the wire type model, the serializer contract, and the marshaling engine.

The public surface for plugin authors: the wire types, the :class:`Serializer` contract and the
study's errors are importable from here (``from distlab.rpc import Struct, INT32, DecodeError``).
Cheap to import: nothing here imports numba; the kernels in :mod:`distlab.rpc.kernels` are imported by
the serializers that use them.
"""

from __future__ import annotations

from distlab.rpc.errors import DecodeError, EncodeError, RpcError
from distlab.rpc.kinds import Serializer
from distlab.rpc.types import (
    BOOL,
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    MAX_LEN,
    UINT32,
    UINT64,
    VOID,
    Array,
    Bool,
    Enum,
    FixedArray,
    FixedOpaque,
    Float,
    Int,
    Opaque,
    Optional,
    Ref,
    String,
    Struct,
    Union,
    UnionValue,
    Void,
    WireType,
    brief,
    equal,
    is_numeric,
    validate,
)
from distlab.rpc.world import SHAPES, RpcWorld

__all__ = [
    "BOOL",
    "FLOAT32",
    "FLOAT64",
    "INT32",
    "INT64",
    "MAX_LEN",
    "SHAPES",
    "UINT32",
    "UINT64",
    "VOID",
    "Array",
    "Bool",
    "DecodeError",
    "EncodeError",
    "Enum",
    "FixedArray",
    "FixedOpaque",
    "Float",
    "Int",
    "Opaque",
    "Optional",
    "Ref",
    "RpcError",
    "RpcWorld",
    "Serializer",
    "String",
    "Struct",
    "Union",
    "UnionValue",
    "Void",
    "WireType",
    "brief",
    "equal",
    "is_numeric",
    "validate",
]
