"""A case: one fully resolved configuration, with its id and the seeds of its trials."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from distlab.component import Component
from distlab.errors import ParameterError
from distlab.params import build
from distlab.registry import Registry
from distlab.study import Study

__all__ = ["Case", "resolve_case", "trial_seed"]

# Top-level keys of the primary config that are not a kind, the study or the world.
RUN_KEYS = ("seed", "repeats", "force")


@dataclasses.dataclass(frozen=True)
class Case:
    """One fully resolved configuration (one Hydra job).

    Attributes:
        study: the study.
        world: the world's parameters (an instance of ``study.world``).
        components: for each kind of the study, the chosen component and its parameters.
        seed: the base seed.
        repeats: how many trials the case runs.
        presets: for a kind chosen through a preset (a config option that extends a component's
            config under its own name, e.g. ``workload=write_heavy``), the preset's name. It labels
            results; the case itself is defined by the component and its parameters.
    """

    study: Study
    world: Any
    components: Mapping[str, tuple[Component, Any]]
    seed: int
    repeats: int
    presets: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        """The case as plain nested values: what the case id hashes and provenance records."""
        return {
            "study": self.study.name,
            "seed": self.seed,
            "repeats": self.repeats,
            "world": dataclasses.asdict(self.world),
            **{
                kind: {"name": comp.name, **dataclasses.asdict(params)}
                for kind, (comp, params) in self.components.items()
            },
        }

    @property
    def case_id(self) -> str:
        """A hash of the resolved config and the versions of the components in it."""
        versions = {kind: f"{comp.distribution}=={comp.version}" for kind, (comp, _) in self.components.items()}
        return _digest({"config": self.config(), "versions": versions})

    @property
    def seed_key(self) -> str:
        """A hash of what the trial seeds depend on: the config without the treatment and repeats.

        Leaving the treatment (e.g. the strategy) out gives every treatment the same random world
        in the same trial: common random numbers, so differences between treatments are not noise.
        """
        config = self.config()
        config.pop("repeats")
        config.pop("seed")
        if self.study.treatment:
            config.pop(self.study.treatment, None)
        return _digest(config)

    def trial_seeds(self) -> list[int]:
        """The seed of each trial, derived from (base seed, seed key, repeat index)."""
        return [trial_seed(self.seed, self.seed_key, r) for r in range(self.repeats)]

    def columns(self) -> dict[str, Any]:
        """The config flattened into result-row columns, e.g. ``strategy.max_rounds``."""
        out: dict[str, Any] = {"study": self.study.name, "seed": self.seed, "repeats": self.repeats}
        out.update(_flatten("world", dataclasses.asdict(self.world)))
        for kind, (comp, params) in self.components.items():
            out[kind] = comp.name
            if kind in self.presets:
                out[f"{kind}.preset"] = self.presets[kind]
            out.update(_flatten(kind, dataclasses.asdict(params)))
        return out

    def create_components(self) -> dict[str, Any]:
        """A fresh object of each component, for one trial."""
        return {kind: comp.create(params) for kind, (comp, params) in self.components.items()}


def trial_seed(base_seed: int, seed_key: str, repeat: int) -> int:
    """The seed of one trial: a 63-bit integer, stable across processes, machines and launchers.

    Examples:
        >>> trial_seed(0, "abc", 0) == trial_seed(0, "abc", 0) != trial_seed(0, "abc", 1)
        True
    """
    digest = hashlib.sha256(f"{base_seed}:{seed_key}:{repeat}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _flatten(prefix: str, value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}"
        if isinstance(item, Mapping):
            out.update(_flatten(name, item))
        else:
            out[name] = item
    return out


def resolve_case(
    config: Mapping[str, Any],
    choices: Mapping[str, str | None],
    registry: Registry,
    presets: Mapping[str, str] | None = None,
) -> Case:
    """Resolve a composed config into a case, checking every name, type and range.

    Args:
        config: the composed config as plain values (without the ``hydra`` node).
        choices: the component chosen for each kind.
        registry: the registry to look names up in.
        presets: the preset name of each kind chosen through a preset.

    Returns:
        The case.

    Raises:
        UnknownComponentError: for a study or component name that is not registered.
        ParameterError: naming the key, the value and what is allowed.
    """
    study = registry.study(str(config.get("study")))
    seed = config.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError("seed", seed, "an integer >= 0")
    repeats = config.get("repeats", 1)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ParameterError("repeats", repeats, "an integer >= 1")
    world: Any = build(study.world, config.get("world") or {}, "world.")
    components: dict[str, tuple[Component, Any]] = {}
    for kind in study.kinds:
        name = choices.get(kind.name) or study.defaults[kind.name]
        comp = registry.component(kind.name, name)
        components[kind.name] = (comp, build(comp.params, config.get(kind.name) or {}, f"{kind.name}."))
    known = {"study", "world", "hydra", *RUN_KEYS, *(k.name for k in study.kinds)}
    for key in config:
        if key not in known:
            raise ParameterError(
                key, config[key], f"a key of study '{study.name}': " + ", ".join(sorted(known - {"hydra"}))
            )
    return Case(study, world, components, seed, repeats, dict(presets or {}))
