"""Pickle's wire form of linked lists: a chain as a flat list of its nodes, relinked after loading.

CPython's C pickler saves a nested object by a nested C call, so a linked list
(:func:`distlab.rpc.chain_link`) of more than a few hundred nodes exceeds its recursion limit. Before
pickling, :func:`flatten` replaces every chain in a value by a ``list`` of its nodes, each a shallow
copy whose link field is ``None`` (the caller's value is never changed); after unpickling,
:func:`relink` sets each node's link to the next node again, in a loop. Both walk the value by its
wire type and touch only the parts of it where a chain can be: a type that holds no linked list
gets no transformation at all, so its pickle is exactly the value's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from distlab.rpc import (
    Array,
    FixedArray,
    Optional,
    Ref,
    Struct,
    TypeVisitor,
    Union,
    UnionValue,
    WireType,
    chain_link,
)

__all__ = ["BadChain", "flatten", "relink"]

Fn = Callable[[Any], Any]

_HAS_CHAIN = ("pickle", "has_chain")
_FLATTEN = ("pickle", "flatten")
_RELINK = ("pickle", "relink")

_MISSING = object()


class BadChain(ValueError):
    """The unpickled value is not the wire form of its type (a chain that is not a list of nodes)."""


def flatten(value: Any, t: WireType) -> Any:
    """``value`` (already validated against ``t``) with every linked list as a list of its nodes."""
    f = _flattener(t)
    return value if f is None else f(value)


def relink(value: Any, t: WireType) -> Any:
    """The inverse of :func:`flatten` on freshly unpickled objects (changed in place where possible).

    Raises:
        BadChain: where a chain is not a non-empty list of nodes whose links are ``None``.
    """
    f = _relinker(t)
    return value if f is None else f(value)


def has_chain(t: WireType) -> bool:
    """Whether a value of ``t`` can hold a linked list."""
    return bool(t.compiled(_HAS_CHAIN, _find_chain))


def _find_chain(t: WireType) -> bool:
    seen: set[int] = set()
    todo = [t]
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, Struct):
            if chain_link(x) is not None:
                return True
            todo.extend(ft for _, ft in x.fields)
        elif isinstance(x, Union):
            todo.extend(a for _, _, a in x.arms)
            if x.default is not None:
                todo.append(x.default[1])
        elif isinstance(x, Ref):
            todo.append(x.target)
        elif isinstance(x, (Optional, Array, FixedArray)):
            todo.append(x.elem)
    return False


def _flattener(t: WireType) -> Fn | None:
    # Cached as a 1-tuple: the cache recompiles on None, and most types need no function.
    return t.compiled(_FLATTEN, lambda u: (u.accept(_Flatten()),))[0]


def _relinker(t: WireType) -> Fn | None:
    return t.compiled(_RELINK, lambda u: (u.accept(_Relink()),))[0]


def _get(node: Any, name: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(name, _MISSING)
    return getattr(node, name, _MISSING)


def _copy_with(node: Any, changes: dict[str, Any]) -> Any:
    """A shallow copy of the struct value ``node`` with ``changes`` to its fields."""
    if isinstance(node, Mapping):
        d = dict(node)
        d.update(changes)
        return d
    c = copy.copy(node)
    for name, x in changes.items():
        object.__setattr__(c, name, x)  # frozen dataclasses too
    return c


def _set(node: Any, name: str, x: Any) -> None:
    if type(node) is dict:
        node[name] = x
    else:
        object.__setattr__(node, name, x)


def _union_of(v: Any, d: Any, x: Any) -> Any:
    return UnionValue(d, x) if type(v) is UnionValue else (d, x)


class _Flatten(TypeVisitor["Fn | None"]):
    """The value-to-wire-form function of a type, or ``None`` where a value goes as it is."""

    def visit_struct(self, t: Struct) -> Fn | None:
        link = chain_link(t)
        fields = [(n, f) for n, ft in (t.fields[:-1] if link else t.fields) if (f := _flattener(ft)) is not None]
        if link is not None:
            return _flatten_chain(fields, link)
        if not fields:
            return None

        def flatten_struct(v: Any) -> Any:
            return _copy_with(v, {n: f(_get(v, n)) for n, f in fields})

        return flatten_struct

    def visit_union(self, t: Union) -> Fn | None:
        if not has_chain(t):
            return None

        def flatten_union(v: Any) -> Any:
            d, x = v
            arm = t.arm(d)
            f = None if arm is None else _flattener(arm)
            return v if f is None else _union_of(v, d, f(x))

        return flatten_union

    def visit_optional(self, t: Optional) -> Fn | None:
        f = _flattener(t.elem)
        if f is None:
            return None
        inner = f
        return lambda v: None if v is None else inner(v)

    def visit_array(self, t: Array) -> Fn | None:
        return _sequence(_flattener(t.elem))

    def visit_fixed_array(self, t: FixedArray) -> Fn | None:
        return _sequence(_flattener(t.elem))

    def visit_ref(self, t: Ref) -> Fn | None:
        if not has_chain(t):
            return None
        ref = t
        return lambda v: _flattener(ref.target)(v)  # type: ignore[misc]  # the target has a chain

    def default(self, t: WireType) -> Fn | None:
        return None


def _sequence(f: Fn | None) -> Fn | None:
    """Apply ``f`` to each item of a list (or tuple, which stays a tuple); the elements of numpy arrays
    are numbers, which need no ``f``."""
    if f is None:
        return None
    each = f

    def sequence(v: Any) -> Any:
        if type(v) is tuple:
            return tuple(each(x) for x in v)
        return [each(x) for x in v]

    return sequence


def _flatten_chain(head: list[tuple[str, Fn]], link: str) -> Fn:
    def flatten_chain(v: Any) -> list[Any]:
        nodes = []
        while v is not None:  # the value is validated, so the list ends (no cycle)
            changes = {n: f(_get(v, n)) for n, f in head}
            changes[link] = None
            nodes.append(_copy_with(v, changes))
            v = _get(v, link)
        return nodes

    return flatten_chain


class _Relink(TypeVisitor["Fn | None"]):
    """The wire-form-to-value function of a type (on unpickled objects), or ``None``."""

    def visit_struct(self, t: Struct) -> Fn | None:
        link = chain_link(t)
        fields = [(n, f) for n, ft in (t.fields[:-1] if link else t.fields) if (f := _relinker(ft)) is not None]
        if link is not None:
            return _relink_chain(t, fields, link)
        if not fields:
            return None

        def relink_struct(v: Any) -> Any:
            _relink_fields(v, fields)
            return v

        return relink_struct

    def visit_union(self, t: Union) -> Fn | None:
        if not has_chain(t):
            return None

        def relink_union(v: Any) -> Any:
            if not isinstance(v, tuple) or len(v) != 2:
                return v  # the type check refuses it
            d, x = v
            arm = t.arm(d)
            f = None if arm is None else _relinker(arm)
            return v if f is None else _union_of(v, d, f(x))

        return relink_union

    def visit_optional(self, t: Optional) -> Fn | None:
        f = _relinker(t.elem)
        if f is None:
            return None
        inner = f
        return lambda v: None if v is None else inner(v)

    def visit_array(self, t: Array) -> Fn | None:
        return _relink_sequence(_relinker(t.elem))

    def visit_fixed_array(self, t: FixedArray) -> Fn | None:
        return _relink_sequence(_relinker(t.elem))

    def visit_ref(self, t: Ref) -> Fn | None:
        if not has_chain(t):
            return None
        ref = t
        return lambda v: _relinker(ref.target)(v)  # type: ignore[misc]

    def default(self, t: WireType) -> Fn | None:
        return None


def _relink_fields(v: Any, fields: list[tuple[str, Fn]]) -> None:
    for n, f in fields:
        x = _get(v, n)
        if x is not _MISSING:  # else the type check names the missing field
            _set(v, n, f(x))


def _relink_sequence(f: Fn | None) -> Fn | None:
    if f is None:
        return None
    each = f

    def relink_sequence(v: Any) -> Any:
        if type(v) is list:
            for i, x in enumerate(v):
                v[i] = each(x)
            return v
        if type(v) is tuple:
            return tuple(each(x) for x in v)
        return v  # the type check refuses it

    return relink_sequence


def _relink_chain(t: Struct, head: list[tuple[str, Fn]], link: str) -> Fn:
    def relink_chain(nodes: Any) -> Any:
        if type(nodes) is not list or not nodes:
            raise BadChain(f"a {t.name} list is pickled as a non-empty list of its nodes")
        for k, node in enumerate(nodes):
            if _get(node, link) is not None:
                raise BadChain(f"node {k} of a {t.name} list: its {link} field must be None on the wire")
            _relink_fields(node, head)
        for a, b in zip(nodes, nodes[1:]):
            _set(a, link, b)
        return nodes[0]

    return relink_chain
