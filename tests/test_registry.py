"""The registry and the plugin host: registration, lookups, ConfigStore, broken plugins."""

from __future__ import annotations

import dataclasses
import sys
import types

import pytest

from distlab import hookimpl, param
from distlab.errors import PluginError, UnknownComponentError
from distlab.host import PluginLoadWarning, load_registry


def test_toy_plugin_registers_study_kind_and_components() -> None:
    import toy_plugin

    registry = load_registry(autoload=False, plugins=[], modules=[toy_plugin])
    names = [s.name for s in registry.studies()]
    # The installed studies (found through distlab.studies), then the plugin's: sorted by name.
    assert names == sorted(names) and {"migration", "rpc", "toy"} <= set(names)
    assert [c.name for c in registry.components("shape")] == ["constant", "uniform"]
    comp = registry.component("shape", "constant")
    assert comp.create(comp.params()).draw(None, 2.0) == 12.0


def test_unknown_names_suggest_the_nearest() -> None:
    import toy_plugin

    registry = load_registry(autoload=False, plugins=[], modules=[toy_plugin])
    with pytest.raises(UnknownComponentError) as err:
        registry.component("shape", "unifrom")
    assert err.value.suggestion == "uniform"
    assert "Did you mean 'uniform'?" in str(err.value)
    assert "constant, uniform" in str(err.value)
    with pytest.raises(UnknownComponentError, match="Available study names"):
        registry.study("nosuch")


def test_configs_reach_hydras_config_store() -> None:
    import toy_plugin
    from hydra.core.config_store import ConfigStore

    from distlab.hydra.config_store import store_configs

    store_configs(load_registry(autoload=False, plugins=[], modules=[toy_plugin]))
    repo = ConfigStore.instance().repo
    assert "uniform.yaml" in repo["shape"]
    assert "toy.yaml" in repo["study"] and "toy.yaml" in repo["world"]


def _plugin(name: str, body) -> types.ModuleType:
    module = types.ModuleType(name)
    module.register_components = hookimpl(body)  # type: ignore[attr-defined]
    return module


@dataclasses.dataclass(frozen=True)
class P:
    x: int = param(1, "x")


def test_broken_plugin_is_named_and_others_keep_working(monkeypatch: pytest.MonkeyPatch) -> None:
    import toy_plugin

    def bad(registrar):
        raise RuntimeError("this plugin is broken")

    with pytest.warns(PluginLoadWarning, match="'broken'.*this plugin is broken"):
        registry = load_registry(autoload=False, plugins=[], modules=[toy_plugin, _plugin("broken", bad)])
    assert "broken" in registry.failures
    assert registry.components("shape")


def test_plugin_that_fails_to_import_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.warns(PluginLoadWarning, match="no_such_plugin_module"):
        registry = load_registry(autoload=False, plugins=["no_such_plugin_module"])
    assert "no_such_plugin_module" in registry.failures


def test_registration_rules() -> None:
    import toy_plugin

    def unknown_kind(registrar):
        registrar.register("nokind", "a", P, lambda p: p)

    with pytest.warns(PluginLoadWarning, match="unknown kind 'nokind'"):
        load_registry(autoload=False, plugins=[], modules=[toy_plugin, _plugin("u", unknown_kind)])

    def shared_params(registrar):
        registrar.register("shape", "one", P, lambda p: p)
        registrar.register("shape", "two", P, lambda p: p)

    with pytest.warns(PluginLoadWarning, match="reuses the parameter class"):
        load_registry(autoload=False, plugins=[], modules=[toy_plugin, _plugin("s", shared_params)])

    @dataclasses.dataclass
    class Mutable:
        x: int = 1

    def mutable(registrar):
        registrar.register("shape", "m", Mutable, lambda p: p)

    with pytest.warns(PluginLoadWarning, match="frozen"):
        load_registry(autoload=False, plugins=[], modules=[toy_plugin, _plugin("m", mutable)])


def test_autoload_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTLAB_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("DISTLAB_PLUGINS", raising=False)
    registry = load_registry()
    assert registry.plugins == {}
    assert list(registry) == []
    monkeypatch.setenv("DISTLAB_DISABLE_PLUGIN_AUTOLOAD", "0")
    registry = load_registry()
    assert "migration" in registry.plugins  # the built-in plugin, through its entry point


def test_registration_imports_no_heavy_modules() -> None:
    import subprocess

    code = (
        "import sys, distlab.host as h; h.load_registry(); "
        "heavy = [m for m in ('numba', 'polars', 'matplotlib', 'scipy') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_reserved_kind_names_are_refused() -> None:
    from distlab import Kind
    from distlab.registry import Registry

    with pytest.raises(PluginError):
        Registry().add_kind(Kind("world", object, ""))


def test_a_plugin_reusing_a_built_in_name_loses_that_name_only() -> None:
    """Plugins named alphabetically before 'migration' must not take over a built-in strategy."""
    import distlab_migration

    @dataclasses.dataclass(frozen=True)
    class Mine:
        x: int = param(1, "x")

    @dataclasses.dataclass(frozen=True)
    class Other:
        y: int = param(1, "y")

    def clashing(registrar):
        registrar.register("strategy", "precopy", Mine, lambda p: p)
        registrar.register("strategy", "my_own", Other, lambda p: p)

    with pytest.warns(PluginLoadWarning, match="registers strategy 'precopy', which .* already registered"):
        registry = load_registry(autoload=False, plugins=[],
                                 modules=[_plugin("aaa_clash", clashing), distlab_migration])
    assert registry.component("strategy", "precopy").plugin == "distlab_migration"
    assert registry.component("strategy", "my_own").plugin == "aaa_clash"
    assert registry.component("workload", "hotset")  # the built-in plugin is whole
    assert not registry.failures


@pytest.mark.parametrize("reserved", ["version", "preset", "name", "sha256", "code"])
def test_parameter_names_the_result_table_reserves_are_refused(reserved: str) -> None:
    import toy_plugin

    Params = dataclasses.make_dataclass("Params", [(reserved, int, dataclasses.field(default=1))], frozen=True)

    def register(registrar):
        registrar.register("shape", "clash", Params, lambda p: p)

    with pytest.warns(PluginLoadWarning, match=rf"'{reserved}' is reserved.*rename it"):
        registry = load_registry(autoload=False, plugins=[], modules=[toy_plugin, _plugin("r", register)])
    assert registry.find("shape", "clash") is None and registry.find("shape", "uniform") is not None


def test_a_reserved_name_inside_a_nested_parameter_is_refused_too() -> None:
    import toy_plugin

    Inner = dataclasses.make_dataclass("Inner", [("version", int, dataclasses.field(default=1))], frozen=True)
    Outer = dataclasses.make_dataclass("Outer", [("inner", Inner, dataclasses.field(default_factory=Inner))],
                                       frozen=True)

    def register(registrar):
        registrar.register("shape", "nested", Outer, lambda p: p)

    with pytest.warns(PluginLoadWarning, match="Inner.version: the name 'version' is reserved"):
        load_registry(autoload=False, plugins=[], modules=[toy_plugin, _plugin("n", register)])


def test_a_study_or_plugin_adds_a_verb_of_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    import toy_plugin

    from distlab import cli, host

    calls = []

    def hello(args: list[str]) -> int:
        calls.append(args)
        return 3

    def register(registrar):
        registrar.add_command("hello", hello)

    registry = load_registry(autoload=False, plugins=[], modules=[toy_plugin, _plugin("h", register)])
    assert registry.commands["hello"] is hello
    host._cache = (__import__("os").getpid(), registry)  # this process's registry, as get_registry builds it
    try:
        assert cli.main(["hello", "a", "--b"]) == 3 and calls == [["a", "--b"]]
        assert cli.main(["helo"]) == 2
        assert "did you mean 'hello'?" in capsys.readouterr().err
    finally:
        host.reset()

    def bad(registrar):
        registrar.add_command("Not A Name", hello)

    with pytest.warns(PluginLoadWarning, match="invalid command name"):
        load_registry(autoload=False, plugins=[], modules=[toy_plugin, _plugin("b", bad)])
