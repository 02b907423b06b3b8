"""The registry's studies, worlds and components, written into Hydra's ConfigStore.

Hydra composes a case from config groups: ``study`` (one option per study, which brings its world and
its default components), ``world`` (one option per study) and one group per kind (one option per
component). None of them is a YAML file: each is written here from a dataclass the registry holds, so
that ``KIND=NAME KIND.PARAM=VALUE`` is type-checked against the component's parameters and
a plugin author never writes YAML. Only the registry's public queries are used.
"""

from __future__ import annotations

import weakref
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from distlab.host import get_registry
from distlab.registry import Registry

__all__ = ["store_configs", "stored_registry"]

# The registry whose configs are in this process's ConfigStore. A weak reference, so that a registry
# built afresh (tests reset the host; a new process builds its own) is stored again.
_stored: weakref.ref[Registry] | None = None


def store_configs(registry: Registry) -> None:
    """Write every study, world and component config of ``registry`` into Hydra's ConfigStore.

    Args:
        registry: the studies and components to write.

    Examples:
        >>> from distlab.host import get_registry
        >>> registry = get_registry()
        >>> store_configs(registry)
        >>> component = next(iter(registry))
        >>> f"{component.name}.yaml" in ConfigStore.instance().list(component.kind)
        True
    """
    cs = ConfigStore.instance()
    for study in registry.studies():
        cs.store(group="world", name=study.name, node=_open_node(study.world))
        defaults: list[Any] = [{"/world": study.name}]
        # "optional": a study whose default component is not installed still composes, and
        # resolving the case then says which components there are.
        defaults += [{f"optional /{kind.name}": study.defaults[kind.name]} for kind in study.kinds]
        defaults.append("_self_")
        cs.store(group="study", name=study.name, package="_global_", node={"defaults": defaults, "study": study.name})
    for component in registry:
        cs.store(group=component.kind, name=component.name, node=_open_node(component.params))


def stored_registry() -> Registry:
    """This process's registry, its configs written into Hydra's ConfigStore (once per registry).

    Hydra's launchers ship the ConfigStore to their workers, so a worker composes its job without this.

    Returns:
        :func:`distlab.host.get_registry`'s registry.
    """
    global _stored
    registry = get_registry()
    if _stored is None or _stored() is not registry:
        store_configs(registry)
        _stored = weakref.ref(registry)
    return registry


def _open_node(cls: type) -> Any:
    """A structured config of ``cls`` that command-line overrides may change.

    OmegaConf marks the node of a frozen dataclass read-only, which would refuse every override; the
    dataclass stays frozen where it matters, once :func:`distlab.params.build` makes the instance.
    """

    def unlock(node: DictConfig) -> None:
        OmegaConf.set_readonly(node, False)
        for key in node:
            child = node._get_node(key)
            if isinstance(child, DictConfig):
                unlock(child)

    root = OmegaConf.structured(cls)
    unlock(root)
    return root
