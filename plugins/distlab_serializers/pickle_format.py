"""Python's pickle, as a baseline: fast and complete for Python, and unsafe for untrusted input.

Unpickling runs code chosen by the bytes, so this serializer refuses to decode unless
``allow_untrusted=true`` is set. Never set it for bytes from a network. Encoding pickles the value
itself after checking it against the type; decoding returns exactly the objects that were pickled
(lists stay lists), after checking them the same way.

Even with ``allow_untrusted``, the unpickler resolves only the classes the type names (its structs'
classes and :class:`~distlab.rpc.types.UnionValue`) and :func:`_numpy_value`. numpy's own pickle
support is never reachable: its reconstruction functions and ``dtype.__setstate__`` trust their
arguments, and a crafted pickle can use them to build an array whose item size exceeds its buffer,
which crashes the interpreter when read. Instead, numpy arrays and scalars are pickled as
``_numpy_value(dtype, shape, raw)``, and that function rebuilds only numeric dtypes of a fixed list,
from exactly as many bytes as the dtype and shape need.

Before the unpickler runs, :func:`_prescan` walks the opcodes once (:mod:`pickletools`, which
reads each argument through the bounded stream, so a declared length beyond the bytes left fails
there without allocating). It refuses what would cost more than linear time or memory in the C
unpickler: a memo index beyond the number of opcodes read so far (``LONG_BINPUT 2**28`` grows the
memo to gigabytes: the 25 to 30 s a colleague measured on 4 KB), and a memo ``GET`` of a container
(a list holding the same list twice, nested, is a DAG whose tree, which the type check walks,
doubles with each level). The encoder pickles in ``fast`` mode (no memo), so it writes neither. A
truncated ``BYTEARRAY8`` is refused there too: the C unpickler allocates the bytearray before
reading into it, and on a short read printed ``SystemError: deallocated bytearray object has
exported buffers``.

Linked lists: the wire form
---------------------------
CPython's C pickler saves a nested object by a nested C call and stops at the recursion limit, so a
linked list (:func:`~distlab.rpc.chain_link`, ``struct node { int v; node *next; }``) pickled as it
is would fail beyond a few hundred nodes. Where the type holds such a list, the encoder first
replaces every chain in the value by a ``list`` of its nodes, in order, each a shallow copy of the
node (a dict or the struct's class, as given) whose link field is ``None``; it pickles that. The
decoder unpickles (prescan and allowed classes as above), then walks the result by the type and
relinks each such list in a loop (each node's link set to the next node, the last's left ``None``),
refusing as a :class:`DecodeError` a chain that is not a non-empty ``list`` of nodes whose links
are ``None``; then it checks the value against the type. Nothing here recurses once per node, so
100,000-node lists round-trip. A type that holds no linked list is pickled exactly as before, the
value itself; see :mod:`distlab_serializers._pickle_chains`.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools
from typing import Any

import numpy as np

from distlab.rpc import (
    Array,
    DecodeError,
    EncodeError,
    FixedArray,
    Optional,
    Ref,
    Struct,
    TypeVisitor,
    Union,
    UnionValue,
    WireType,
    validate,
)
from distlab_serializers._pickle_chains import BadChain, flatten, relink
from distlab_serializers.params import PickleParams

__all__ = ["Pickle"]

# Booleans, integers and floats in both byte orders: every dtype a valid value can hold (validate
# accepts numeric arrays and scalars of kinds "b", "i", "u" and "f"), and none whose items are
# pointers or variable text. Any bytes are a valid item of each of them.
_DTYPES: dict[str, np.dtype[Any]] = {
    d.str: d for c in "?bBhHiIqQefdg" for d in (np.dtype(c).newbyteorder("<"), np.dtype(c).newbyteorder(">"))
}
_MAX_DIMS = 32


def _numpy_value(dtype: str, shape: tuple[int, ...] | None, raw: bytes) -> Any:
    """The numpy array (``shape`` a tuple) or scalar (``shape`` None) of ``dtype`` made of ``raw``.

    The unpickler calls it with arguments chosen by the input, so it checks every one of them and
    raises :class:`pickle.UnpicklingError` where any is off.
    """
    d = _DTYPES.get(dtype) if type(dtype) is str else None
    if d is None:
        raise pickle.UnpicklingError(f"numpy dtype {dtype!r} is not one the pickle serializer rebuilds")
    if type(raw) is not bytes:
        raise pickle.UnpicklingError("numpy data must be bytes")
    if shape is None:
        count = 1
    elif (
        type(shape) is tuple
        and len(shape) <= _MAX_DIMS
        and all(type(n) is int and n >= 0 for n in shape)
    ):
        count = math.prod(shape)
    else:
        raise pickle.UnpicklingError("numpy shape must be a tuple of at most 32 counts")
    if count * d.itemsize != len(raw):
        raise pickle.UnpicklingError(f"{len(raw)} bytes of numpy data, {count} items of {d.itemsize} bytes expected")
    items = np.frombuffer(raw, d, count)
    if shape is None:
        return items[0]
    return items.reshape(shape).copy()  # a writable array that owns its data, as numpy's unpickling gives


def _latin1(text: str, encoding: str) -> bytes:
    """Stands in for ``_codecs.encode``, which protocol 2 pickles bytes with: Latin-1 text only."""
    if type(text) is not str or encoding != "latin1":
        raise pickle.UnpicklingError("_codecs.encode is allowed only for bytes pickled by protocol 2")
    return text.encode("latin-1")


def _bytes() -> bytes:
    """Stands in for ``bytes``, which protocol 2 pickles ``b""`` with (and only that)."""
    return b""


def _bytearray(data: bytes = b"") -> bytearray:
    """Stands in for ``bytearray``, which protocols 2 to 4 pickle a bytearray with: a copy of bytes only
    (``bytearray(n)`` would allocate ``n`` bytes the input never held)."""
    if type(data) is not bytes:
        raise pickle.UnpicklingError("bytearray is allowed only of bytes")
    return bytearray(data)


# The globals a pickle made by this serializer names besides the type's classes, and what the
# unpickler resolves each to; protocol 2 spells builtins "__builtin__".
_GLOBALS: dict[tuple[str, str], Any] = {
    (_numpy_value.__module__, _numpy_value.__qualname__): _numpy_value,
    ("_codecs", "encode"): _latin1,
    ("__builtin__", "bytes"): _bytes,
    ("builtins", "bytearray"): _bytearray,
    ("__builtin__", "bytearray"): _bytearray,
}


# The opcodes that leave a container (or an object holding others) on the stack: a memo slot
# filled right after one of them may not be fetched again (see the module docstring).
_ATOMS = frozenset(
    "INT BININT BININT1 BININT2 LONG LONG1 LONG4 STRING BINSTRING SHORT_BINSTRING UNICODE BINUNICODE "
    "SHORT_BINUNICODE BINUNICODE8 BINBYTES SHORT_BINBYTES BINBYTES8 FLOAT BINFLOAT NONE NEWTRUE NEWFALSE".split()
)
"""Opcodes that push an immutable atom: a memo entry made right after one of them may be fetched again.
Anything else memoized (a container, or whatever a MARK/POP_MARK sequence leaves on top) may not: the
whitelist is what keeps a shared container out, however the stack was arranged before the PUT."""
_PUTS = frozenset(("PUT", "BINPUT", "LONG_BINPUT"))
_GETS = frozenset(("GET", "BINGET", "LONG_BINGET"))


def _prescan(data: bytes) -> None:
    """Check ``data`` opcode by opcode before unpickling it (see the module docstring).

    Raises:
        DecodeError: with the opcode's offset.
    """
    containers: set[int] = set()
    memo = 0  # the next index MEMOIZE would use
    previous = ""
    pos = 0
    try:
        for count, (op, arg, at) in enumerate(pickletools.genops(io.BytesIO(data))):
            pos = at or 0
            name = op.name
            if name == "MEMOIZE" or name in _PUTS:
                index = memo if name == "MEMOIZE" else arg
                if type(index) is not int or index > count:
                    raise DecodeError(pos, f"memo index {brief_int(index)} beyond the {count} opcodes read")
                memo = max(memo, index + 1)
                if previous in _ATOMS:
                    containers.discard(index)
                else:
                    containers.add(index)
            elif name in _GETS and arg in containers:
                raise DecodeError(pos, "a memo GET of a container (shared objects are not part of the type model)")
            elif name == "DUP":
                # Python's pickler never writes DUP; it would put one object in two places (sharing).
                raise DecodeError(pos, "the DUP opcode (shared objects are not part of the type model)")
            previous = name
            if name == "STOP":
                return
    except DecodeError:
        raise
    except Exception as err:  # ValueError from genops: truncated, unknown opcode, bad argument
        raise DecodeError(min(pos, len(data)), f"invalid pickle: {err}") from None


def brief_int(x: object) -> str:
    """At most 20 characters of a memo index taken from the input."""
    return str(x)[:20]


class _Pickler(pickle.Pickler):
    """Pickles numpy arrays and scalars as :func:`_numpy_value` calls, everything else as pickle does."""

    def reducer_override(self, obj: Any) -> Any:
        # Called only for objects that are not of the exact builtin types, so lists of numbers
        # keep pickle's C fast path.
        if isinstance(obj, (np.ndarray, np.generic)):
            if obj.dtype.str not in _DTYPES:
                raise pickle.PicklingError(f"numpy dtype {obj.dtype} is not one the pickle serializer carries")
            shape = obj.shape if isinstance(obj, np.ndarray) else None
            return _numpy_value, (obj.dtype.str, shape, obj.tobytes())
        return NotImplemented


def _classes(t: WireType) -> set[type]:
    """The classes a value of ``t`` may hold besides builtins (struct classes and UnionValue)."""
    found = _Classes()
    t.accept(found)
    return found.classes


class _Classes(TypeVisitor[None]):
    """Collects the classes of a type's structs and unions, each type visited once (types recur)."""

    def __init__(self) -> None:
        self.classes: set[type] = set()
        self.seen: set[int] = set()

    def _first(self, t: WireType) -> bool:
        if id(t) in self.seen:
            return False
        self.seen.add(id(t))
        return True

    def visit_struct(self, t: Struct) -> None:
        if self._first(t):
            if t.cls is not None:
                self.classes.add(t.cls)
            for _, ft in t.fields:
                ft.accept(self)

    def visit_union(self, t: Union) -> None:
        if self._first(t):
            self.classes.add(UnionValue)
            for _, _, a in t.arms:
                a.accept(self)
            if t.default is not None:
                t.default[1].accept(self)

    def visit_ref(self, t: Ref) -> None:
        if self._first(t):
            t.target.accept(self)

    def visit_optional(self, t: Optional) -> None:
        if self._first(t):
            t.elem.accept(self)

    def visit_array(self, t: Array) -> None:
        if self._first(t):
            t.elem.accept(self)

    def visit_fixed_array(self, t: FixedArray) -> None:
        if self._first(t):
            t.elem.accept(self)

    def default(self, t: WireType) -> None:
        return None  # scalars, strings and bytes hold no class


class _Unpickler(pickle.Unpickler):
    """Resolves only the classes in ``allowed`` and the stand-ins of :data:`_GLOBALS`."""

    def __init__(self, fp: io.BytesIO, allowed: dict[tuple[str, str], type]) -> None:
        super().__init__(fp)
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        found = self.allowed.get((module, name)) or _GLOBALS.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a class of this type")
        return found


class Pickle:
    """The pickle serializer (component ``pickle``); decoding needs ``allow_untrusted=true``."""

    schemaless = True
    unsafe = True

    def __init__(self, params: PickleParams | None = None) -> None:
        self.params = params or PickleParams()

    def encode(self, value: Any, type: WireType) -> bytes:
        """Check ``value`` against ``type``, then pickle it."""
        try:
            validate(value, type)
        except RecursionError:
            raise EncodeError("value", "nested too deeply") from None
        try:
            value = flatten(value, type)  # linked lists as lists of their nodes (module docstring)
        except RecursionError:
            raise EncodeError("value", "nested too deeply") from None
        except Exception as err:  # a struct value that cannot be copied
            raise EncodeError("value", f"cannot pickle: {err.__class__.__name__}: {err}") from None
        fp = io.BytesIO()
        try:
            pickler = _Pickler(fp, protocol=self.params.protocol)
            pickler.fast = True  # no memo: a value is a tree, and the decoder refuses memo GETs of containers
            pickler.dump(value)
        except RecursionError:
            raise EncodeError("value", "cannot pickle: nested too deeply") from None
        except Exception as err:
            raise EncodeError("value", f"cannot pickle: {err}") from None
        return fp.getvalue()

    def decode(self, data: bytes, type: WireType) -> Any:
        """Unpickle ``data`` (only if allowed) and check the result against ``type``."""
        value, end, size = self._load(data, type)
        if end != size:
            raise DecodeError(end, f"{size - end} trailing bytes")
        return self._checked(value, type)

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """Unpickle the pickle at the start of ``data`` (only if allowed), check it, and say where it ends."""
        value, end, _ = self._load(data, type)
        return self._checked(value, type), end

    def _load(self, data: bytes, type: WireType) -> tuple[Any, int, int]:
        """The unpickled value, the offset where its pickle ends, and the size of ``data``."""
        if not self.params.allow_untrusted:
            raise DecodeError(
                0,
                "refusing to unpickle: it runs code chosen by the input; set serializer.allow_untrusted=true "
                "only for bytes you produced yourself",
            )
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(0, f"expected bytes, got {data.__class__.__name__}")
        data = bytes(data)
        _prescan(data)
        allowed = {(c.__module__, c.__qualname__): c for c in _classes(type)}
        fp = io.BytesIO(data)
        try:
            value = _Unpickler(fp, allowed).load()
        except Exception as err:  # UnpicklingError, EOFError, and whatever a constructor raises
            raise DecodeError(min(fp.tell(), len(data)), f"invalid pickle: {err.__class__.__name__}: {err}") from None
        return value, fp.tell(), len(data)

    @staticmethod
    def _checked(value: Any, type: WireType) -> Any:
        """Relink the unpickled ``value``'s linked lists, then check it against ``type``."""
        try:
            value = relink(value, type)
            validate(value, type)
        except BadChain as err:
            raise DecodeError(0, f"unpickled value is not the wire form of the type: {err}") from None
        except EncodeError as err:
            raise DecodeError(0, f"unpickled value does not fit the type: {err}") from None
        except RecursionError:
            raise DecodeError(0, "nested too deeply") from None
        except Exception as err:  # the unpickled objects' own methods (__eq__, __len__, ...) failed
            raise DecodeError(0, f"unpickled value cannot be checked: {err.__class__.__name__}") from None
        return value
