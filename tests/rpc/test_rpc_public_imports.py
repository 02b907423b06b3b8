"""The built-in serializers plugin imports the framework only through its public names.

A plugin written by anyone else can use only what distlab documents as public; the built-in one is
held to the same rule, so that whatever it needs is on the public surface (``distlab.rpc.__all__``).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import distlab_serializers

PUBLIC = {
    "distlab",  # the core's public names
    "distlab.bench",  # a plugin's benchmark suite: its row format and timing helpers
    "distlab.rpc",  # the rpc study's public surface
    "distlab.rpc.arrays",  # the hot paths (numeric arrays, varints), public but apart: they import numba
    "distlab.rpc.kernels",
}

PLUGIN = Path(distlab_serializers.__file__).parent
MODULES = sorted(PLUGIN.rglob("*.py"))


def _is_module(package: str, name: str) -> bool:
    return _is_package(package) and importlib.util.find_spec(f"{package}.{name}") is not None


def _is_package(module: str) -> bool:
    spec = importlib.util.find_spec(module) if module == "distlab" or module.startswith("distlab.") else None
    return spec is not None and spec.submodule_search_locations is not None


def _framework_imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import of a ``distlab`` module, TYPE_CHECKING ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from distlab.rpc import arrays` imports the module distlab.rpc.arrays.
            modules = [f"{node.module}.{a.name}" if _is_module(node.module, a.name) else node.module for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        else:
            continue
        found += [(node.lineno, m) for m in modules if m == "distlab" or m.startswith("distlab.")]
    return found


def test_the_plugin_has_modules() -> None:
    assert len(MODULES) > 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_plugin_imports_only_public_names(path: Path) -> None:
    private = [f"{path.name}:{line} imports {m}" for line, m in _framework_imports(path) if m not in PUBLIC]
    assert not private, "use `from distlab.rpc import ...` (or distlab's public names) instead:\n" + "\n".join(private)


def test_every_name_the_plugin_takes_from_the_rpc_study_is_exported() -> None:
    import distlab.rpc

    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "distlab.rpc":
                for alias in node.names:
                    assert alias.name in distlab.rpc.__all__ or alias.name in {"arrays", "kernels"}, (path.name, alias.name)
