"""Each job's config, composed once per choice of config groups and copied for each swept value.

A launcher composes every job of a sweep with Hydra's config loader (``load_sweep_config``): about
75 ms a case with distlab's structured configs, most of a trivial job's cost. In a sweep, most jobs
differ from one another only in ``key=value`` overrides of plain values (``seed=3``), which Hydra applies
to the composed config last, one assignment each. :class:`JobConfigLoader` is Hydra's loader that
composes the first job of each *shape* in full (the same overrides but for those values: same config
group choices, same ``hydra.*`` overrides, same keys in the same places) and makes every other job of
that shape from a copy of it: the job's values applied with Hydra's own override code, and the few
``hydra`` fields that name the overrides (``hydra.overrides.task``, ``hydra.job.override_dirname``)
set as Hydra sets them. A job it cannot make so (an override that adds, deletes or merges, a value
its type refuses, keys of which one is inside another) is composed in full, by Hydra.

tests/test_job_configs.py checks, for random sweeps, that every job's config is equal to Hydra's.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf

__all__ = ["JobConfigLoader", "job_config_loader"]

_Shape = tuple[Any, ...]


class JobConfigLoader(ConfigLoaderImpl):
    """Hydra's config loader, with :meth:`load_sweep_config` composing once per shape of job.

    Made from Hydra's own loader by :func:`job_config_loader` (its state is shared, not copied).
    """

    _templates: dict[_Shape, DictConfig]
    _parsed: dict[str, Override | None]
    _parser: OverridesParser | None
    _groups: dict[str, bool]
    composed: int  # jobs composed in full (the others were copied)

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        """The job's config, equal to what Hydra's loader composes for it.

        Args:
            master_config: the sweep's config (Hydra's ``hydra.overrides.hydra`` and caches come from it).
            sweep_overrides: the job's overrides.

        Returns:
            The job's config.
        """
        overrides = [*(str(o) for o in master_config.hydra.overrides.hydra), *sweep_overrides]
        maybe = [self._parse(o) for o in overrides]
        parsed = [o for o in maybe if o is not None]
        if len(parsed) < len(maybe):
            return self._compose(master_config, sweep_overrides)
        values = [i for i, o in enumerate(parsed) if self._plain_value(o)]
        if not values or not self._apart([parsed[i].key_or_group for i in values], [o.key_or_group for o in parsed]):
            return self._compose(master_config, sweep_overrides)
        shape = (master_config.hydra.job.config_name,
                 tuple("" if i in values else overrides[i] for i in range(len(overrides))),
                 tuple(parsed[i].key_or_group for i in values))
        if shape not in self._templates:
            composed = self._compose(master_config, sweep_overrides)
            # A copy, so the job Hydra gets is not the template every later job is copied from.
            self._templates[shape] = copy.deepcopy(composed)
            return composed
        cfg = copy.deepcopy(self._templates[shape])
        try:
            ConfigLoaderImpl._apply_overrides_to_config([parsed[i] for i in values], cfg)
        except Exception:  # noqa: BLE001 - Hydra composes it in full and says what is wrong in its words
            return self._compose(master_config, sweep_overrides)
        app = [o for o in parsed if not o.is_hydra_override()]
        cfg.hydra.overrides.task = [o.input_line for o in app]
        dirname = cfg.hydra.job.config.override_dirname
        cfg.hydra.job.override_dirname = get_overrides_dirname(overrides=app, kv_sep=dirname.kv_sep,
                                                               item_sep=dirname.item_sep,
                                                               exclude_keys=dirname.exclude_keys)
        cfg.hydra.runtime.cwd = os.getcwd()
        OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
        return cfg

    def __getstate__(self) -> dict[str, Any]:
        # A launcher that runs jobs elsewhere ships the loader with each job: its caches stay here (Hydra's
        # parser need not survive the trip, and the templates are this process's).
        state = dict(self.__dict__)
        state.update(_templates={}, _parsed={}, _groups={}, _parser=None, composed=0)
        return state

    def _compose(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        self.composed += 1
        return super().load_sweep_config(master_config, sweep_overrides)

    def _parse(self, override: str) -> Override | None:
        """One override, parsed once (None if Hydra's grammar refuses it: Hydra then says why)."""
        if override not in self._parsed:
            if self._parser is None:
                self._parser = OverridesParser.create(config_loader=self)
            try:
                self._parsed[override] = self._parser.parse_override(override)
            except Exception:  # noqa: BLE001 - composed in full, Hydra says why
                self._parsed[override] = None
        return self._parsed[override]

    def _plain_value(self, o: Override) -> bool:
        """Whether ``o`` is ``key=value`` of a plain value (not a config group, ``hydra.*``, an addition, a
        deletion or a dict or list, which merge): Hydra applies it last, as one assignment."""
        if o.is_sweep_override() or o.is_add() or o.is_force_add() or o.is_delete() or o.is_hydra_override():
            return False
        key = o.key_or_group
        if o.package is not None or key.startswith(("hydra.", "hydra/")) or "/" in key or "@" in key:
            return False
        if key not in self._groups:
            self._groups[key] = bool(self.repository.group_exists(key))
        if self._groups[key]:
            return False
        return o.value() is None or isinstance(o.value(), (str, int, float, bool))

    @staticmethod
    def _apart(values: Sequence[str], keys: Sequence[str]) -> bool:
        """Whether each swept value's key is no other override's key, nor inside or around one (the order
        in which Hydra applies them then does not matter; a key that only the shape's own overrides repeat,
        e.g. ``hydra.sweep.dir``, is the same in every job)."""
        return all(sum(k == v for k in keys) == 1 and not any(k.startswith(v + ".") or v.startswith(k + ".")
                                                               for k in keys) for v in values)


def job_config_loader(loader: Any) -> Any:
    """Hydra's config loader as a :class:`JobConfigLoader` (the same state), or ``loader`` itself if it is
    not Hydra's own implementation.

    Args:
        loader: the config loader of Hydra's context.

    Returns:
        The loader to hand to the launcher.
    """
    if type(loader) is not ConfigLoaderImpl:
        return loader
    ours = JobConfigLoader.__new__(JobConfigLoader)
    ours.__dict__.update(loader.__dict__)
    ours._templates, ours._parsed, ours._groups, ours._parser, ours.composed = {}, {}, {}, None, 0
    return ours
