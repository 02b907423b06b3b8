"""The command a sweep's last line suggests for the report is one that works (issue 15, D7).

``distlab experiment DIR`` writes its own report into DIR, and ``distlab reproduce`` deletes its temporary
sweep directory unless ``--keep``: the sweep's last line (``Progress.summary``, printed by
``distlab.hydra.app.run``) must not send the user to ``distlab report`` on ``DIR/runs`` or on a deleted
directory: both pass their own hint to ``app.run(..., report=...)``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from distlab.cli import main
from testkit import FIXTURES

def _last_line(err: str) -> str:
    return next(line for line in reversed(err.splitlines()) if line.startswith("distlab: sweep done"))


@pytest.fixture
def toy_experiment(toy_env: dict[str, str], tmp_path: Path) -> Path:
    folder = tmp_path / "toy_experiment"
    shutil.copytree(FIXTURES / "toy_experiment", folder)
    return folder


def test_an_experiment_points_at_the_report_it_writes(toy_experiment: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiment", str(toy_experiment)]) == 0
    said = capsys.readouterr()
    line = _last_line(said.err)
    assert "distlab report" not in line and str(toy_experiment.resolve() / "REPORT.md") in line
    assert str(toy_experiment.resolve() / "REPORT.md") in said.out  # written indeed


def test_reproduce_suggests_no_report_on_the_directory_it_deletes(toy_experiment: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiment", str(toy_experiment)]) == 0
    capsys.readouterr()
    assert main(["reproduce", str(toy_experiment)]) == 0
    assert "report:" not in _last_line(capsys.readouterr().err)
