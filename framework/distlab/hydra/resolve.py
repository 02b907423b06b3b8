"""From a config Hydra composed to a case: the one place the wing turns OmegaConf into plain values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from distlab.case import Case, resolve_case
from distlab.errors import ConfigError, ParameterError
from distlab.hydra.examples import world_example
from distlab.registry import Registry
from distlab.runner import run_options

__all__ = ["case_from_config"]


def case_from_config(cfg: DictConfig, choices: Mapping[str, str | None], registry: Registry) -> Case:
    """Resolve a composed config into a case.

    The component of each kind is read from the type of its config node, which survives presets
    (YAML options that extend a component's config under another name), and else from Hydra's
    choice for the group.

    Args:
        cfg: the config Hydra composed for one job.
        choices: Hydra's choice for each config group (``hydra.runtime.choices``).
        registry: the studies and components to resolve names with.

    Returns:
        The case, checked as :func:`distlab.case.resolve_case` checks it.

    Raises:
        UnknownComponentError: for a study or component name that is not registered.
        ParameterError: naming the key, the value and what is allowed.
        ConfigError: for a world chosen apart from its study.
    """
    run_options(cfg)  # force, retry_failed, trial_timeout_s, provenance.hostname: checked before any job runs
    study = registry.study(str(cfg.get("study")))
    world = choices.get("world")
    if world and world != study.name:
        # The world group holds one option per study; mixing them fails later with a list of keys
        # that reads as if the world's own parameters were wrong.
        raise ConfigError(
            f"world={world} with study={study.name}: a world comes with its study. Choose study={world} to use "
            f"the {world} world, and set world parameters with world.KEY=VALUE (e.g. {world_example(study)})."
        )
    chosen = dict(choices)
    presets: dict[str, str] = {}
    for kind in study.kinds:
        node = cfg.get(kind.name)
        comp = registry.component_for_params(kind.name, OmegaConf.get_type(node)) if node is not None else None
        if comp is not None:
            chosen[kind.name] = comp.name
            choice = choices.get(kind.name)
            if choice and choice != comp.name:
                presets[kind.name] = str(choice)
    # The hydra node is left out: its interpolations only resolve inside a running job.
    container: dict[str, Any] = {
        str(key): OmegaConf.to_container(cfg[key], resolve=True) if OmegaConf.is_config(cfg[key]) else cfg[key]
        for key in cfg
        if key != "hydra"
    }
    return resolve_case(container, chosen, registry, presets, study=study)
