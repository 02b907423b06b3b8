"""Fixtures of the rpc tests (helpers live in rpc_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# Tests import their helpers (rpc_helpers) by module name, also under
# --import-mode=importlib, which does not put test folders on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rpc_helpers import CONFIGS, config_serializer, make  # noqa: E402


@pytest.fixture(params=sorted(CONFIGS))
def serializer(request: pytest.FixtureRequest) -> Any:
    """Each serializer configuration in turn."""
    return config_serializer(request.param)


@pytest.fixture
def xdr() -> Any:
    """The XDR serializer."""
    return make("xdr")
