"""Shared fixtures: the toy plugin (tests/fixtures/toy_plugin.py) and the environment to load it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
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


@pytest.fixture
def builtin_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In this process, a registry of the built-in plugins only."""
    from distlab import host

    for name in [n for n in os.environ if n.startswith("DISTLAB_")]:
        monkeypatch.delenv(name)
    host.reset()
    yield
    host.reset()
