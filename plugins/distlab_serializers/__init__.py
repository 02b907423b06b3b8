"""distlab's built-in wire formats: XDR, NDR, native, JSON, msgpack, CBOR and pickle serializers.

Registration only: the parameter dataclasses and ``"module:attr"`` factories, and the ``serializers``
benchmark suite (:mod:`distlab_serializers.bench`). The serializers (and numba, numpy and the format
libraries) are imported when a case first uses one. Every module here imports the framework only
through its public names (``distlab``, ``distlab.rpc``, and the hot paths ``distlab.rpc.arrays`` and
``distlab.rpc.kernels``); ``tests/rpc/test_rpc_public_imports.py`` checks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distlab import hookimpl
from distlab_serializers.params import (
    CborParams,
    JsonParams,
    MsgpackParams,
    NativeParams,
    NdrParams,
    PickleParams,
    XdrParams,
)

if TYPE_CHECKING:
    from distlab import Registrar

__all__ = ["register_components"]

_COMPONENTS = (
    ("xdr", XdrParams, "distlab_serializers.xdr:Xdr", "XDR (RFC 4506): big-endian, 4-byte units, zero padding"),
    ("ndr", NdrParams, "distlab_serializers.ndr:Ndr", "DCE NDR: sender's byte order after a format label, natural alignment; receiver makes it right"),
    ("native", NativeParams, "distlab_serializers.native:Native", "packed fields in one agreed byte order, no alignment, optional varints"),
    ("json", JsonParams, "distlab_serializers.json_format:Json", "JSON text (stdlib); opaque as base64"),
    ("msgpack", MsgpackParams, "distlab_serializers.msgpack_format:Msgpack", "MessagePack (msgpack C extension)"),
    ("cbor", CborParams, "distlab_serializers.cbor_format:Cbor", "CBOR, RFC 8949 (cbor2)"),
    ("pickle", PickleParams, "distlab_serializers.pickle_format:Pickle", "Python pickle baseline; UNSAFE: decodes only with allow_untrusted=true"),
)


@hookimpl
def register_components(registrar: Registrar) -> None:
    """Register the serializers of the rpc study."""
    for name, params, factory, doc in _COMPONENTS:
        registrar.register("serializer", name, params, factory, doc=doc)
    # The benchmarks that time a serializer (XDR against its baselines) need this plugin, so they live here.
    registrar.add_benchmark("serializers", "distlab_serializers.bench:run")
