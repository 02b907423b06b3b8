"""hydra/launcher=submitit_* (issue 15, "Beyond one machine"): the sweep that SLURM would run, run by submitit's
local executor, gives the basic launcher's rows; and the README's SLURM example is a valid command line.

submitit's local executor is its SLURM executor without SLURM: each job is pickled into the sweep's
``.submitit`` folder and run by a fresh ``python -m submitit.core._submit`` process, as a SLURM node runs it.

Needs the ``slurm`` extra (``pip install -e '.[slurm]'``); skipped without it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from launcherkit import PROGRESS, SWEEP, assert_lost_worker, assert_same_rows, identity, provenances
from testkit import run_cli


pytest.importorskip("submitit", reason="the slurm extra is not installed (pip install -e '.[slurm]')")
if importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None:
    pytest.skip("hydra-submitit-launcher is not installed (pip install -e '.[slurm]')", allow_module_level=True)


def test_submitit_local_gives_the_rows_of_the_basic_launcher(tmp_path: Path) -> None:
    basic = run_cli(["-m", *SWEEP, f"hydra.sweep.dir={tmp_path / 'basic'}"])
    assert basic.returncode == 0, basic.stderr[-3000:]
    local = run_cli(["-m", *SWEEP, "hydra/launcher=submitit_local", f"hydra.sweep.dir={tmp_path / 'submitit'}"])
    assert local.returncode == 0, local.stderr[-3000:]

    rows = assert_same_rows(tmp_path / "basic", tmp_path / "submitit")
    assert rows.height == 4 and rows["case_id"].n_unique() == 2
    assert list((tmp_path / "submitit" / ".submitit").iterdir()), "the jobs did not go through submitit"
    assert sorted(int(k) for k, *_ in PROGRESS.findall(local.stderr)) == [1, 2], local.stderr[-3000:]
    here, there = provenances(tmp_path / "basic"), provenances(tmp_path / "submitit")
    assert set(here) == set(there)
    for case_id, record in there.items():
        assert record["launcher"] == "submitit_local" and here[case_id]["launcher"] == "basic"
        assert record["launcher_versions"]["hydra-submitit-launcher"] and record["launcher_versions"]["submitit"]
        assert identity(record) == identity(here[case_id])


def test_the_slurm_example_composes() -> None:
    # The README's example, as far as it goes without SLURM: the launcher's config with the given values.
    done = run_cli(["study=migration", "hydra/launcher=submitit_slurm", "hydra.launcher.partition=cpu",
                    "hydra.launcher.timeout_min=30", "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=4",
                    "--cfg", "hydra", "--package", "hydra.launcher"])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher" in done.stdout
    for line in ("partition: cpu", "timeout_min: 30", "cpus_per_task: 1", "mem_gb: 4"):
        assert line in done.stdout, done.stdout


def test_a_job_whose_process_dies_fails_its_case_and_the_sweep_goes_on(tmp_path: Path,
                                                                      toy_env: dict[str, str]) -> None:
    # The toy's die=true SIGKILLs the job's process, as the kernel's (or SLURM's) out-of-memory killer would.
    sweep = tmp_path / "sweep"
    done = run_cli(["-m", "study=toy", "seed=0", "shape.die=true,false", "repeats=1", "hydra/launcher=submitit_local",
                    f"hydra.sweep.dir={sweep}"], env=toy_env)
    assert_lost_worker(done, sweep, "UncompletedJobError")
