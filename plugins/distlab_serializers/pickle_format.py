"""Python's pickle, as a baseline: fast and complete for Python, and unsafe for untrusted input.

Unpickling runs code chosen by the bytes, so this serializer refuses to decode unless
``allow_untrusted=true`` is set, and even then loads only the classes the type names (its structs'
classes, :class:`~distlab.rpc.types.UnionValue`) and what numpy arrays need. Never set it for bytes
from a network. Encoding pickles the value itself after checking it against the type; decoding
returns exactly the objects that were pickled (lists stay lists), after checking them the same way.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from distlab.errors import DecodeError, EncodeError
from distlab.rpc.types import Optional, Ref, Struct, Union, UnionValue, WireType, validate
from distlab_serializers.params import PickleParams

__all__ = ["Pickle"]

_NUMPY = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


def _classes(t: WireType, seen: set[int] | None = None) -> set[type]:
    seen = set() if seen is None else seen
    if id(t) in seen:
        return set()
    seen.add(id(t))
    out: set[type] = set()
    if isinstance(t, Struct):
        if t.cls is not None:
            out.add(t.cls)
        for _, ft in t.fields:
            out |= _classes(ft, seen)
    elif isinstance(t, Union):
        out.add(UnionValue)
        for _, _, a in t.arms:
            out |= _classes(a, seen)
        if t.default is not None:
            out |= _classes(t.default[1], seen)
    elif isinstance(t, Ref):
        out |= _classes(t.target, seen)
    elif isinstance(t, Optional) or hasattr(t, "elem"):
        out |= _classes(t.elem, seen)  # type: ignore[attr-defined]
    return out


class _Unpickler(pickle.Unpickler):
    def __init__(self, fp: io.BytesIO, allowed: set[tuple[str, str]]) -> None:
        super().__init__(fp)
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"{module}.{name} is not a class of this type")
        return super().find_class(module, name)


class Pickle:
    """The pickle serializer (component ``pickle``); decoding needs ``allow_untrusted=true``."""

    schemaless = True
    unsafe = True

    def __init__(self, params: PickleParams | None = None) -> None:
        self.params = params or PickleParams()

    def encode(self, value: Any, type: WireType) -> bytes:
        """Check ``value`` against ``type``, then pickle it."""
        validate(value, type)
        try:
            return pickle.dumps(value, protocol=self.params.protocol)
        except Exception as err:
            raise EncodeError("value", f"cannot pickle: {err}") from None

    def decode(self, data: bytes, type: WireType) -> Any:
        """Unpickle ``data`` (only if allowed) and check the result against ``type``."""
        if not self.params.allow_untrusted:
            raise DecodeError(
                0,
                "refusing to unpickle: it runs code chosen by the input; set serializer.allow_untrusted=true "
                "only for bytes you produced yourself",
            )
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(0, f"expected bytes, got {data.__class__.__name__}")
        data = bytes(data)
        allowed = set(_NUMPY) | {(c.__module__, c.__qualname__) for c in _classes(type)}
        fp = io.BytesIO(data)
        try:
            value = _Unpickler(fp, allowed).load()
        except Exception as err:  # UnpicklingError, EOFError, and whatever a constructor raises
            raise DecodeError(min(fp.tell(), len(data)), f"invalid pickle: {err.__class__.__name__}: {err}") from None
        if fp.tell() != len(data):
            raise DecodeError(fp.tell(), f"{len(data) - fp.tell()} trailing bytes")
        try:
            validate(value, type)
        except EncodeError as err:
            raise DecodeError(0, f"unpickled value does not fit the type: {err}") from None
        except RecursionError:
            raise DecodeError(0, "nested too deeply") from None
        return value
