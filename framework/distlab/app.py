"""The Hydra application: one Hydra job is one case."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from distlab.case import Case, resolve_case
from distlab.errors import ConfigError, ParameterError
from distlab.host import get_registry
from distlab.registry import Registry
from distlab.runner import FAILED, run_case

__all__ = ["CONFIG_MODULE", "case_from_config", "hydra_main", "single_run_failed", "task"]

CONFIG_MODULE = "distlab.conf"

single_run_failed = [False]
"""Set by :func:`task` when a single (non-sweep) run had a failed trial; the CLI then exits 1."""
log = logging.getLogger("distlab")


def case_from_config(cfg: DictConfig, choices: Mapping[str, str | None], registry: Registry) -> Case:
    """Resolve a composed config into a case.

    The component of each kind is read from the type of its config node, which survives presets
    (YAML options that extend a component's config under another name), and else from Hydra's
    choice for the group.
    """
    force = cfg.get("force", False)
    if not isinstance(force, bool):  # YAML's "no" or "2" must not quietly mean "re-run everything"
        raise ParameterError("force", force, "true or false")
    chosen = dict(choices)
    presets: dict[str, str] = {}
    study = registry.study(str(cfg.get("study")))
    world = choices.get("world")
    if world and world != study.name:
        # The world group holds one option per study; mixing them fails later with a list of keys
        # that reads as if the world's own parameters were wrong.
        raise ConfigError(
            f"world={world} with study={study.name}: a world comes with its study. Choose study={world} to use "
            f"the {world} world, and set world parameters with world.KEY=VALUE (e.g. world.vm.memory_mib=64)."
        )
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
    return resolve_case(container, chosen, registry, presets)


def task(cfg: DictConfig) -> str:
    """Run one case: the task function Hydra calls once per job (in whichever process it likes)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    registry = get_registry()  # built afresh in a launcher's worker process
    case = case_from_config(cfg, hc.runtime.choices, registry)
    job_dir = Path(hc.runtime.output_dir)
    root = Path(hc.sweep.dir) if hc.mode == RunMode.MULTIRUN else job_dir
    outcome = run_case(case, job_dir, root=root, overrides=list(hc.overrides.task), force=cfg.get("force") is True)
    log.info("case %s: %s (%s)", outcome.case_id, outcome.status, outcome.job_dir)
    if hc.mode != RunMode.MULTIRUN:
        print(_summary(outcome.job_dir, case))
        # A single run is one experiment a script may depend on: its failure is the command's.
        # (In a sweep, failures are data and the sweep goes on.)
        single_run_failed[0] = outcome.status == FAILED
    return str(outcome.status)


def _summary(job_dir: Path, case: Case) -> str:
    """A few lines for a person who ran one case: each metric's mean over the trials."""
    import polars as pl

    from distlab.store import RESULTS

    rows = pl.read_parquet(job_dir / RESULTS)
    ok = rows.filter(pl.col("status") == "ok")
    lines = [f"{case.study.name} case {case.case_id}: {ok.height} of {rows.height} trials ok; results in {job_dir}"]
    for metric in case.study.metrics:
        if ok.height and metric.name in ok.columns:
            values = ok[metric.name].cast(pl.Float64)
            mean, low, high = (float(v) for v in (values.mean(), values.min(), values.max()))  # type: ignore[arg-type]
            lines.append(f"  {metric.name:<18} mean {mean:<14.6g} min {low:<14.6g} max {high:.6g}")
    for message in rows.filter(pl.col("status") != "ok")["error_message"].unique().to_list():
        lines.append(f"  failed: {message}")
    return "\n".join(lines)


hydra_main = hydra.main(version_base=None, config_path=f"pkg://{CONFIG_MODULE}", config_name="config")(task)
"""The Hydra entry point; reads its overrides from ``sys.argv``."""
