"""The parameters of the built-in rpc_semantics components (cheap to import: registration reads them)."""

from __future__ import annotations

import dataclasses

from distlab import param

__all__ = [
    "AliasParams",
    "AppendParams",
    "BinderCachedParams",
    "BinderParams",
    "ByValueParams",
    "CopyRestoreParams",
    "CopyRestoreReadonlyParams",
    "DynamicParams",
    "ForbidParams",
    "GeneratedParams",
    "GlobalRefParams",
    "LookupParams",
    "StaticParams",
]

_LENGTH = param(1000, "elements in the caller's list (dbList)", ge=1, le=1_000_000)
_ELEMENT = param(64, "bytes in one element", ge=1, le=1_048_576)


# -- passing ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ForbidParams:
    """``forbid``: no pointers; a parameter the callee writes is refused when the stub is built (no parameters)."""


@dataclasses.dataclass(frozen=True)
class ByValueParams:
    """``by_value``: copy in, nothing back (no parameters)."""


@dataclasses.dataclass(frozen=True)
class CopyRestoreParams:
    """``copy_restore``: copy in, copy every list back whole (no parameters)."""


@dataclasses.dataclass(frozen=True)
class CopyRestoreReadonlyParams:
    """``copy_restore_readonly``: copy in; ``in`` lists never come back, the others as changes only."""

    detect: str = param("chunk", "what the server returns of an in-out list: 'parameter' (all of it if anything "
                                 "changed, else nothing) or 'chunk' (only the changed elements)",
                        choices=("parameter", "chunk"))


@dataclasses.dataclass(frozen=True)
class GlobalRefParams:
    """``global_ref``: the server gets a handle and reads and writes the object where it lives."""

    store: str = param("callback", "where the object lives: 'callback' (with the caller, one callback per element "
                                   "the server reads or writes) or 'directory' (a directory both sides reach, as a "
                                   "shared file system: no callbacks)", choices=("callback", "directory"))


# -- binding ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StaticParams:
    """``static``: the server's address is known in advance (no parameters)."""


@dataclasses.dataclass(frozen=True)
class BinderParams:
    """``binder``: ask ``distlab binder`` before every call (no parameters)."""


@dataclasses.dataclass(frozen=True)
class BinderCachedParams:
    """``binder_cached``: ask the binder once; again only when a call finds no server (no parameters)."""


# -- stub -------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GeneratedParams:
    """``generated``: the stubs distlab's IDL compiler makes from ``semantics.x`` (no parameters)."""


@dataclasses.dataclass(frozen=True)
class DynamicParams:
    """``dynamic``: a reflective proxy, no IDL; every value carries its type (no parameters)."""


# -- call mix ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AppendParams:
    """``append_list``: the lecture's ``newlist = append(data, dbList)``."""

    list_length: int = _LENGTH
    element_bytes: int = _ELEMENT
    fraction_changed: float = param(0.1, "share of dbList's elements the server changes in each call",
                                    ge=0.0, le=1.0)
    appended: int = param(1, "elements in data (appended to dbList by each call)", ge=0, le=100_000)


@dataclasses.dataclass(frozen=True)
class LookupParams:
    """``read_mostly``: a read-mostly lookup of one element of dbList."""

    list_length: int = _LENGTH
    element_bytes: int = _ELEMENT
    write_fraction: float = param(0.0, "share of calls that also overwrite the element read (0: dbList is "
                                       "declared [in], read only)", ge=0.0, le=1.0)


@dataclasses.dataclass(frozen=True)
class AliasParams:
    """``aliasing``: one call with two list parameters, both appended to."""

    list_length: int = _LENGTH
    element_bytes: int = _ELEMENT
    same_object: bool = param(True, "pass one list as both arguments (aliasing)")
