"""``distlab plugins``: every study, kind and component, with where it comes from and its parameters."""

from __future__ import annotations

from typing import Any, TextIO

from distlab.host import get_registry
from distlab.params import ParamInfo, describe

__all__ = ["plugins_json", "print_plugins"]


def _param_lines(infos: list[ParamInfo], indent: str, prefix: str) -> list[str]:
    lines = []
    for p in infos:
        default = "null" if p.default is None else repr(p.default)
        lines.append(f"{indent}{prefix}{p.key}: {p.type} = {default}  ({p.allowed})")
        if p.doc:
            lines.append(f"{indent}    {p.doc}")
    return lines


def plugins_json() -> dict[str, Any]:
    """The registry as ``distlab plugins --json`` prints it: studies (world parameters, kinds, components,
    metrics), the plugins loaded and those that failed to load."""
    import dataclasses

    registry = get_registry()

    def params(infos: list[ParamInfo]) -> list[dict[str, Any]]:
        return [dataclasses.asdict(p) if dataclasses.is_dataclass(p) else vars(p) for p in infos]

    studies = []
    for study in registry.studies():
        kinds = []
        for kind in study.kinds:
            kinds.append({"name": kind.name, "doc": kind.doc, "default": study.defaults.get(kind.name), "components": [
                {"name": c.name, "doc": c.doc, "plugin": c.plugin, "distribution": c.distribution,
                 "version": c.version, "params": params(describe(c.params))}
                for c in registry.components(kind.name)]})
        studies.append({"name": study.name, "doc": study.doc, "treatment": study.treatment,
                        "world": params(describe(study.world)), "kinds": kinds,
                        "metrics": [dataclasses.asdict(m) for m in study.metrics],
                        "figures": [dataclasses.asdict(f) for f in study.figures]})
    return {"studies": studies,
            "plugins": [{"name": p.name, "distribution": p.distribution, "version": p.version}
                        for p in registry.plugins.values()],
            "failures": dict(registry.failures)}


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
