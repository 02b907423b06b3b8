"""Built-in plugins import distlab only through its public names, as a third-party plugin must.

The public surfaces are ``distlab`` and each study's package (``distlab.migration``, ``distlab.rpc``),
plus the test kit: ``distlab.testing`` and each study's contract checks (``distlab.migration.testing``,
``distlab.rpc.testing``), and ``distlab.bench`` for a plugin's benchmark suite (its row format and timing
helpers); each has a complete ``__all__`` (tests/test_public_api.py).
"""

from __future__ import annotations

import ast

import pytest

from testkit import ROOT

PUBLIC = {
    "distlab",
    "distlab.bench",
    "distlab.migration",
    "distlab.migration.testing",
    "distlab.rpc",
    "distlab.rpc.testing",
    "distlab.testing",
    "distlab.routing",
    "distlab.routing.testing",
    "distlab.rpc_semantics",
}
PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").is_file())


def _private_imports(package) -> list[str]:
    bad = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if (name == "distlab" or name.startswith("distlab.")) and name not in PUBLIC:
                    bad.append(f"{path.relative_to(package.parent)}:{node.lineno}: {name}")
    return bad


@pytest.mark.parametrize("package", PLUGINS, ids=lambda p: p.name)
def test_plugins_import_only_public_names(package) -> None:
    assert not _private_imports(package), "\n".join(_private_imports(package))


def test_the_check_sees_a_private_import(tmp_path) -> None:
    (tmp_path / "mod.py").write_text("from distlab.migration.session import Session\nimport distlab.registry\n")
    assert len(_private_imports(tmp_path)) == 2
