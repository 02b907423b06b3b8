"""The registry: every study, kind and component that the loaded plugins registered.

Plugins see it through a :class:`Registrar`, which records who registered what. The Hydra wing writes
every parameter dataclass it holds into Hydra's ConfigStore (:mod:`distlab.hydra.config_store`), so
that ``KIND=NAME KIND.PARAM=VALUE`` selects and type-checks a component; the registry itself knows no Hydra.
"""

from __future__ import annotations

import dataclasses
import keyword
import re
from collections.abc import Callable, Iterator
from typing import Any

from distlab.component import Component, Kind
from distlab.errors import PluginError, UnknownComponentError
from distlab.params import check_defaults
from distlab.study import Study

__all__ = ["PluginInfo", "PluginLoadWarning", "Registrar", "Registry"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Hydra's own config groups and our top-level keys can't be used as kind names.
_RESERVED = {"hydra", "study", "world", "seed", "repeats", "force", "retry_failed", "trial_timeout_s", "provenance",
             "defaults"}


class PluginLoadWarning(UserWarning):
    """A plugin failed to import or to register, or one of its components clashed, and was skipped."""


@dataclasses.dataclass(frozen=True)
class PluginInfo:
    """Where a plugin comes from.

    Attributes:
        name: the entry-point name (or module name for a plugin loaded by hand).
        module: the import name of the plugin module.
        distribution: the distribution that ships it ("" if not installed as one).
        version: that distribution's version ("" if unknown).
    """

    name: str
    module: str
    distribution: str
    version: str


class Registry:
    """Studies, kinds and components, by name."""

    def __init__(self) -> None:
        self._studies: dict[str, Study] = {}
        self._kinds: dict[str, Kind] = {}
        self._components: dict[str, dict[str, Component]] = {}
        self.plugins: dict[str, PluginInfo] = {}
        self.failures: dict[str, str] = {}
        self.benchmarks: dict[str, str | Callable[[bool], list[dict[str, Any]]]] = {}
        """Speed benchmarks by suite name: a study's ``bench`` and those plugins added."""
        self.commands: dict[str, str | Callable[[list[str]], int]] = {}
        """Verbs of the command line by name (``distlab NAME ARGS``): a study's ``commands`` and those plugins added."""

    # -- registration ---------------------------------------------------------------------------

    def add_kind(self, kind: Kind) -> None:
        """Declare a plugin kind (its name becomes a top-level config group)."""
        if not _NAME.match(kind.name) or kind.name in _RESERVED or keyword.iskeyword(kind.name):
            raise PluginError(f"invalid kind name {kind.name!r}: use snake_case, not one of {sorted(_RESERVED)}")
        existing = self._kinds.get(kind.name)
        if existing is not None and existing != kind:
            owners = ", ".join(s.name for s in self.studies_of(kind.name)) or "a plugin"
            raise PluginError(f"kind {kind.name!r} is already declared (by {owners}) with another contract; "
                              "a study that shares a kind lists the same Kind object")
        self._kinds[kind.name] = kind
        self._components.setdefault(kind.name, {})

    def add_study(self, study: Study) -> None:
        """Declare a study and its kinds."""
        if not _NAME.match(study.name):
            raise PluginError(f"invalid study name {study.name!r}: use snake_case")
        if study.name in self._studies and self._studies[study.name] is not study:
            raise PluginError(f"study {study.name!r} is already declared")
        check_defaults(study.world)
        for kind in study.kinds:
            self.add_kind(kind)
        self._studies[study.name] = study
        if study.bench is not None:
            self.benchmarks.setdefault(study.name, study.bench)
        for name, ref in study.commands.items():
            self.add_command(name, ref)

    def add_command(self, name: str, main: str | Callable[[list[str]], int]) -> None:
        """Add a verb of the command line: ``distlab NAME ARGS`` calls ``main(ARGS)`` for its exit status."""
        if not re.match(r"^[a-z][a-z0-9-]*$", name):
            raise PluginError(f"invalid command name {name!r}: lower case letters, digits and '-'")
        if name in self.commands and self.commands[name] != main:
            raise PluginError(f"command {name!r} is already added")
        self.commands[name] = main

    def add_benchmark(self, suite: str, run: str | Callable[[bool], list[dict[str, Any]]]) -> None:
        """Add a suite of speed benchmarks (``run(quick) -> rows``) that ``distlab bench`` runs."""
        if not _NAME.match(suite):
            raise PluginError(f"invalid benchmark suite name {suite!r}: use snake_case")
        if suite in self.benchmarks:
            raise PluginError(f"benchmark suite {suite!r} is already added")
        self.benchmarks[suite] = run

    def add_component(self, component: Component) -> None:
        """Add one component; its kind must be declared first."""
        if component.kind not in self._kinds:
            raise PluginError(
                f"plugin {component.plugin!r} registers {component.name!r} for unknown kind "
                f"{component.kind!r}; declared kinds: {', '.join(sorted(self._kinds))}"
            )
        if not _NAME.match(component.name):
            raise PluginError(f"invalid component name {component.name!r}: use snake_case")
        try:
            check_defaults(component.params)
        except Exception as err:
            raise PluginError(f"{component.kind} {component.name!r}: {err}") from err
        same = self._components[component.kind].get(component.name)
        if same is not None and same.plugin != component.plugin:
            raise PluginError(
                f"{component.kind} {component.name!r} is registered by both {same.plugin!r} and {component.plugin!r}"
            )
        for other in self._components[component.kind].values():
            if other.params is component.params and other.name != component.name:
                raise PluginError(
                    f"{component.kind} {component.name!r} reuses the parameter class of {other.name!r}; "
                    "each component needs its own (the config's type says which component it is)"
                )
        self._components[component.kind][component.name] = component

    def forget(self, plugin: str) -> None:
        """Drop every component a plugin registered (its hook failed half-way)."""
        self.plugins.pop(plugin, None)
        for components in self._components.values():
            for name in [n for n, c in components.items() if c.plugin == plugin]:
                del components[name]

    # -- queries --------------------------------------------------------------------------------

    def study(self, name: str) -> Study:
        """The study named ``name``; an :class:`UnknownComponentError` lists the others."""
        try:
            return self._studies[name]
        except KeyError:
            raise UnknownComponentError("study", name, list(self._studies)) from None

    def studies(self) -> list[Study]:
        """Every study, by name."""
        return [self._studies[n] for n in sorted(self._studies)]

    def kind(self, name: str) -> Kind:
        """The kind named ``name``."""
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownComponentError("kind", name, list(self._kinds)) from None

    def kinds(self) -> list[Kind]:
        """Every declared kind, by name."""
        return [self._kinds[n] for n in sorted(self._kinds)]

    def studies_of(self, kind: str) -> list[Study]:
        """The studies that list the kind ``kind`` (none for a kind a plugin declared on its own)."""
        return [s for s in self.studies() if any(k.name == kind for k in s.kinds)]

    def component(self, kind: str, name: str) -> Component:
        """The component ``name`` of ``kind``; an :class:`UnknownComponentError` suggests the nearest."""
        self.kind(kind)
        try:
            return self._components[kind][name]
        except KeyError:
            raise UnknownComponentError(kind, name, list(self._components[kind])) from None

    def find(self, kind: str, name: str) -> Component | None:
        """The component ``name`` of ``kind``, or None (also for an unknown kind)."""
        return self._components.get(kind, {}).get(name)

    def component_for_params(self, kind: str, params: type | None) -> Component | None:
        """The component of ``kind`` whose parameter class is ``params``, if any.

        A config node keeps its dataclass type through Hydra's composition, also when a preset
        (a YAML option in an experiment's config directory) extends a component's config under
        another name; this is how a preset is traced back to its component.
        """
        for comp in self._components.get(kind, {}).values():
            if comp.params is params:
                return comp
        return None

    def components(self, kind: str) -> list[Component]:
        """Every component of ``kind``, by name."""
        self.kind(kind)
        return [self._components[kind][n] for n in sorted(self._components[kind])]

    def __iter__(self) -> Iterator[Component]:
        for kind in sorted(self._components):
            yield from self.components(kind)


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


class Registrar:
    """What a plugin's ``register_components`` hook receives: the registry, bound to that plugin."""

    def __init__(self, registry: Registry, plugin: PluginInfo) -> None:
        self._registry = registry
        self._plugin = plugin

    def register(
        self,
        kind: str,
        name: str,
        params: type,
        factory: str | Callable[[Any], Any],
        *,
        doc: str = "",
    ) -> None:
        """Register a component.

        Args:
            kind: the name of the kind it implements.
            name: its name, snake_case, unique within the kind.
            params: its frozen parameter dataclass (every field with a default).
            factory: ``"module:attr"`` imported on first use (keep registration cheap), or a callable;
                called with a ``params`` instance, it returns the component.
            doc: one line saying what it does.

        A name another plugin already registered for the kind is skipped with a
        :class:`~distlab.errors.PluginLoadWarning` (distlab's own plugins register first, so a
        third-party plugin cannot take over a built-in name); the plugin's other components stay.

        Raises:
            PluginError: if the kind is unknown, the name is invalid, or ``params`` is not a frozen
                dataclass whose defaults are valid.
        """
        taken = self._registry.find(kind, name)
        if taken is not None and taken.plugin != self._plugin.name:
            import warnings

            owner = f"{taken.plugin} ({taken.distribution} {taken.version})".replace(" ( )", "")
            warnings.warn(
                f"distlab plugin {self._plugin.name!r} registers {kind} {name!r}, which {owner} already "
                f"registered; the first is kept and this one is skipped. Rename it in {self._plugin.name!r}.",
                PluginLoadWarning,
                stacklevel=2,
            )
            return
        self._registry.add_component(
            Component(
                kind=kind,
                name=name,
                params=params,
                factory=factory,
                doc=doc or _first_line(params.__doc__),
                plugin=self._plugin.name,
                distribution=self._plugin.distribution,
                version=self._plugin.version,
                module=self._plugin.module,
            )
        )

    def add_kind(self, kind: Kind) -> None:
        """Declare a new plugin kind (for a plugin that extends a study)."""
        self._registry.add_kind(kind)

    def add_study(self, study: Study) -> None:
        """Declare a new study with its kinds (a study can also come from the ``distlab.studies`` entry-point group)."""
        self._registry.add_study(study)

    def add_command(self, name: str, main: str | Callable[[list[str]], int]) -> None:
        """Add a verb of the command line: ``distlab NAME ARGS`` calls ``main(ARGS)`` (``"module:function"``,
        imported only when the verb runs) and exits with what it returns. distlab's own verbs come first."""
        self._registry.add_command(name, main)

    def add_benchmark(self, suite: str, run: str | Callable[[bool], list[dict[str, Any]]]) -> None:
        """Add a suite of speed benchmarks: ``run(quick: bool) -> list[dict]`` (``"module:function"``, imported
        only by ``distlab bench``), each dict one comparison as :mod:`distlab.bench` describes."""
        self._registry.add_benchmark(suite, run)
