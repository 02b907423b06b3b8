"""The ways of passing a reference parameter: forbid, by value, copy-restore (with and without the
read-only optimization) and global references.

Each mode picks the procedure of ``semantics.x`` whose suffix is its way (``_VALUE``, ``_RESTORE``,
``_DELTA``, ``_REF``) and updates the caller's lists from the reply as it promises. Copy-restore
writes into the caller's own list object (``lst[:] = ...``), so every name bound to it sees the
result, as a local call's reference would; with two aliased arguments it restores both copies in
order, and the last one wins (Tanenbaum & van Steen, Distributed Systems, sec. 4.2.2).
"""

from __future__ import annotations

from typing import Any

from distlab.rpc_semantics import Call, PointerParameterError, Remote, Signature, apply_delta
from distlab_rpc_semantics.params import (
    ByValueParams,
    CopyRestoreParams,
    CopyRestoreReadonlyParams,
    ForbidParams,
    GlobalRefParams,
)

__all__ = ["ByValue", "CopyRestore", "CopyRestoreReadonly", "Forbid", "GlobalRef"]


def _value_args(call: Call, remote: Remote, detect: int = 0) -> Any:
    """The argument struct of the call's ``_VALUE``/``_RESTORE``/``_DELTA`` procedures."""
    api, a = remote.api, call.args
    detect = detect or api.DETECT_PARAMETER
    if call.function == "append":
        return api.SemAppendArgs(a["data"], a["db"], a["touch"], detect)
    if call.function == "lookup":
        return api.SemLookupArgs(a["key"], a["put"], a["db"], detect)
    return api.SemAliasArgs(a["a"], a["b"], a["mark_a"], a["mark_b"], detect)


def _by_value(call: Call, remote: Remote) -> Any:
    args = _value_args(call, remote)
    if call.function == "append":
        return list(remote.stub.append_value(args))
    if call.function == "lookup":
        return remote.stub.lookup_value(args)
    remote.stub.alias_value(args)
    return None


class Forbid:
    """No pointers (as early Sun RPC): a parameter the callee writes cannot be declared; ``in`` lists go by value.

    Args:
        params: its parameters (none).
    """

    def __init__(self, params: ForbidParams | None = None) -> None:
        self.params = params or ForbidParams()

    def check(self, signature: Signature) -> None:
        """Refuse every parameter declared ``out`` or ``in out``: a pointer whose target the callee writes."""
        for p in signature.parameters:
            if p.direction != "in":
                raise PointerParameterError(
                    f"passing=forbid: parameter '{p.name}' of {signature.text()} is [{p.direction.replace(' ', ',')}], "
                    "a pointer the callee writes through, and pointers are forbidden; pass it with passing=by_value, "
                    "copy_restore, copy_restore_readonly or global_ref, or declare it [in]")

    def invoke(self, call: Call, remote: Remote) -> Any:
        """By value (the only lists left are ``in``)."""
        return _by_value(call, remote)


class ByValue:
    """Copy in, nothing comes back: the callee's changes to a list stay on the server.

    Args:
        params: its parameters (none).
    """

    def __init__(self, params: ByValueParams | None = None) -> None:
        self.params = params or ByValueParams()

    def check(self, signature: Signature) -> None:
        """Any signature goes (the semantics may not be the local call's: ``result_correct`` says)."""

    def invoke(self, call: Call, remote: Remote) -> Any:
        """The ``_VALUE`` procedure; ``append``'s result is a new list, not the caller's."""
        return _by_value(call, remote)


class CopyRestore:
    """Copy in, copy back every list whole, into the caller's own objects, in parameter order.

    Args:
        params: its parameters (none).
    """

    def __init__(self, params: CopyRestoreParams | None = None) -> None:
        self.params = params or CopyRestoreParams()

    def check(self, signature: Signature) -> None:
        """Any signature goes."""

    def invoke(self, call: Call, remote: Remote) -> Any:
        """The ``_RESTORE`` procedure, then restore."""
        args, a = _value_args(call, remote), call.args
        if call.function == "append":
            a["db"][:] = remote.stub.append_restore(args)
            return a["db"]
        if call.function == "lookup":
            r = remote.stub.lookup_restore(args)
            a["db"][:] = r.db
            return r.old
        r = remote.stub.alias_restore(args)
        a["a"][:] = r.a
        a["b"][:] = r.b  # if a is b, this copy overwrites the first: the last copy wins
        return None


class CopyRestoreReadonly:
    """Copy-restore with the read-only optimization: ``in`` lists never come back, ``in out`` lists only as changes.

    The directions come from the call's signature (DCE IDL's ``[in]``, ``[out]``, ``[in,out]``); what
    changed is found by the server per parameter or per chunk (one element) as ``detect`` says.

    Args:
        params: its parameters.
    """

    def __init__(self, params: CopyRestoreReadonlyParams | None = None) -> None:
        self.params = params or CopyRestoreReadonlyParams()

    def check(self, signature: Signature) -> None:
        """Any signature goes."""

    def invoke(self, call: Call, remote: Remote) -> Any:
        """``_VALUE`` if no list is written back by declaration, else ``_DELTA``, then apply the deltas."""
        writes = [p.name for p in call.signature.parameters if p.is_list and p.direction != "in"]
        if not writes:  # every list is [in]: nothing to return, so the by-value procedure is exact
            return _by_value(call, remote)
        api, a = remote.api, call.args
        detect = api.DETECT_CHUNK if self.params.detect == "chunk" else api.DETECT_PARAMETER
        args = _value_args(call, remote, detect)
        if call.function == "append":
            apply_delta(a["db"], remote.stub.append_delta(args))
            return a["db"]
        if call.function == "lookup":
            r = remote.stub.lookup_delta(args)
            apply_delta(a["db"], r.db)
            return r.old
        r = remote.stub.alias_delta(args)
        apply_delta(a["a"], r.a)
        apply_delta(a["b"], r.b)
        return None


class GlobalRef:
    """Global references: the server gets a handle to each list and reads and writes the list where it lives.

    ``store="callback"``: the caller's callback server (``SEMANTICS_CB_PROG``) serves the handles; every
    element read or written is one callback, one round trip over the link. ``store="directory"``: the
    list is kept in a directory both sides reach (a shared file system), which the server reads and
    writes directly: no callbacks; the caller's list is read back from it when the call returns. Either
    way one object passed twice is one handle: aliasing behaves as with a local pointer.

    Args:
        params: its parameters (none).
    """

    def __init__(self, params: GlobalRefParams | None = None) -> None:
        self.params = params or GlobalRefParams()

    def check(self, signature: Signature) -> None:
        """Any signature goes."""

    def invoke(self, call: Call, remote: Remote) -> Any:
        """The ``_REF`` procedure with handles in place of the lists the callee may write."""
        api, a, refs, store = remote.api, call.args, remote.refs, self.params.store
        try:
            if call.function == "append":
                remote.stub.append_ref(api.SemAppendRefArgs(a["data"], refs.handle(a["db"], store), a["touch"]))
                return a["db"]
            if call.function == "lookup":
                return remote.stub.lookup_ref(api.SemLookupRefArgs(a["key"], a["put"], refs.handle(a["db"], store)))
            remote.stub.alias_ref(api.SemAliasRefArgs(refs.handle(a["a"], store), refs.handle(a["b"], store),
                                                      a["mark_a"], a["mark_b"]))
            return None
        finally:
            refs.release()  # the handles of one call do not outlive it (a directory is read back first)
