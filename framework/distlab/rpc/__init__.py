"""The rpc study's world: the wire type model, the serializer contract, and the marshaling engine.

The public surface for plugin authors: the wire types and their :class:`TypeVisitor` (the one way
every codec walks a type), the value checks (:func:`validate`, :func:`equal`), the
:class:`Serializer` contract, the plain-value rules of codecs that carry a value as numbers,
strings and arrays (:class:`ToPlainVisitor`, :class:`FromPlainVisitor`, :class:`PlainMismatch`),
a :class:`TrivialSerializer` fake for tests, and the study's errors are importable from here
(``from distlab.rpc import Struct, INT32, DecodeError``). Cheap to import: nothing here imports
numba. Two more public modules hold the hot paths, for serializers that lay
numeric arrays out themselves: :mod:`distlab.rpc.arrays` (numeric arrays and varints to and from
bytes) and :mod:`distlab.rpc.kernels` (their numba kernels). For tests, :mod:`distlab.rpc.testing`
holds the serializer contract check and hypothesis strategies of wire types and their values (it
needs hypothesis, which importing this package does not).
"""

from __future__ import annotations

from distlab.rpc.errors import DecodeError, EncodeError, RpcError
from distlab.rpc.fakes import TrivialSerializer
from distlab.rpc.kinds import Serializer
from distlab.rpc.plain import FromPlain, FromPlainVisitor, PlainMismatch, ToPlain, ToPlainVisitor
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
    TypeVisitor,
    Union,
    UnionValue,
    Void,
    WireType,
    brief,
    chain_link,
    integer,
    is_numeric,
    numeric,
)
from distlab.rpc.values import equal, fits_float32, float32, validate
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
    "FromPlain",
    "FromPlainVisitor",
    "Int",
    "Opaque",
    "Optional",
    "PlainMismatch",
    "Ref",
    "RpcError",
    "RpcWorld",
    "Serializer",
    "String",
    "Struct",
    "ToPlain",
    "ToPlainVisitor",
    "TrivialSerializer",
    "TypeVisitor",
    "Union",
    "UnionValue",
    "Void",
    "WireType",
    "brief",
    "chain_link",
    "equal",
    "fits_float32",
    "float32",
    "integer",
    "is_numeric",
    "numeric",
    "validate",
]
