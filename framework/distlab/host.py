"""The plugin host: finds studies and plugins, lets them register, and keeps one registry per process.

Studies are objects named by the ``distlab.studies`` entry-point group (``"package.module:STUDY"``),
always loaded: a study is the world a plugin plugs into, not an option. Plugins are modules named by
the ``distlab`` entry-point group (the built-in ones too). Environment:

- ``DISTLAB_DISABLE_PLUGIN_AUTOLOAD=1``: load no entry point;
- ``DISTLAB_PLUGINS=a,b``: load these plugins as well, by entry-point name or module name (with
  autoload disabled, exactly these).

A plugin that fails to import or to register is named in a :class:`PluginLoadWarning` and skipped;
the others keep working. The registry is built lazily and again in every new process (Hydra's
launchers ship the ConfigStore to their workers, not the plugin manager).
"""

from __future__ import annotations

import importlib
import os
import traceback
import warnings
from importlib import metadata
from types import ModuleType

import pluggy

from distlab import hookspecs
from distlab.errors import PluginError
from distlab.registry import PluginInfo, PluginLoadWarning, Registrar, Registry
from distlab.study import Study

__all__ = ["ENTRY_POINT_GROUP", "STUDY_GROUP", "PluginLoadWarning", "get_registry", "load_registry", "reset"]

ENTRY_POINT_GROUP = "distlab"
"""The entry-point group of plugins (modules with ``register_components``)."""
STUDY_GROUP = "distlab.studies"
"""The entry-point group of studies (:class:`distlab.study.Study` objects); always loaded."""


_cache: tuple[int, Registry] | None = None


def get_registry() -> Registry:
    """The registry of this process, built on first use (and again after a fork or spawn)."""
    global _cache
    if _cache is None or _cache[0] != os.getpid():
        _cache = (os.getpid(), load_registry())
    return _cache[1]


def reset() -> None:
    """Forget this process's registry (tests use it after changing the environment)."""
    global _cache
    _cache = None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_registry(
    *,
    autoload: bool | None = None,
    plugins: list[str] | None = None,
    modules: list[ModuleType] | None = None,
) -> Registry:
    """Build a registry from the built-in studies and the plugins.

    Args:
        autoload: load every ``distlab`` entry point; default: unless
            ``DISTLAB_DISABLE_PLUGIN_AUTOLOAD`` is set.
        plugins: further plugins by entry-point or module name; default: ``DISTLAB_PLUGINS``.
        modules: plugin modules already imported (tests use this for fixtures).

    Returns:
        The registry; ``registry.plugins`` lists what loaded, ``registry.failures`` what did not.
    """
    if autoload is None:
        autoload = not _truthy(os.environ.get("DISTLAB_DISABLE_PLUGIN_AUTOLOAD"))
    if plugins is None:
        plugins = [p.strip() for p in os.environ.get("DISTLAB_PLUGINS", "").split(",") if p.strip()]

    registry = Registry()
    for ep in sorted(metadata.entry_points(group=STUDY_GROUP), key=lambda ep: ep.name):
        dist = ep.dist
        info = PluginInfo(f"study:{ep.name}", ep.value, dist.name if dist else "", dist.version if dist else "")
        try:
            study = ep.load()
            if not isinstance(study, Study):
                raise PluginError(f"entry point {ep.name} = {ep.value!r} in group {STUDY_GROUP!r} is a "
                                  f"{type(study).__name__}, not a distlab.study.Study")
            registry.add_study(study)
        except Exception as err:  # a broken study must not take the others down
            _fail(registry, info, err)

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}

    def add(module: ModuleType, info: PluginInfo) -> None:
        if pm.is_registered(module) or pm.has_plugin(info.name):
            return
        pm.register(module, name=info.name)
        infos[info.name] = info

    entry_points = {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    wanted = [ep for ep in entry_points.values()] if autoload else []
    for name in plugins:
        if name in entry_points:
            wanted.append(entry_points[name])
    for ep in wanted:
        dist = ep.dist
        info = PluginInfo(ep.name, ep.value, dist.name if dist else "", dist.version if dist else "")
        try:
            add(ep.load(), info)
        except Exception as err:  # a broken plugin must not take the others down
            _fail(registry, info, err)
    for name in plugins:
        if name in entry_points:
            continue
        info = PluginInfo(name, name, *_distribution_of(name))
        try:
            add(importlib.import_module(name), info)
        except Exception as err:
            _fail(registry, info, err)
    for module in modules or []:
        add(module, PluginInfo(module.__name__, module.__name__, *_distribution_of(module.__name__)))

    registry.plugins.update(infos)
    # distlab's own plugins register first, so that a third-party plugin claiming a built-in name
    # cannot take it over; the others keep their loading order (a plugin may use a kind that an
    # earlier one declared).
    impls = sorted(pm.hook.register_components.get_hookimpls(),
                   key=lambda impl: infos[impl.plugin_name].distribution != "distlab")
    for impl in impls:
        info = infos[impl.plugin_name]
        try:
            impl.function(registrar=Registrar(registry, info))
        except Exception as err:
            _fail(registry, info, err)
            registry.forget(info.name)
    return registry


def _fail(registry: Registry, info: PluginInfo, err: BaseException) -> None:
    where = f" (distribution {info.distribution} {info.version})" if info.distribution else ""
    registry.failures[info.name] = "".join(traceback.format_exception_only(type(err), err)).strip()
    warnings.warn(
        f"distlab plugin {info.name!r}{where} failed to load and is skipped: {err}",
        PluginLoadWarning,
        stacklevel=3,
    )


def _distribution_of(module_name: str) -> tuple[str, str]:
    """The distribution and version that ship a top-level module, if it was installed as one."""
    top = module_name.split(".")[0]
    for dist_name in metadata.packages_distributions().get(top, []):
        try:
            return dist_name, metadata.version(dist_name)
        except metadata.PackageNotFoundError:
            continue
    return "", ""
