"""Types on every public function: strict mypy over the core and the built-in plugins, as a plain command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from testkit import ROOT


def test_plain_strict_mypy_is_clean(tmp_path: Path) -> None:
    # pyproject.toml's [tool.mypy] names the two source roots; nothing is mapped or linked by hand.
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / ".mypy_cache")],
        cwd=ROOT, env={**os.environ, "MYPYPATH": ""}, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "--strict" not in " ".join(done.args) and "strict = true" in (ROOT / "pyproject.toml").read_text()
