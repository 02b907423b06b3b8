"""distlab's sweeper: Hydra's basic sweeper without its second check of every case.

Hydra's basic sweeper composes every job of a batch before it launches the batch
(``validate_batch_is_legal``), so that a bad override fails before anything runs. distlab's preflight
(:mod:`distlab.hydra.preflight`) has already checked every case of the command, in its own words and
faster; composing each case again costs about 75 ms a case (12 minutes for 10,000 cases) before the
first job starts. :class:`DistlabSweeper` runs the basic sweeper's jobs, with the same override grammar, the
same ``hydra.sweeper.params`` and ``max_batch_size`` and the same order of jobs, under any launcher; it
skips that check when this process's preflight checked the command (:func:`preflighted`), and keeps it
otherwise (e.g. a sweep started by ``hydra.main`` without distlab's command line). And it hands its
launcher a config loader that composes once per choice of config groups, not once per job
(:mod:`distlab.hydra.job_configs`): each case is composed by the launcher, from a copy.

Hydra admits a sweeper only from the ``hydra_plugins`` namespace, found by its plugin discovery: the
class Hydra instantiates is ``hydra_plugins.distlab_sweeper.DistlabSweeper``, a subclass of this one
shipped in distlab's distribution (``framework/hydra_plugins/distlab_sweeper``). distlab's primary
config makes it the default (``override hydra/sweeper: distlab`` in ``conf/config.yaml``);
``hydra/sweeper=basic`` still chooses Hydra's own.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

__all__ = ["NAME", "TARGET", "DistlabSweeper", "SweeperConf", "preflighted", "store_sweeper"]

NAME = "distlab"
"""The sweeper's option in the ``hydra/sweeper`` config group."""

TARGET = "hydra_plugins.distlab_sweeper.DistlabSweeper"
"""The class Hydra instantiates (it must live in the ``hydra_plugins`` namespace)."""

_checked = 0  # > 0 while a command whose cases preflight checked runs in this process


@dataclasses.dataclass
class SweeperConf:
    """The sweeper's config: the basic sweeper's keys, so ``hydra.sweeper.params`` works as with Hydra's.

    Attributes:
        max_batch_size: jobs handed to the launcher at once (None: all of them).
        params: the config's own sweep, ``key: values`` in Hydra's override grammar.
    """

    _target_: str = TARGET
    max_batch_size: int | None = None
    params: dict[str, str] | None = None


class DistlabSweeper(Sweeper):
    """Hydra's basic sweeper that trusts distlab's preflight instead of composing every job twice.

    The jobs, their order and their batches are the basic sweeper's (its ``split_arguments``: the
    config's ``params`` first, then the command line's overrides, a later value of a key replacing an
    earlier one). It is not a subclass of Hydra's: Hydra's plugin discovery executes the module of its
    core plugins again, which makes a new ``BasicSweeper`` class that a subclass of the old one could
    not call ``super()`` through.

    Args:
        max_batch_size: jobs handed to the launcher at once (None: all of them).
        params: the config's own sweep (``hydra.sweeper.params``).
    """

    def __init__(self, max_batch_size: int | None = None, params: dict[str, str] | None = None) -> None:
        super().__init__()
        self.max_batch_size = max_batch_size
        self.params = dict(params or {})
        self.hydra_context: HydraContext | None = None
        self.config: DictConfig | None = None
        self.launcher: Launcher | None = None
        self.validated = 0  # jobs composed here to check them (0 when preflight checked the command)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Keep Hydra's context and make the configured launcher (``hydra/launcher``).

        The launcher composes each job with a :class:`~distlab.hydra.job_configs.JobConfigLoader`: Hydra's
        loader, composing once per choice of config groups rather than once per job.
        """
        from hydra.core.plugins import Plugins

        from distlab.hydra.job_configs import job_config_loader

        self.hydra_context = hydra_context
        self.config = config
        jobs = HydraContext(config_loader=job_config_loader(hydra_context.config_loader),
                            callbacks=hydra_context.callbacks)
        self.launcher = Plugins.instance().instantiate_launcher(hydra_context=jobs, task_function=task_function,
                                                                config=config)

    def sweep(self, arguments: list[str]) -> Any:
        """Launch every combination of the sweep, batch after batch.

        Args:
            arguments: the command line's overrides (Hydra's ``hydra.overrides.task``).

        Returns:
            Each batch's job returns, as Hydra's basic sweeper returns them.
        """
        from hydra._internal.core_plugins import basic_sweeper
        from hydra.core.override_parser.overrides_parser import OverridesParser

        assert self.config is not None and self.launcher is not None and self.hydra_context is not None
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        overrides = parser.parse_overrides([*(f"{k}={v}" for k, v in self.params.items()), *arguments])
        # Looked up at call time: the plugin scan may have replaced the module's class (see above).
        batches = basic_sweeper.BasicSweeper.split_arguments(overrides, self.max_batch_size)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        returns: list[Sequence[JobReturn]] = []
        first = 0
        for batch in batches:
            self.validate_batch_is_legal(batch)
            results = self.launcher.launch(batch, initial_job_idx=first)
            for result in results:
                _ = result.return_value  # raises a job's exception, as with Hydra's sweeper
            first += len(batch)
            returns.append(results)
        return returns

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Compose each job of ``batch`` only if preflight did not check this command (Hydra's check)."""
        if _checked > 0:
            return
        super().validate_batch_is_legal(batch)
        self.validated += len(batch)


@contextlib.contextmanager
def preflighted() -> Iterator[None]:
    """Within the block, the command's cases were checked by preflight: the sweeper does not compose them."""
    global _checked
    _checked += 1
    try:
        yield
    finally:
        _checked -= 1


def store_sweeper(store: Any = None) -> None:
    """Write the sweeper's config into Hydra's ConfigStore (group ``hydra/sweeper``, option :data:`NAME`).

    Args:
        store: the ConfigStore (Hydra's own by default).
    """
    (store or ConfigStore.instance()).store(group="hydra/sweeper", name=NAME, node=SweeperConf, provider="distlab")


store_sweeper()

