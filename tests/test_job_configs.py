"""Each job's config made from a copy (distlab.hydra.job_configs) is Hydra's, for random sweeps: a differential
test against Hydra's own loader, job by job, including the jobs Hydra refuses."""

from __future__ import annotations

import pickle
import random
from pathlib import Path
from typing import Any

import pytest
from hydra._internal.core_plugins import basic_sweeper
from hydra.types import RunMode
from omegaconf import OmegaConf

from distlab.hydra.compose import composing
from distlab.hydra.config_store import stored_registry
from distlab.hydra.job_configs import JobConfigLoader, job_config_loader

# Axes a sweep may have (the toy study: kind ``shape`` with components uniform and constant, world ``scale``).
AXES = [
    "seed=range(0,3)", "repeats=1,2", "shape=uniform,constant", "shape.sleep_s=0,0.01", "world.scale=1.0,2,0.5",
    "force=true,false", "seed=1,1e3", "shape.low=0,${world.scale}", "hydra.job.name=a,b", "+extra=1,2",
    "shape.value=2.5,3", "world.scale=0.25", "seed=null,4", "shape.count=1,11",
]
FIXED = ["study=toy", "repeats=2", "~force", "hydra.job.chdir=false", "world={scale:3.0}"]


def _outcome(loader: Any, master: Any, job: list[str]) -> Any:
    """The job's config as a plain container (with its root's flags), or the type of error composing it."""
    try:
        cfg = loader.load_sweep_config(master, list(job))
    except Exception as err:  # noqa: BLE001 - the error is what is compared
        return type(err).__name__
    return (OmegaConf.to_container(cfg, resolve=False), OmegaConf.is_struct(cfg), OmegaConf.is_readonly(cfg.hydra),
            OmegaConf.select(cfg, "hydra.job.override_dirname"))


def _pinned(folder: Path) -> list[str]:
    """The sweep directory, given by the user and pinned again by distlab's app (a key given twice)."""
    return [f"hydra.sweep.dir={folder}", f"hydra.sweep.dir='{folder}'"]


def _jobs(composer: Any, master: Any) -> list[list[str]]:
    """Each job's overrides, as Hydra's basic sweeper makes them from the sweep's task overrides."""
    parsed = composer.parser.parse_overrides([str(o) for o in master.hydra.overrides.task])
    return [list(job) for batch in basic_sweeper.BasicSweeper.split_arguments(parsed, None) for job in batch]


@pytest.mark.parametrize("seed", range(8))
def test_every_job_is_hydras(seed: int, toy_env: dict[str, str], tmp_path: Path) -> None:
    rng = random.Random(seed)
    axes = rng.sample(AXES, rng.randint(1, 4))
    fixed = rng.sample(FIXED, rng.randint(0, 3))
    if "study=toy" not in fixed:
        fixed.insert(0, "study=toy")
    stored_registry()
    with composing() as composer:
        hydras = composer.loader
        arguments = [*fixed, *axes]
        try:
            master = hydras.load_configuration(config_name="config", overrides=[*arguments, *_pinned(tmp_path)],
                                               run_mode=RunMode.MULTIRUN)
        except Exception:  # noqa: BLE001 - a sweep Hydra refuses as a whole is preflight's business
            pytest.skip("Hydra refuses this sweep as a whole")
        jobs = _jobs(composer, master)
        jobs = [jobs[i] for i in sorted(rng.sample(range(len(jobs)), min(len(jobs), 5)))]  # a few, kept fast
        ours = job_config_loader(hydras)
        assert isinstance(ours, JobConfigLoader)
        for job in jobs:
            assert _outcome(ours, master, job) == _outcome(hydras, master, job), job


def test_a_job_is_composed_once_per_choice_of_config_groups(toy_env: dict[str, str], tmp_path: Path) -> None:
    arguments = ["study=toy", "shape=uniform,constant", "seed=range(0,4)", "world.scale=1,2", "hydra.job.name=x"]
    stored_registry()
    with composing() as composer:
        master = composer.loader.load_configuration(
            config_name="config", overrides=[*arguments, *_pinned(tmp_path)], run_mode=RunMode.MULTIRUN)
        jobs = _jobs(composer, master)
        ours = job_config_loader(composer.loader)
        configs = [ours.load_sweep_config(master, job) for job in jobs]
        assert len(jobs) == 16 and ours.composed == 2  # one per component of the kind
        for job, cfg in zip(jobs, configs):  # each its own copy, with its own values
            assert list(cfg.hydra.overrides.task) == job
            assert [f"seed={cfg.seed}", f"world.scale={cfg.world.scale:g}"] == [a for a in job if "=" in a][2:4]
        last = jobs[-1]
        assert _outcome(ours, master, last) == _outcome(composer.loader, master, last)
        # As a launcher with worker processes ships it: without this process's caches, and still right.
        shipped = pickle.loads(pickle.dumps(ours))
        assert shipped.composed == 0 and not shipped._templates
        assert _outcome(shipped, master, last) == _outcome(composer.loader, master, last)
