"""Fixtures of the rpc tests (helpers live in rpc_helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from rpc_helpers import CONFIGS, config_serializer, make


@pytest.fixture(params=sorted(CONFIGS))
def serializer(request: pytest.FixtureRequest) -> Any:
    """Each serializer configuration in turn."""
    return config_serializer(request.param)


@pytest.fixture
def xdr() -> Any:
    """The XDR serializer."""
    return make("xdr")
