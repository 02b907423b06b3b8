"""Shared fixtures: the toy plugin (tests/fixtures/toy_plugin.py) and ways to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(FIXTURES))


@pytest.fixture
def toy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An environment in which the toy plugin loads (in this process and in subprocesses)."""
    from distlab import host

    path = os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("DISTLAB_PLUGINS", "toy_plugin")
    host.reset()
    yield dict(os.environ)
    host.reset()


def run_cli(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``distlab`` command in a subprocess."""
    exe = Path(sys.executable).with_name("distlab")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "distlab"]
    return subprocess.run(command + args, capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
