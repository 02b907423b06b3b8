"""Hydra's and OmegaConf's errors, as distlab says them: the key, the value and what is allowed."""

from __future__ import annotations

import os

import pytest

from testkit import run_cli
from distlab.errors import ConfigError


def _env() -> dict[str, str]:
    """The built-in plugins only (the real migration and rpc components)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}


def _fails(args: list[str]) -> str:
    """Run the command; it must stop before running anything, with one paragraph and no traceback."""
    done = run_cli(args, env=_env())
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    message = done.stderr.strip()
    assert message.startswith("distlab: error: ") and "\n" not in message
    for internal in ("object_type=", "full_key:", "use +", "To append", "HYDRA_FULL_ERROR"):
        assert internal not in message
    return message


def _preflight_fails(*overrides: str, multirun: bool = False) -> str:
    from distlab.hydra.preflight import preflight

    with pytest.raises(ConfigError) as caught:
        preflight(list(overrides), multirun=multirun)
    message = str(caught.value)
    assert "object_type=" not in message and "use +" not in message and "\n" not in message
    return message


# -- through the command, as a user meets them ----------------------------------------------------


@pytest.mark.parametrize("value, shown", [("abc", "'abc'"), ("2.5", "'2.5'")])
def test_a_value_of_the_wrong_type_names_key_value_and_range(value: str, shown: str) -> None:
    message = _fails([f"strategy.max_rounds={value}", "world.vm.memory_mib=64"])
    assert f"Invalid value for 'strategy.max_rounds': {shown} is not an integer." in message
    assert "Allowed: an integer >= 1 and <= 10000 (precopy's max_rounds: pre-copy rounds before giving up" in message


def test_a_key_typo_suggests_the_key_and_lists_its_level() -> None:
    message = _fails(["world.vm.memory_mb=64"])
    assert "Unknown key 'world.vm.memory_mb'" in message
    assert "did you mean 'world.vm.memory_mib'?" in message
    assert "world.vm.page_size_bytes, world.vm.cpu_state_bytes" in message


def test_a_parameter_the_chosen_component_lacks_names_who_has_it() -> None:
    message = _fails(["strategy=stop_and_copy", "strategy.max_rounds=5", "world.vm.memory_mib=64"])
    assert "stop_and_copy has no parameter 'max_rounds'; its parameters are: skip_zero_pages." in message
    assert "max_rounds is a parameter of hybrid and precopy" in message and "strategy=precopy" in message
    assert "+" not in message


def test_a_world_key_of_another_study_says_which_study_has_it() -> None:
    message = _fails(["study=rpc", "world.vm.memory_mib=64"])
    assert "the rpc study's world has no 'vm'" in message
    assert "its world parameters are: world.shape, world.size, world.string_bytes, world.min_time_s." in message
    assert "world parameter of the migration study: choose it with study=migration" in message


def test_an_unclosed_bracket_is_named() -> None:
    message = _fails(["strategy.max_rounds=[1", "world.vm.memory_mib=64"])
    assert "Cannot read the override 'strategy.max_rounds=[1': a '[' is never closed." in message
    assert "Overrides are key=value" in message


# -- through preflight, for the rest of the odd overrides ----------------------------------------


def test_a_kind_of_another_study(builtin_registry: None) -> None:
    keyed = _preflight_fails("study=rpc", "strategy.max_rounds=3")
    assert "the rpc study has no kind 'strategy' (strategy is a kind of the migration study" in keyed
    assert "The rpc study's kinds: serializer" in keyed
    chosen = _preflight_fails("serializer=cbor")
    assert "serializer is a kind of the oncrpc, rpc and rpc_semantics studies" in chosen and "study=rpc" in chosen and "+" not in chosen


@pytest.mark.parametrize("overrides, expected", [
    (["stratgy=precopy"], "Unknown key 'stratgy'; did you mean 'strategy'?"),
    (["sed=3"], "did you mean 'seed'?"),
    (["world.vmm.memory_mib=64"], "did you mean 'world.vm.memory_mib'?"),
    (["strategy.max_round=3"], "precopy has no parameter 'max_round'; did you mean 'strategy.max_rounds'?"),
    (["study=rpc", "serializer.byte_order=big"],
     "xdr has no parameter 'byte_order'; it has no parameters. byte_order is a parameter of native and ndr"),
    (["hydra.foo=1"], "'hydra' has no key 'foo'"),
])
def test_unknown_keys(overrides: list[str], expected: str, builtin_registry: None) -> None:
    assert expected in _preflight_fails(*overrides)


@pytest.mark.parametrize("overrides, expected", [
    (["strategy.max_rounds=null"], "'strategy.max_rounds': null is not allowed. Allowed: an integer >= 1"),
    (["strategy.max_rounds="], "an empty value is not an integer"),
    (["strategy.skip_zero_pages=maybe"], "'maybe' is not a boolean. Allowed: true or false (precopy's"),
    (["world.link.latency_ms=abc"], "'abc' is not a number. Allowed: a number >= 0 and < 1e+11 (the migration "
                                    "study's world.link.latency_ms: one-way latency"),
    (["world.vm.memory_mib=1e3"], "'world.vm.memory_mib': '1e3' is not an integer"),
    (["strategy.max_rounds=[1,2]"], "-m 'strategy.max_rounds=1,2'"),
    (["world.vm=5"], "'world.vm' is a group of parameters, not one value; set one of them"),
    (["world.vm.memory_mib.x=5"], "'world.vm.memory_mib' is a single value, not a group of keys"),
    (["hydra.job.chdir=maybe"], "'hydra.job.chdir': 'maybe' is not a boolean. Allowed: true or false."),
    (["strategy.max_rounds=${oops}"], "Cannot resolve the value of 'strategy.max_rounds': Interpolation key"),
])
def test_invalid_values(overrides: list[str], expected: str, builtin_registry: None) -> None:
    assert expected in _preflight_fails(*overrides)


@pytest.mark.parametrize("overrides, expected", [
    (["strategy.max rounds=3"], "unexpected ' ' at character 13"),
    (['strategy.max_rounds="abc'], "a \" is never closed"),
    (["strategy.max_rounds=foo(3)"], "Unknown function 'foo'; available: bool,choice"),
    (["world=rpcx"], "Unknown world 'rpcx'. A world comes with its study: choose it with study=NAME"),
    (["hydra/launcher=nope"], "Unknown hydra/launcher 'nope'. Available hydra/launcher names: basic, joblib"),
    (["+strategy=precopy"], "adds a second strategy, but one is already chosen; write strategy="),
    (["+strategy.max_rounds=3"], "write strategy.max_rounds=3 (without '+')"),
    (["+world=rpc"], "adds a second world, but the study already brings its own; choose a world by choosing"),
    (["strategy@x=precopy"], "Write strategy=precopy."),
    (["~strategy.max_rounds"], "Cannot delete 'strategy.max_rounds'"),
    (["~stratgy"], "did you mean '~strategy'?"),
])
def test_malformed_and_misused_overrides(overrides: list[str], expected: str, builtin_registry: None) -> None:
    assert expected in _preflight_fails(*overrides)


def test_sweep_errors(builtin_registry: None) -> None:
    swept = _preflight_fails("strategy=precopy,stop_and_copy", "strategy.max_rounds=3", multirun=True)
    assert "stop_and_copy has no parameter 'max_rounds'" in swept
    assert "is not an integer" in _preflight_fails("strategy.max_rounds=1,abc", multirun=True)
    assert "a sweep cannot enumerate" in _preflight_fails("strategy.max_rounds=interval(1,2)", multirun=True)


def test_the_study_from_the_overrides_when_the_error_does_not_say(builtin_registry: None) -> None:
    from hydra.errors import ConfigCompositionException

    from distlab.host import get_registry
    from distlab.hydra.errors import explain

    err = ConfigCompositionException("Could not override 'strategy'. No match in the defaults list.\n"
                                     "To append to your default list use +strategy=precopy")
    said = explain(err, get_registry(), ["study=rpc", "strategy=precopy"])
    assert said.startswith("Cannot choose strategy=precopy: the rpc study has no kind 'strategy'")
    assert "The rpc study's kinds: serializer." in said
    twice = ConfigCompositionException("strategy appears more than once in the final defaults list")
    assert "write strategy=precopy (without '+')" in explain(twice, get_registry(), ["+strategy=precopy"])


def test_anything_else_keeps_hydras_words_without_its_internals(builtin_registry: None) -> None:
    from hydra.errors import HydraException

    from distlab.host import get_registry
    from distlab.hydra.errors import explain

    said = explain(HydraException("Something new\n    full_key: a.b\n    object_type=X"), get_registry())
    assert said == "Something new"
