"""Composing configs outside a Hydra run: the config search path, the override parser and compose.

Preflight reads overrides and composes cases before Hydra runs anything; a :class:`Composer` is the
Hydra it does so with, set up once for a command line (distlab's own config, or an experiment's folder
that extends it).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig

from distlab.errors import ConfigError
from distlab.hydra.sweeper import store_sweeper

__all__ = ["CONFIG_MODULE", "Composer", "composing"]

CONFIG_MODULE = "distlab.conf"
"""The package that holds distlab's primary config (``config.yaml``), shipped inside the wheel."""


@dataclasses.dataclass(frozen=True)
class Composer:
    """Hydra, initialized for one command line: it parses overrides and composes configs.

    Attributes:
        config_name: the primary config's name.
        extra: overrides added to every composition (the config search path of an experiment's folder).
        loader: Hydra's config loader, which knows each config group's options.
        parser: Hydra's override parser; with the loader, ``glob(...)`` expands.
    """

    config_name: str
    extra: tuple[str, ...]
    loader: Any
    parser: OverridesParser

    def parse(self, overrides: Sequence[str]) -> list[Override]:
        """Read overrides with Hydra's grammar (raises Hydra's ``OverrideParseException``)."""
        return list(self.parser.parse_overrides(list(overrides)))

    def options(self, group: str) -> list[str]:
        """The options of a config group, e.g. every component of a kind."""
        return [str(o) for o in self.loader.get_group_options(group)]

    def compose(self, overrides: Sequence[str]) -> DictConfig:
        """The primary config with ``overrides`` applied, with its ``hydra`` node.

        Raises:
            ConfigError: for the overrides the grammar accepts but Hydra or OmegaConf cannot apply
                (``=5``, ``hydra.sweeper.params={a:1}``), which raise bare Python errors.
            HydraException: Hydra's errors, e.g. an unknown option of a group.
            OmegaConfBaseException: OmegaConf's errors, e.g. a key a dataclass does not declare.
        """
        wanted = [*overrides, *self.extra]
        try:
            return hydra_compose(self.config_name, overrides=wanted, return_hydra_config=True)
        except (ValueError, AttributeError, AssertionError, OverflowError, RecursionError) as err:
            # OverflowError: OmegaConf turns an integer past 1.8e308 into a float for a number parameter.
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            from distlab.host import get_registry
            from distlab.hydra.examples import override_example

            raise ConfigError(f"cannot apply the overrides {' '.join(wanted)!r}: {first_line}. Overrides "
                              f"are key=value, e.g. {override_example(get_registry())}") from None


@contextlib.contextmanager
def composing(config_name: str = "config", config_dir: str | None = None) -> Iterator[Composer]:
    """Hydra set up to compose configs, for the length of a ``with`` block (then cleared again).

    Args:
        config_name: the primary config's name.
        config_dir: an extra config directory (``--config-dir``), e.g. an experiment's folder.

    Yields:
        The composer.
    """
    GlobalHydra.instance().clear()
    store_sweeper()  # distlab's primary config chooses hydra/sweeper=distlab
    if config_dir:
        # As with `--config-dir`: the primary config comes from that folder, which may extend
        # distlab's own (`defaults: [config, ...]`) and add presets.
        context: Any = initialize_config_dir(config_dir=str(Path(config_dir).resolve()), version_base=None)
        extra: tuple[str, ...] = (f"hydra.searchpath=[pkg://{CONFIG_MODULE}]",)
    else:
        context = initialize_config_module(config_module=CONFIG_MODULE, version_base=None)
        extra = ()
    try:
        with context:
            loader = GlobalHydra.instance().config_loader()
            yield Composer(config_name, extra, loader, OverridesParser.create(config_loader=loader))
    finally:
        GlobalHydra.instance().clear()
