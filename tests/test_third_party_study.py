"""The seam: a study shipped as its own distribution runs a sweep and a report with no core edit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from testkit import FIXTURES, run_cli


@pytest.fixture(scope="module")
def dice_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dice study built as a wheel and installed into a folder of its own (as pip installs it)."""
    work = tmp_path_factory.mktemp("dice")
    wheel_dir = work / "wheel"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir),
         str(FIXTURES / "dice_study")], capture_output=True, text=True, cwd=work,
    )
    assert build.returncode == 0, build.stderr
    site = work / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         *map(str, wheel_dir.glob("dice_study-*.whl"))], capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stderr
    return site


@pytest.mark.slow
def test_an_installed_study_runs_a_sweep_and_a_report(dice_site: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(dice_site)}
    env.pop("DISTLAB_PLUGINS", None)
    listed = run_cli(["plugins"], env=env)
    assert listed.returncode == 0, listed.stderr
    assert "study dice: rolling dice" in listed.stdout and "die=loaded  (dice-study 1.0.0" in listed.stdout
    sweep = tmp_path / "sweep"
    done = run_cli(["-m", "study=dice", "die=fair,loaded", "world.sides=6", "repeats=4",
                    f"hydra.sweep.dir={sweep}"], env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = run_cli(["report", str(sweep), "--out", str(tmp_path / "report")], env=env)
    assert report.returncode == 0, report.stderr
    results = pl.read_parquet(tmp_path / "report" / "results.parquet")
    assert results.height == 8 and set(results["die"]) == {"fair", "loaded"}
    assert (results["status"] == "ok").all()
    sixes = results.group_by("die").agg(pl.col("sixes").mean()).sort("die")["sixes"].to_list()
    assert sixes[1] > sixes[0]  # a die loaded 3:1 on six shows more sixes (3/8 against 1/6 expected)
    text = (tmp_path / "report" / "REPORT.md").read_text()
    assert "dice" in text and "sixes" in text
    # Without the distribution, the study is simply not there (and the report still reads its results).
    env.pop("PYTHONPATH")
    gone = run_cli(["-m", "study=dice"], env=env, cwd=tmp_path)
    assert gone.returncode == 2 and "Unknown study 'dice'" in gone.stderr
    again = run_cli(["report", str(sweep), "--out", str(tmp_path / "report2")], env=env)
    assert again.returncode == 0, again.stderr
    assert pl.read_parquet(tmp_path / "report2" / "summary.parquet").equals(
        pl.read_parquet(tmp_path / "report" / "summary.parquet"))
