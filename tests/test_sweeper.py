"""distlab's sweeper (issue 15, "compose each case once"): Hydra's basic sweeper's jobs, without composing
them again when preflight checked them; found by Hydra's plugin discovery; the sweep's last line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hydra._internal.core_plugins import basic_sweeper
from hydra.core.utils import JobReturn, JobStatus
from hydra.types import HydraContext
from testkit import ROOT, run_cli

from distlab.hydra.compose import composing
from distlab.hydra.config_store import stored_registry
from distlab.hydra.sweeper import TARGET, DistlabSweeper, preflighted


class _Launcher:
    """Records the batches it is given; each job returns ``ok``."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, list[list[str]]]] = []

    def launch(self, batch: Sequence[Sequence[str]], initial_job_idx: int) -> list[JobReturn]:
        self.batches.append((initial_job_idx, [list(job) for job in batch]))
        returns = []
        for _ in batch:
            ret = JobReturn()
            ret.status, ret.return_value = JobStatus.COMPLETED, "ok"
            returns.append(ret)
        return returns


class _CountingLoader:
    """Hydra's config loader, counting the jobs composed through it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.composed = inner, 0

    def load_sweep_config(self, master_config: Any, sweep_overrides: list[str]) -> Any:
        self.composed += 1
        return self.inner.load_sweep_config(master_config, sweep_overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _sweep(sweeper: Any, arguments: list[str], tmp_path: Path) -> tuple[_Launcher, _CountingLoader]:
    """Run ``sweeper`` over ``arguments`` with a recording launcher, on distlab's composed config."""
    stored_registry()
    with composing() as composer:
        config = composer.compose([f"hydra.sweep.dir={tmp_path}", "hydra.job.name=x"])
        loader = _CountingLoader(composer.loader)
        launcher = _Launcher()
        sweeper.hydra_context = HydraContext(config_loader=loader, callbacks=None)  # type: ignore[arg-type]
        sweeper.config = config
        sweeper.launcher = launcher
        sweeper.sweep(arguments)
    return launcher, loader


def _basic(max_batch_size: int | None, params: dict[str, str] | None = None) -> Any:
    """Hydra's basic sweeper (its class looked up now: Hydra's plugin scan makes the module's class anew)."""
    return basic_sweeper.BasicSweeper(max_batch_size=max_batch_size, params=params)


@pytest.mark.parametrize(("params", "arguments", "batch_size"), [
    (None, ["seed=0,1,2", "repeats=1,2"], None),
    ({"seed": "range(0,3)", "repeats": "1,2"}, ["repeats=3", "force=true"], 2),  # the command line wins over params
    ({"repeats": "1,2"}, ["seed=choice(4,5)", "seed=7,8"], 4),  # a key given twice: the last one, in its place
])
def test_the_jobs_and_batches_are_the_basic_sweepers(tmp_path: Path, params: dict[str, str] | None,
                                                     arguments: list[str], batch_size: int | None) -> None:
    ours, _ = _sweep(DistlabSweeper(max_batch_size=batch_size, params=params), arguments, tmp_path / "a")
    hydras, _ = _sweep(_basic(max_batch_size=batch_size, params=params), arguments, tmp_path / "b")
    assert ours.batches == hydras.batches
    assert len(ours.batches) >= 1 and (tmp_path / "a" / "multirun.yaml").is_file()


def test_preflight_checked_cases_are_not_composed_again(tmp_path: Path) -> None:
    with preflighted():
        launcher, loader = _sweep(DistlabSweeper(), ["seed=0,1", "repeats=1,2"], tmp_path / "a")
    assert loader.composed == 0 and sum(len(b) for _, b in launcher.batches) == 4
    # Without preflight (a sweep not started by distlab's command line), Hydra's own check runs.
    launcher, loader = _sweep(DistlabSweeper(), ["seed=0,1", "repeats=1,2"], tmp_path / "b")
    assert loader.composed == 4
    _, hydras = _sweep(_basic(max_batch_size=None), ["seed=0,1", "repeats=1,2"], tmp_path / "c")
    assert hydras.composed == 4  # what distlab saves: one composition per case


def test_it_is_distlabs_default_and_basic_is_still_there() -> None:
    stored_registry()
    with composing() as composer:
        assert composer.compose([]).hydra.sweeper._target_ == TARGET
        assert composer.compose(["hydra/sweeper=basic"]).hydra.sweeper._target_.endswith(".BasicSweeper")
        assert {"basic", "distlab"} <= set(composer.options("hydra/sweeper"))


def test_hydras_plugin_discovery_finds_it_in_an_installed_layout() -> None:
    """An installed wheel puts ``hydra_plugins/distlab_sweeper`` in site-packages; with ``framework`` on the
    path the namespace has the same folder, and Hydra's scan (no registration by distlab) lists the class."""
    code = ("from hydra.core.plugins import Plugins\nfrom hydra.plugins.sweeper import Sweeper\n"
            "print(sorted(f'{c.__module__}.{c.__name__}' for c in Plugins.instance().discover(Sweeper)))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "framework"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert TARGET in done.stdout, done.stdout + done.stderr


def test_a_sweep_ends_with_one_summary_line(tmp_path: Path, toy_env: dict[str, str]) -> None:
    sweep = tmp_path / "sweep"
    # Two cases ok; then those two again (skipped) with two that fail (the toy component explodes).
    args = ["-m", "study=toy", "seed=0,1", "shape.explode=false", "repeats=1", f"hydra.sweep.dir={sweep}"]
    done = run_cli(args, env=toy_env)
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert re.fullmatch(rf"distlab: sweep done in \d+\.\d s: 2 ok, 0 failed, 0 skipped \(2 cases\); "
                        rf"report: distlab report {re.escape(str(sweep))}", last), last
    env = {**toy_env, "DISTLAB_PROGRESS": "0"}  # no per-job lines: the summary still comes
    again = run_cli(["-m", "study=toy", "seed=0,1", "shape.explode=true,false", "repeats=1",
                     f"hydra.sweep.dir={sweep}"], env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "distlab: [" not in again.stderr
    last = again.stderr.strip().splitlines()[-1]
    assert re.match(r"distlab: sweep done in \d+\.\d s: 0 ok, 2 failed, 2 skipped \(4 cases\); report: ", last), last
    report = run_cli(last.split("report: ", 1)[1].split()[1:], env=toy_env)  # the command it names works
    assert report.returncode == 0, report.stderr[-3000:]
