"""JSON (RFC 8259) through the standard library, as UTF-8 text.

JSON has no byte strings and no NaN or infinities: opaque data travels as base64 text and non-finite
floats as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (the Protocol Buffers JSON
mapping's choice); see :mod:`distlab_serializers._schemaless` for the whole mapping. Decoding is
strict: the bare tokens ``NaN`` and ``Infinity`` that Python's json accepts are refused.
"""

from __future__ import annotations

import json
import re
from typing import Any

from distlab.rpc import DecodeError
from distlab_serializers._schemaless import Plain, SchemalessSerializer
from distlab_serializers.params import JsonParams

__all__ = ["Json"]


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class Json(SchemalessSerializer):
    """The JSON serializer (component ``json``)."""

    PLAIN = Plain("json", binary=False, nonfinite=False)

    def __init__(self, params: JsonParams | None = None) -> None:
        super().__init__()
        self.params = params or JsonParams()
        self._separators = (",", ":") if self.params.compact else (", ", ": ")
        self._decoder = json.JSONDecoder(parse_constant=_refuse_constant)

    def dumps(self, plain: Any) -> bytes:
        """Compact UTF-8 JSON."""
        return json.dumps(plain, separators=self._separators, ensure_ascii=False, allow_nan=False).encode("utf-8")

    def loads(self, data: bytes) -> Any:
        """Parse UTF-8 JSON text; the error's offset is in bytes."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DecodeError(err.start, f"invalid UTF-8: {err.reason}") from None
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as err:
            raise DecodeError(len(text[: err.pos].encode("utf-8")), f"invalid JSON: {err.msg}") from None
        except RecursionError:
            raise DecodeError(0, "JSON nested too deeply") from None
        except ValueError as err:  # e.g. an integer with more digits than Python converts
            raise DecodeError(0, f"invalid JSON: {err}") from None

    def loads_prefix(self, data: bytes) -> tuple[Any, int]:
        """The JSON value at the start of ``data`` (after any whitespace) and the byte offset where it ends."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            text = data[: err.start].decode("utf-8")  # the value may end before the bad byte
        try:
            start = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
            plain, end = self._decoder.raw_decode(text, start)
        except json.JSONDecodeError as err:
            raise DecodeError(len(text[: err.pos].encode("utf-8")), f"invalid JSON: {err.msg}") from None
        except RecursionError:
            raise DecodeError(0, "JSON nested too deeply") from None
        except ValueError as err:
            raise DecodeError(0, f"invalid JSON: {err}") from None
        return plain, len(text[:end].encode("utf-8"))
