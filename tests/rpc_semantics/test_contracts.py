"""Every built-in component passes its kind's contract check, and the checks catch broken components."""

from __future__ import annotations

import pytest

from distlab.rpc_semantics.testing import check_binding, check_call_mix, check_passing, check_stub
from distlab.testing import check_component

BUILTIN = {
    "passing": ["forbid", "by_value", "copy_restore", "copy_restore_readonly", "global_ref"],
    "binding": ["static", "binder", "binder_cached"],
    "stub": ["generated", "dynamic"],
    "call_mix": ["append_list", "read_mostly", "aliasing"],
}


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, names in BUILTIN.items() for n in names])
def test_builtin_components_keep_their_contract(kind: str, name: str) -> None:
    check_component(kind, name)


def test_a_passing_mode_that_breaks_a_read_only_call_is_caught() -> None:
    from distlab_rpc_semantics.passing import ByValue

    class Clobbers(ByValue):
        def invoke(self, call, remote):  # noqa: ANN001, ANN202 - a deliberately broken component
            result = super().invoke(call, remote)
            call.args["db"][:] = []
            return result

    with pytest.raises(AssertionError, match="changed the caller's list"):
        check_passing(Clobbers())


def test_a_binding_that_hides_its_lookups_is_caught() -> None:
    from distlab_rpc_semantics.binding import Binder

    class Hides(Binder):
        uses_binder = False

    with pytest.raises(AssertionError, match="uses_binder"):
        check_binding(Hides())


def test_a_stub_that_cannot_travel_is_caught() -> None:
    from distlab_rpc_semantics.stubs import Generated

    broken = Generated()
    broken.hook = lambda: None  # a lambda does not pickle
    with pytest.raises(AssertionError, match="does not pickle"):
        check_stub(broken)


def test_a_call_mix_with_the_wrong_arguments_is_caught() -> None:
    import numpy as np

    from distlab.rpc_semantics import FUNCTIONS, Call

    class Wrong:
        def signature(self):  # noqa: ANN202
            return FUNCTIONS["append"]

        def calls(self, world, rng: np.random.Generator):  # noqa: ANN001, ANN202
            for _ in range(world.calls):
                yield Call(FUNCTIONS["append"], {"data": [], "db": []})

    with pytest.raises(AssertionError, match="not the parameters"):
        check_call_mix(Wrong())
