"""``distlab plugins``: every study, kind and component, with where it comes from and its parameters."""

from __future__ import annotations

from typing import TextIO

from distlab.host import get_registry
from distlab.params import ParamInfo, describe

__all__ = ["print_plugins"]


def _param_lines(infos: list[ParamInfo], indent: str, prefix: str) -> list[str]:
    lines = []
    for p in infos:
        default = "null" if p.default is None else repr(p.default)
        lines.append(f"{indent}{prefix}{p.key}: {p.type} = {default}  ({p.allowed})")
        if p.doc:
            lines.append(f"{indent}    {p.doc}")
    return lines


def print_plugins(out: TextIO | None = None) -> None:
    """Print the registry: studies, their world parameters, kinds and components."""
    import sys

    out = out or sys.stdout
    registry = get_registry()
    lines: list[str] = []
    for study in registry.studies():
        lines.append(f"study {study.name}: {study.doc}")
        lines.append("  world parameters (world.*):")
        lines += _param_lines(describe(study.world), "    ", "world.")
        for kind in study.kinds:
            lines.append(f"  kind {kind.name}: {kind.doc}")
            components = registry.components(kind.name)
            if not components:
                lines.append("    (no component registered)")
            for comp in components:
                origin = f"{comp.distribution} {comp.version}".strip() or comp.plugin
                default = "  [default]" if study.defaults.get(kind.name) == comp.name else ""
                lines.append(f"    {kind.name}={comp.name}  ({origin}; plugin {comp.plugin}){default}")
                if comp.doc:
                    lines.append(f"      {comp.doc}")
                lines += _param_lines(describe(comp.params), "      ", f"{kind.name}.")
        lines.append("")
    loaded = [
        f"{p.name} ({p.distribution} {p.version})" if p.distribution else p.name for p in registry.plugins.values()
    ]
    lines.append("plugins loaded: " + (", ".join(loaded) or "none"))
    for name, error in registry.failures.items():
        lines.append(f"plugin {name} FAILED to load: {error}")
    print("\n".join(lines), file=out)
