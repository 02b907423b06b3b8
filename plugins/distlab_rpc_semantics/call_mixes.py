"""Workloads: the lecture's ``append(data, dbList)``, a read-mostly lookup, and an aliasing call.

Every call starts from a fresh copy of the same dbList (drawn once per trial from the trial's seed),
so a trial's calls are the same whatever the passing mode does to the caller's objects (common random
numbers across treatments), and the list does not grow over the trial.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from distlab.rpc_semantics import FUNCTIONS, Call, Parameter, RpcSemanticsWorld, Signature
from distlab_rpc_semantics.params import AliasParams, AppendParams, LookupParams

__all__ = ["Alias", "Append", "Lookup", "random_list"]


def random_list(rng: np.random.Generator, length: int, element_bytes: int) -> list[bytes]:
    """``length`` random elements of ``element_bytes`` each."""
    blob = rng.bytes(length * element_bytes)
    return [blob[i * element_bytes:(i + 1) * element_bytes] for i in range(length)]


class Append:
    """``newlist = append(data, dbList)``: the server inverts a share of dbList's elements and appends data.

    Args:
        params: list length, element size, share changed, elements appended.
    """

    def __init__(self, params: AppendParams | None = None) -> None:
        self.params = params or AppendParams()

    def signature(self) -> Signature:
        """``append([in] data, [in,out] db, [in] touch)``."""
        return FUNCTIONS["append"]

    def calls(self, world: RpcSemanticsWorld, rng: np.random.Generator) -> Iterator[Call]:
        """``world.calls`` calls, each on a fresh copy of one dbList."""
        p = self.params
        base = random_list(rng, p.list_length, p.element_bytes)
        changed = round(p.fraction_changed * p.list_length)
        for _ in range(world.calls):
            touch = sorted(int(i) for i in rng.choice(p.list_length, size=changed, replace=False))
            data = random_list(rng, p.appended, p.element_bytes)
            yield Call(self.signature(), {"data": data, "db": list(base), "touch": touch})


class Lookup:
    """A read-mostly lookup: read one element; on a share of calls, overwrite it too.

    With ``write_fraction = 0`` dbList is declared ``[in]`` (read only), otherwise ``[in,out]``.

    Args:
        params: list length, element size, share of calls that write.
    """

    def __init__(self, params: LookupParams | None = None) -> None:
        self.params = params or LookupParams()

    def signature(self) -> Signature:
        """``lookup([in] key, [in] put, [in] db)`` or ``[in,out] db`` if some calls write."""
        if self.params.write_fraction > 0:
            return FUNCTIONS["lookup"]
        return Signature("lookup", (Parameter("key", False), Parameter("put", False), Parameter("db", True, "in")))

    def calls(self, world: RpcSemanticsWorld, rng: np.random.Generator) -> Iterator[Call]:
        """``world.calls`` lookups of uniform keys."""
        p = self.params
        base = random_list(rng, p.list_length, p.element_bytes)
        signature = self.signature()
        for _ in range(world.calls):
            key = int(rng.integers(p.list_length))
            put = rng.bytes(p.element_bytes) if rng.random() < p.write_fraction else None
            yield Call(signature, {"key": key, "put": put, "db": list(base)})


class Alias:
    """``alias(a, b, mark_a, mark_b)`` with one list as both arguments: a reference sees both appends,
    copy-restore only the last copy restored.

    Args:
        params: list length, element size, whether the two arguments are one object.
    """

    def __init__(self, params: AliasParams | None = None) -> None:
        self.params = params or AliasParams()

    def signature(self) -> Signature:
        """``alias([in,out] a, [in,out] b, [in] mark_a, [in] mark_b)``."""
        return FUNCTIONS["alias"]

    def calls(self, world: RpcSemanticsWorld, rng: np.random.Generator) -> Iterator[Call]:
        """``world.calls`` calls, each on fresh copies of one list."""
        p = self.params
        base = random_list(rng, p.list_length, p.element_bytes)
        for _ in range(world.calls):
            a = list(base)
            b = a if p.same_object else list(base)
            mark_a, mark_b = rng.bytes(p.element_bytes), rng.bytes(p.element_bytes)
            yield Call(self.signature(), {"a": a, "b": b, "mark_a": mark_a, "mark_b": mark_b})
