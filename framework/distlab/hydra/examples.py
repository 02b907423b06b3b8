"""Examples for messages, in the words of an installed study: the core names no study itself.

A message that teaches the override syntax shows it with real names (a kind, one of its components,
one of its parameters with a valid value), taken from the registry at the time of the message, so that
the example works as typed and a new study needs no edit here.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distlab.registry import Registry
    from distlab.study import Study

__all__ = ["override_example", "sweep_example", "world_example"]

_GENERIC = "KIND=NAME KIND.PARAM=VALUE"


def _study(registry: Registry | None) -> Study | None:
    studies = registry.studies() if registry is not None else []
    # A study that compares a kind has the example users most often need: choosing and tuning it.
    with_treatment = [s for s in studies if s.treatment and registry is not None and registry.components(s.treatment)]
    chosen = with_treatment or studies
    return chosen[0] if chosen else None


def _number_param(cls: type) -> tuple[str, Any] | None:
    """The first integer (else number) parameter of a dataclass and its default, as ``(key, value)``."""
    fields = [f for f in dataclasses.fields(cls) if not isinstance(f.default, bool)]
    for wanted in (int, float):
        for f in fields:
            if isinstance(f.default, wanted):
                return f.name, f.default
    for f in dataclasses.fields(cls):  # a nested dataclass (a world's sections)
        if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory):
            inner = _number_param(f.default_factory)
            if inner is not None:
                return f"{f.name}.{inner[0]}", inner[1]
    return None


def override_example(registry: Registry | None) -> str:
    """``KIND=NAME KIND.PARAM=VALUE`` with an installed study's names, e.g. to follow "Overrides are key=value".

    Examples:
        >>> override_example(None)
        'KIND=NAME KIND.PARAM=VALUE'
    """
    study = _study(registry)
    if study is None or registry is None or not study.treatment:
        return _GENERIC
    kind = study.treatment
    name = study.defaults.get(kind)
    component = registry.find(kind, name) if name else None
    if component is None:
        return _GENERIC
    param = _number_param(component.params)
    return f"{kind}={name}" + (f" {kind}.{param[0]}={param[1]}" if param else "")


def sweep_example(registry: Registry | None) -> str:
    """``KIND=A,B`` with two components of an installed study's kind (a sweep over them)."""
    study = _study(registry)
    if study is None or registry is None or not study.treatment:
        return "KIND=A,B"
    names = [c.name for c in registry.components(study.treatment)][:2]
    return f"{study.treatment}={','.join(names)}" if len(names) == 2 else "KIND=A,B"


def world_example(study: Study) -> str:
    """``world.PARAM=VALUE`` with one of ``study``'s world parameters and its default."""
    param = _number_param(study.world)
    return f"world.{param[0]}={param[1]}" if param else "world.PARAM=VALUE"
