"""The world's link: an unlimited bandwidth is null (not 0, which a report would print as '0 bit/s')."""

from __future__ import annotations

import pytest

from distlab.params import ParameterError, build
from distlab.rpc_semantics import RpcSemanticsWorld
from distlab.rpc_semantics.links import LinkPool


def test_an_unlimited_link_is_null_and_the_default() -> None:
    assert RpcSemanticsWorld().bandwidth_mbit_s is None
    assert build(RpcSemanticsWorld, {"bandwidth_mbit_s": None}, "world.").bandwidth_mbit_s is None
    assert LinkPool(0.0, RpcSemanticsWorld().bandwidth_mbit_s).method == "direct"  # nothing to shape
    assert build(RpcSemanticsWorld, {"bandwidth_mbit_s": 100}, "world.").bandwidth_mbit_s == 100.0


@pytest.mark.parametrize("value", [-1.0, 0.0])
def test_a_bandwidth_of_zero_or_less_is_refused_naming_null(value: float) -> None:
    with pytest.raises(ParameterError, match=r"world\.bandwidth_mbit_s.*> 0.*or null"):
        build(RpcSemanticsWorld, {"bandwidth_mbit_s": value}, "world.")
