"""Types on every public function: strict mypy over the core and the built-in plugins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from testkit import ROOT

# mypy cannot follow setuptools' editable-install finder, so the import names are mapped onto the
# source directories with symlinks, exactly as pyproject.toml's package-dir maps them.
PACKAGES = {
    "distlab": ROOT / "framework",
    "distlab_migration": ROOT / "plugins" / "distlab_migration",
    "distlab_serializers": ROOT / "plugins" / "distlab_serializers",
}


def test_strict_mypy_is_clean(tmp_path: Path) -> None:
    for name, source in PACKAGES.items():
        (tmp_path / name).symlink_to(source, target_is_directory=True)
    args = [arg for name in PACKAGES for arg in ("-p", name)]
    done = subprocess.run(
        [sys.executable, "-m", "mypy", *args, "--strict", "--ignore-missing-imports",
         "--cache-dir", str(tmp_path / ".mypy_cache")],
        cwd=tmp_path, env={"MYPYPATH": str(tmp_path), "PATH": ""}, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
