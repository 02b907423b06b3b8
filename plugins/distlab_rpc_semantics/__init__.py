"""distlab's built-in rpc_semantics plugins: passing modes, binding policies, stubs and call mixes.

Registration is cheap: the parameter dataclasses live in ``params.py``; the implementations are
imported only when a case first uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distlab import hookimpl
from distlab_rpc_semantics.params import (
    AliasParams,
    AppendParams,
    BinderCachedParams,
    BinderParams,
    ByValueParams,
    CopyRestoreParams,
    CopyRestoreReadonlyParams,
    DynamicParams,
    ForbidParams,
    GeneratedParams,
    GlobalRefParams,
    LookupParams,
    StaticParams,
)

if TYPE_CHECKING:
    from distlab import Registrar

__all__ = ["register_components"]

_P = "distlab_rpc_semantics"


@hookimpl
def register_components(registrar: Registrar) -> None:
    """Register the built-in passing modes, binding policies, stubs and call mixes."""
    reg = registrar.register
    reg("passing", "forbid", ForbidParams, f"{_P}.passing:Forbid",
        doc="no pointers: a parameter the callee writes is refused when the stub is built")
    reg("passing", "by_value", ByValueParams, f"{_P}.passing:ByValue", doc="copy in, nothing back")
    reg("passing", "copy_restore", CopyRestoreParams, f"{_P}.passing:CopyRestore",
        doc="copy in, copy every list back into the caller's object")
    reg("passing", "copy_restore_readonly", CopyRestoreReadonlyParams, f"{_P}.passing:CopyRestoreReadonly",
        doc="copy-restore with the read-only optimization: [in] lists never return, others as changes")
    reg("passing", "global_ref", GlobalRefParams, f"{_P}.passing:GlobalRef",
        doc="a handle; the server reads and writes by calling back to the owner")
    reg("binding", "static", StaticParams, f"{_P}.binding:Static", doc="the address known in advance")
    reg("binding", "binder", BinderParams, f"{_P}.binding:Binder", doc="ask distlab binder before every call")
    reg("binding", "binder_cached", BinderCachedParams, f"{_P}.binding:BinderCached",
        doc="ask the binder once; again when the server is gone")
    reg("stub", "generated", GeneratedParams, f"{_P}.stubs:Generated",
        doc="generated from semantics.x by distlab's IDL compiler")
    reg("stub", "dynamic", DynamicParams, f"{_P}.stubs:Dynamic",
        doc="reflective proxy, no IDL: types travel with the values (Java RMI style)")
    reg("call_mix", "append_list", AppendParams, f"{_P}.call_mixes:Append", doc="newlist = append(data, dbList)")
    reg("call_mix", "read_mostly", LookupParams, f"{_P}.call_mixes:Lookup", doc="a read-mostly lookup")
    reg("call_mix", "aliasing", AliasParams, f"{_P}.call_mixes:Alias", doc="two arguments aliasing one list")
