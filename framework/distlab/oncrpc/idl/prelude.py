"""The types and constants that ``.x`` files take from libtirpc's C headers rather than define.

rpcgen copies a type name it does not know into C as ``xdr_<name>`` and leaves it to the C headers
(``<rpc/xdr.h>``, ``<rpc/types.h>``, ``<rpc/auth.h>``) to supply it; the system ``.x`` files lean on
that for ``u_int``, ``netobj``, ``des_block`` and the fixed-width integers. Here they are written in
the RPC language itself, with the wire format of the C routine named in each comment, and parsed
like any file. A file's own definition of one of these names wins; only the names a file uses
become part of what it compiles to.
"""

from __future__ import annotations

import functools

from distlab.oncrpc.idl.model import Spec
from distlab.oncrpc.idl.parser import parse_text

__all__ = ["PRELUDE", "prelude"]

PRELUDE = """
/* <rpc/types.h>, <sys/types.h>: each is one 4-byte XDR unit (xdr_u_int, xdr_u_long, xdr_u_short,
   xdr_u_char widen to 32 bits); the 64-bit ones are hyper (xdr_int64_t, xdr_u_quad_t, ...). */
typedef unsigned int u_int;
typedef unsigned int u_long;
typedef unsigned int u_short;
typedef unsigned int u_char;
typedef int int8_t;
typedef int int16_t;
typedef int int32_t;
typedef unsigned int uint8_t;
typedef unsigned int uint16_t;
typedef unsigned int uint32_t;
typedef unsigned int u_int8_t;
typedef unsigned int u_int16_t;
typedef unsigned int u_int32_t;
typedef hyper int64_t;
typedef hyper quad_t;
typedef hyper longlong_t;
typedef unsigned hyper uint64_t;
typedef unsigned hyper u_int64_t;
typedef unsigned hyper u_quad_t;
typedef unsigned hyper u_longlong_t;
typedef unsigned int rpcprog_t;
typedef unsigned int rpcvers_t;
typedef unsigned int rpcproc_t;
typedef unsigned int rpcprot_t;
typedef unsigned int rpcport_t;
typedef bool bool_t;
typedef int enum_t;

/* <rpc/xdr.h>: xdr_netobj is xdr_bytes with MAX_NETOBJ_SZ 1024. */
const MAX_NETOBJ_SZ = 1024;
typedef opaque netobj<MAX_NETOBJ_SZ>;

/* <rpc/auth.h>: xdr_des_block is xdr_opaque of 8 bytes; the longest network name. */
typedef opaque des_block[8];
const MAXNETNAMELEN = 255;

/* <rpc/types.h>: libtirpc's xdr_netbuf writes maxlen, then the buffer as xdr_bytes. */
struct netbuf {
    unsigned int maxlen;
    opaque buf<>;
};

/* <rpc/types.h>: the values of bool_t, used as case labels of a bool discriminant. */
const FALSE = 0;
const TRUE = 1;
"""
"""The prelude's definitions, in the RPC language."""


@functools.cache
def prelude() -> Spec:
    """The parsed :data:`PRELUDE`."""
    return parse_text(PRELUDE, "<prelude>")
