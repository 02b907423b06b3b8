"""An access log file is an input of its case: editing it makes a new case, and provenance records its hash."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from distlab import host, store
from distlab.case import resolve_case
from distlab.errors import ParameterError
from distlab.runner import run_case
from distlab.status import OK, SKIPPED

QUIET = "time_s,page,op\n0.0,1,w\n"
# Rewrites many pages during the migration, so pre-copy sends more than for QUIET.
BUSY = "time_s,page,op\n" + "".join(f"{i * 0.0005:.4f},{i % 4000},w\n" for i in range(4000))


@pytest.fixture(scope="module")
def registry() -> Any:
    return host.load_registry()


def _case(registry: Any, path: Path | str) -> Any:
    config = {"study": "migration", "seed": 0, "repeats": 1, "world": {"vm": {"memory_mib": 16}},
              "workload": {"path": str(path)}}
    return resolve_case(config, {"workload": "replay", "strategy": "precopy"}, registry)


def test_an_edited_access_log_runs_again_instead_of_being_skipped(registry: Any, tmp_path: Path) -> None:
    log, root = tmp_path / "log.csv", tmp_path / "sweep"
    log.write_text(QUIET)
    first = run_case(_case(registry, log), root / "0", root=root)
    assert first.status == OK
    assert run_case(_case(registry, log), root / "0", root=root).status == SKIPPED
    sent = pl.read_parquet(root / "0" / "case" / store.RESULTS)["pages_sent"].to_list()

    log.write_text(BUSY)
    again = run_case(_case(registry, log), root / "0", root=root)
    assert again.status == OK and again.case_id != first.case_id
    rows = pl.read_parquet(root / "0" / "case" / store.RESULTS)
    assert rows["case_id"].to_list() == [again.case_id] and rows["pages_sent"].to_list() != sent
    prov = json.loads((root / "0" / "case" / store.PROVENANCE).read_text())
    assert prov["case_id"] == again.case_id
    assert prov["input_files"] == {
        "workload.path": {"path": str(log.resolve()), "sha256": hashlib.sha256(BUSY.encode()).hexdigest()}
    }


def test_a_relative_access_log_path_is_recorded_absolute(registry: Any, tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "t.csv").write_text(QUIET)
    monkeypatch.chdir(tmp_path)
    case = _case(registry, "t.csv")
    run_case(case, tmp_path / "job")
    prov = json.loads((tmp_path / "job" / "case" / store.PROVENANCE).read_text())
    assert prov["config"]["workload"]["path"] == "t.csv"
    assert prov["input_files"]["workload.path"]["path"] == str(tmp_path.resolve() / "t.csv")
    # The bundled example access log (empty path) is no input file: the plugin's version covers it.
    assert _case(registry, "").input_files() == {}


def test_a_missing_access_log_names_the_key_and_the_path(registry: Any, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"'workload.path'.*nope.csv: No such file"):
        _case(registry, tmp_path / "nope.csv").case_id


def test_the_cli_reruns_a_sweep_whose_access_log_changed(tmp_path: Path) -> None:
    from testkit import run_cli

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    log, sweep = tmp_path / "log.csv", tmp_path / "sweep"
    args = ["-m", "workload=replay", "workload.path=log.csv", "world.vm.memory_mib=16", f"hydra.sweep.dir={sweep}"]

    def provenance() -> dict[str, Any]:
        return json.loads((sweep / "0" / "case" / store.PROVENANCE).read_text())

    log.write_text(QUIET)
    assert run_cli(args, env=env, cwd=tmp_path).returncode == 0
    first = provenance()
    assert run_cli(args, env=env, cwd=tmp_path).returncode == 0
    assert provenance() == first  # skipped: nothing rewritten
    log.write_text(BUSY)
    done = run_cli(args, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    second = provenance()
    assert second["case_id"] != first["case_id"]
    # The old access log's case keeps its own directory (the store names it by case id): not overwritten.
    assert (sweep / f"case-{first['case_id']}" / store.RESULTS).is_file()
    assert second["input_files"]["workload.path"] == {
        "path": str(log.resolve()), "sha256": hashlib.sha256(BUSY.encode()).hexdigest()
    }
    # The report keeps the two access logs apart: their content hash is a sweep dimension.
    from distlab.report import load_tables

    tables = load_tables(sweep)
    assert "workload.path.sha256" in tables.varying and tables.results["case_id"].n_unique() == 2
    missing = run_cli([*args[:2], "workload.path=gone.csv", *args[3:]], env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "'workload.path'" in missing.stderr and str(tmp_path.resolve() / "gone.csv") in missing.stderr
