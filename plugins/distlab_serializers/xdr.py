"""XDR, RFC 4506: big-endian, every item a multiple of 4 bytes with zero padding.

The mapping of the type model is RFC 4506's own: ``INT32`` int, ``UINT32`` unsigned int, ``INT64``
hyper, ``UINT64`` unsigned hyper, ``FLOAT32`` float, ``FLOAT64`` double, ``BOOL`` bool (4 bytes),
:class:`~distlab.rpc.types.Enum` enum (4 bytes), ``String`` string<N>, ``Opaque`` opaque<N>,
``FixedOpaque`` opaque[N], ``Array`` T<N> (count, items), ``FixedArray`` T[N] (items), ``Struct``
struct, ``Union`` union (discriminant, arm), ``Optional`` T* (bool, then the value), ``VOID`` void.
Decoding is strict: padding must be zero, a bool 0 or 1, and nothing may follow the value.
"""

from __future__ import annotations

from distlab_serializers._positional import Layout, Positional
from distlab_serializers.params import XdrParams

__all__ = ["LAYOUT", "Xdr"]

LAYOUT = Layout(key="xdr", order=">", unit4=True, bool_size=4)


class Xdr(Positional):
    """The XDR serializer (component ``xdr``)."""

    def __init__(self, params: XdrParams | None = None) -> None:
        super().__init__(LAYOUT)
        self.params = params or XdrParams()
