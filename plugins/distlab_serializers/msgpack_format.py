"""MessagePack through the msgpack library (its C extension), strings as ``str`` and opaque as ``bin``.

See :mod:`distlab_serializers._schemaless` for how the wire type model maps onto msgpack's data
model. The unpacker's limits are set to the input's length, so a declared length of 2**31 fails
before anything is allocated.
"""

from __future__ import annotations

from typing import Any

import msgpack

from distlab.rpc import DecodeError
from distlab_serializers._schemaless import Plain, SchemalessSerializer
from distlab_serializers.params import MsgpackParams

__all__ = ["Msgpack"]


class Msgpack(SchemalessSerializer):
    """The msgpack serializer (component ``msgpack``)."""

    PLAIN = Plain("msgpack")

    def __init__(self, params: MsgpackParams | None = None) -> None:
        super().__init__()
        self.params = params or MsgpackParams()
        self._packer = msgpack.Packer(use_bin_type=True)

    def dumps(self, plain: Any) -> bytes:
        """msgpack bytes of a plain value."""
        return self._packer.pack(plain)  # type: ignore[no-any-return]

    def loads(self, data: bytes) -> Any:
        """One msgpack item that is all of ``data``."""
        try:
            return msgpack.unpackb(data, raw=False, strict_map_key=False)
        except msgpack.ExtraData as err:
            raise DecodeError(len(data) - len(err.extra), f"{len(err.extra)} trailing bytes") from None
        except RecursionError:
            raise DecodeError(0, "msgpack nested too deeply") from None
        except Exception as err:  # the library's errors are ValueError, TypeError, and its own
            raise DecodeError(0, f"invalid msgpack: {type(err).__name__}: {err}") from None

    def loads_prefix(self, data: bytes) -> tuple[Any, int]:
        """The msgpack item at the start of ``data`` and the offset where it ends."""
        # Limits at the input's length, as unpackb sets them: a declared length beyond it fails at once.
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=max(len(data), 1))
        unpacker.feed(data)
        try:
            plain = unpacker.unpack()
        except msgpack.OutOfData:
            raise DecodeError(len(data), "truncated msgpack item") from None
        except RecursionError:
            raise DecodeError(0, "msgpack nested too deeply") from None
        except Exception as err:
            raise DecodeError(0, f"invalid msgpack: {type(err).__name__}: {err}") from None
        return plain, unpacker.tell()
