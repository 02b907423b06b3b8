"""Parameters of components and worlds: declared once on a dataclass, checked and described everywhere.

A component's parameters are a frozen dataclass whose fields are declared with :func:`param`, which
carries a one-line doc and the allowed range. The same declaration feeds Hydra's ConfigStore (types),
:func:`build` (ranges, with errors that name the key), and ``distlab plugins`` (the listing).

A parameter declared with ``file=True`` names an input file: the case id then covers the file's content
(see :func:`input_files` and :mod:`distlab.case`), not only its name.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from distlab.errors import ParameterError

__all__ = ["RESERVED_NAMES", "RESERVED_SUFFIXES", "ParamInfo", "build", "check_defaults", "describe", "input_files", "input_path", "param"]

T = TypeVar("T")

_MISSING: Any = dataclasses.MISSING


def param(
    default: Any = _MISSING,
    doc: str = "",
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    choices: tuple[Any, ...] | None = None,
    power_of_two: bool = False,
    file: bool = False,
    default_factory: Callable[[], Any] | None = None,
) -> Any:
    """Declare one parameter field with its doc and allowed range.

    Args:
        default: the default value (every parameter needs one, so that a bare name runs).
        doc: one line saying what it is, with its unit if the name does not carry it.
        gt: exclusive lower bound. ge: inclusive lower bound.
        lt: exclusive upper bound. le: inclusive upper bound.
        choices: the only allowed values.
        power_of_two: the value must be a positive power of two.
        file: the value (a string) is the path of an input file, read with :func:`input_path`. The case id
            then includes the SHA-256 of the file's content, and provenance records it; an empty value
            (or null) means no file. Reading the file, and saying what happens when it is empty, is the
            component's business.
        default_factory: for mutable defaults (nested dataclasses).

    Returns:
        A ``dataclasses.field`` carrying the metadata.

    Examples:
        >>> @dataclasses.dataclass(frozen=True)
        ... class Params:
        ...     rounds: int = param(30, "rounds before giving up", ge=1)
        ...     table: str = param("", "a table to read (.csv)", file=True)
    """
    meta = {
        "doc": doc,
        "gt": gt,
        "ge": ge,
        "lt": lt,
        "le": le,
        "choices": choices,
        "power_of_two": power_of_two,
        "file": file,
    }
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class ParamInfo:
    """One parameter as ``distlab plugins`` lists it."""

    key: str
    type: str
    default: Any
    doc: str
    allowed: str
    file: bool = False


def _allowed(meta: Mapping[str, Any], tp: Any) -> str:
    """The allowed range of a field, in words."""
    parts: list[str] = []
    base = _type_name(tp)
    if meta.get("choices") is not None:
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    if meta.get("file"):
        empty = "empty or null" if _is_optional(tp) else "empty"
        return f"a path to a file relative to the working directory, or {empty}; its content is part of the case id"
    if meta.get("power_of_two"):
        parts.append("that is a power of two")
    for key, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if meta.get(key) is not None:
            parts.append(f"{sign} {_bound(meta[key])}")
    text = f"{_article(base)} {base}" + (" " + " and ".join(parts) if parts else "")
    if _is_optional(tp):
        text += ", or null"
    return text


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _base_type(tp: Any) -> Any:
    if _is_optional(tp):
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _bound(value: float) -> str:
    """A bound as a person reads it, and exactly: whole numbers below 10**7 in full, powers of two past a
    million as such (``2**25``, not ``3.35544e+07``), other numbers short when that is exact (``1e+11``),
    else in full."""
    if float(value).is_integer() and abs(value) < 2**63:
        whole = int(value)
        if abs(whole) < 10**7:
            return str(whole)
        if whole > 0 and whole & (whole - 1) == 0:
            return f"2**{whole.bit_length() - 1}"
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _type_name(tp: Any, meta: Mapping[str, Any] | None = None) -> str:
    if meta is not None and meta.get("file"):
        return "path"
    base = _base_type(tp)
    names = {int: "integer", float: "number", bool: "boolean", str: "string"}
    if base in names:
        return names[base]
    return getattr(base, "__name__", str(base))


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def describe(cls: type, prefix: str = "") -> list[ParamInfo]:
    """List the parameters of a dataclass (nested dataclasses flattened with dots).

    Args:
        cls: a parameter dataclass.
        prefix: prepended to every key.

    Returns:
        One :class:`ParamInfo` per leaf parameter, in declaration order.
    """
    hints = _hints(cls)
    out: list[ParamInfo] = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(_base_type(tp)):
            out.extend(describe(_base_type(tp), key + "."))
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        out.append(ParamInfo(key, _type_name(tp, f.metadata), default, f.metadata.get("doc", ""),
                             _allowed(f.metadata, tp), bool(f.metadata.get("file"))))
    return out


def input_path(value: str) -> Path:
    """The file a ``file=True`` parameter names: ``~`` expanded, a relative path taken from the working directory.

    Components read the file through this, and the case id hashes the file it names, so both see the
    same file. (Hydra's jobs keep the working directory of the command: ``hydra.job.chdir`` is false.)

    Examples:
        >>> input_path("traces/a.csv") == Path("traces/a.csv")
        True
    """
    return Path(value).expanduser()


def input_files(params: Any, prefix: str = "") -> dict[str, str]:
    """The input files a parameter dataclass instance names: ``file=True`` fields that are not empty.

    Args:
        params: an instance of a parameter dataclass (nested dataclasses are searched too).
        prefix: prepended to every key, e.g. ``"KIND."``.

    Returns:
        The full key of each such parameter, and its value (the path as given), in declaration order.

    Examples:
        >>> @dataclasses.dataclass(frozen=True)
        ... class Params:
        ...     table: str = param("", "a table to read", file=True)
        >>> input_files(Params("a.csv"), "shape."), input_files(Params())
        ({'shape.table': 'a.csv'}, {})
    """
    out: dict[str, str] = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.update(input_files(value, key + "."))
        elif f.metadata.get("file") and value:
            out[key] = str(value)
    return out


def _check_value(key: str, value: Any, tp: Any, meta: Mapping[str, Any]) -> Any:
    """Check one leaf value against its type and range; return it converted to the field type."""
    allowed = _allowed(meta, tp)
    if value is None:
        if _is_optional(tp):
            return None
        raise ParameterError(key, value, allowed)
    base = _base_type(tp)
    if base is bool:
        if not isinstance(value, bool):
            raise ParameterError(key, value, allowed)
    elif base is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ParameterError(key, value, allowed)
    elif base is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(key, value, allowed)
        value = float(value)
        if not math.isfinite(value):
            raise ParameterError(key, value, allowed + " (finite)")
    elif base is str:
        if not isinstance(value, str):
            raise ParameterError(key, value, allowed)
    if meta.get("choices") is not None and value not in meta["choices"]:
        raise ParameterError(key, value, allowed)
    if meta.get("power_of_two") and not (isinstance(value, int) and value > 0 and value & (value - 1) == 0):
        raise ParameterError(key, value, allowed)
    checks: tuple[tuple[str, Callable[[Any, Any], bool]], ...] = (
        ("gt", lambda v, b: bool(v > b)),
        ("ge", lambda v, b: bool(v >= b)),
        ("lt", lambda v, b: bool(v < b)),
        ("le", lambda v, b: bool(v <= b)),
    )
    for bound, ok in checks:
        b = meta.get(bound)
        if b is not None and not ok(value, b):
            raise ParameterError(key, value, allowed)
    return value


def build(cls: type[T], values: Mapping[str, Any] | None, prefix: str = "") -> T:
    """Build a parameter dataclass from plain values, checking every type and range.

    Unknown keys are rejected, missing keys take their defaults, nested dataclasses are built
    recursively. A ``ValueError`` raised by the dataclass's own ``__post_init__`` (for rules that
    tie several fields together) is turned into a :class:`ParameterError` naming the dataclass.

    Args:
        cls: the parameter dataclass.
        values: a mapping of field name to value (e.g. a resolved config node as a dict).
        prefix: the config key of ``values``, used in error messages (e.g. ``"KIND."``).

    Returns:
        An instance of ``cls``.

    Raises:
        ParameterError: naming the full key, the value and what is allowed.
    """
    values = dict(values or {})
    hints = _hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = {f.name for f in fields}
    for key in values:
        if key not in names:
            raise ParameterError(f"{prefix}{key}", values[key], "one of the keys " + ", ".join(sorted(names)))
    kwargs: dict[str, Any] = {}
    for f in fields:
        if f.name not in values:
            continue
        tp = hints[f.name]
        key = f"{prefix}{f.name}"
        value = values[f.name]
        base = _base_type(tp)
        if dataclasses.is_dataclass(base) and isinstance(base, type):
            if value is None and _is_optional(tp):
                kwargs[f.name] = None
            elif isinstance(value, Mapping):
                kwargs[f.name] = build(base, value, key + ".")
            elif isinstance(value, base):
                kwargs[f.name] = value
            else:
                raise ParameterError(key, value, f"a mapping of {base.__name__} parameters")
        else:
            kwargs[f.name] = _check_value(key, value, tp, f.metadata)
    try:
        return cls(**kwargs)
    except ParameterError as err:
        if prefix and not err.key.startswith(prefix):
            raise ParameterError(prefix + err.key, err.value, err.allowed) from None
        raise
    except (ValueError, TypeError) as err:
        raise ParameterError(prefix.rstrip(".") or cls.__name__, kwargs, str(err)) from None


RESERVED_NAMES = frozenset({"name", "preset", "version", "sha256", "plugin", "distribution", "code"})
"""Parameter names a component or world may not use: the result table and provenance put columns of
these names beside a kind's parameters (``KIND`` holds the name, ``KIND.preset``,
``KIND.version``, ``KIND.code``, ``KIND.path.sha256``, ...), and a parameter of the same name would collide."""
RESERVED_SUFFIXES = (".sha256",)


def check_defaults(cls: type) -> None:
    """Check that a parameter dataclass is frozen and that every field has a valid default.

    Raises:
        TypeError: if the class is not a frozen dataclass, a field has no default, a field's name is
            reserved (:data:`RESERVED_NAMES`), or a ``file=True`` field is not a string.
        ParameterError: if a default is outside its own declared range.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    params = getattr(cls, "__dataclass_params__")
    if not params.frozen:
        raise TypeError(f"parameter dataclass {cls.__name__} must be frozen (@dataclass(frozen=True))")
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in RESERVED_NAMES or f.name.endswith(RESERVED_SUFFIXES):
            raise TypeError(
                f"parameter {cls.__name__}.{f.name}: the name {f.name!r} is reserved, because the result table "
                f"already has a column named so beside a component's parameters (reserved: "
                f"{', '.join(sorted(RESERVED_NAMES))}, and names ending in {', '.join(RESERVED_SUFFIXES)}); rename it"
            )
        nested = _base_type(hints[f.name])
        if dataclasses.is_dataclass(nested) and isinstance(nested, type):
            check_defaults(nested)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise TypeError(f"parameter {cls.__name__}.{f.name} has no default")
        if f.metadata.get("file") and _base_type(hints[f.name]) is not str:
            raise TypeError(f"parameter {cls.__name__}.{f.name} is declared file=True, so its type must be str "
                            "(or str | None)")
    build(cls, dataclasses.asdict(cls()))
