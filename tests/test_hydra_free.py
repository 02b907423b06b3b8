"""Hydra stays in its wing: outside ``distlab.hydra``, distlab neither imports Hydra nor OmegaConf.

So the core (cases, the runner, the store, the report, the registry) works as a library, and a report
or ``distlab plugins`` does not pay for Hydra's import.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "framework" / "distlab"
WING = PACKAGE / "hydra"
HYDRA = ("hydra", "omegaconf")

# Everything of distlab but the wing, imported the way a library user or a verb imports it.
CORE = ["distlab", "distlab.bench", "distlab.case", "distlab.cli", "distlab.host", "distlab.listing",
        "distlab.params", "distlab.provenance", "distlab.registry", "distlab.report", "distlab.runner",
        "distlab.store", "distlab.study", "distlab.migration", "distlab.rpc"]


def _imported_after(code: str) -> list[str]:
    """The Hydra modules (and distlab's wing) in ``sys.modules`` after ``code`` runs in a fresh interpreter."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HYDRA!r} "
             "or m.startswith('distlab.hydra'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_core_imports_no_hydra() -> None:
    assert _imported_after("\n".join(f"import {name}" for name in CORE)) == []


def test_loading_the_plugins_and_listing_them_imports_no_hydra() -> None:
    code = "import io\nfrom distlab.listing import print_plugins\nprint_plugins(io.StringIO())"
    assert _imported_after(code) == []


def test_no_module_outside_the_wing_imports_hydra() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if WING in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno} imports {n}"
                          for n in names if n.split(".")[0] in HYDRA]
    assert offenders == []


def test_the_command_line_reaches_hydra_only_through_the_wing() -> None:
    """A verb that needs no Hydra (here --version) does not import it."""
    assert _imported_after("from distlab.cli import main\nmain(['--version'])") == []
