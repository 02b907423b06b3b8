"""The world of the rpc study: the payload one trial marshals."""

from __future__ import annotations

import dataclasses

from distlab.params import param

__all__ = ["SHAPES", "RpcWorld"]

SHAPES = ("int_array", "float_array", "records", "strings")


@dataclasses.dataclass(frozen=True)
class RpcWorld:
    """A seeded payload to encode and decode.

    Shapes: ``int_array`` (an ``INT32`` array), ``float_array`` (a ``FLOAT64`` array), ``records`` (an
    array of structs: an id, a name, an enum, a bool, an optional note and 16 floats), ``strings``
    (an array of UTF-8 strings, some of them non-ASCII).
    """

    shape: str = param("records", "payload shape", choices=SHAPES)
    size: int = param(10_000, "items in the payload: array elements, records or strings", ge=1, le=10_000_000)
    string_bytes: int = param(16, "largest string length in characters (strings, record names)", ge=1, le=4096)
    # At most a minute: a trial times encode and decode for at least this long each, and a longer
    # search for the fastest call buys no precision (an hour-long value would look like a hang).
    min_time_s: float = param(0.05, "time encode and decode repeatedly for at least this long", gt=0, le=60.0)
