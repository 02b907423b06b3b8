"""Provenance is complete (issue 15): library versions, the machine, the host's name (unless switched
off) and the launcher, recorded by the process that ran the case."""

from __future__ import annotations

import json
import socket
from importlib.metadata import version
from pathlib import Path

import pytest

from distlab import store
from distlab.case import resolve_case
from distlab.host import load_registry
from distlab.provenance import LIBRARIES, machine, provenance
from distlab.runner import run_case, run_options


@pytest.fixture
def registry():
    import toy_plugin

    return load_registry(autoload=False, plugins=[], modules=[toy_plugin])


def _run(tmp_path: Path, registry, **kwargs) -> dict:
    case = resolve_case({"study": "toy", "seed": 0, "repeats": 1, "world": {}, "shape": {}}, {"shape": "uniform"},
                        registry)
    outcome = run_case(case, tmp_path / "job", **kwargs)
    return json.loads((outcome.job_dir / store.PROVENANCE).read_text())


def test_library_versions_machine_and_launcher(tmp_path: Path, registry) -> None:
    record = _run(tmp_path, registry, launcher="joblib")
    assert set(LIBRARIES) == {"numpy", "numba", "scipy", "polars", "hydra-core", "omegaconf", "pluggy"}
    assert record["libraries"] == {name: version(name) for name in LIBRARIES}
    assert record["code"]["distribution"] == "distlab" and record["code"]["version"]
    host = record["host"]
    assert host["hostname"] == socket.gethostname()
    assert isinstance(host["cpu_count"], int) and host["cpu_count"] >= 1
    assert 1 <= host["cpu_count_usable"] <= host["cpu_count"]
    assert isinstance(host["memory_bytes"], int) and host["memory_bytes"] > 2**20
    assert host["cpu_model"]
    assert record["launcher"] == "joblib"
    # The study's engine, as the case id hashed it (the toy study's runner lives in the module toy_plugin).
    assert record["study_code"]["modules"] == ["toy_plugin"] and len(record["study_code"]["sha256"]) == 64


def test_the_hostname_can_be_left_out(tmp_path: Path, registry) -> None:
    record = _run(tmp_path, registry, hostname=False)
    assert record["host"]["hostname"] is None and socket.gethostname() not in json.dumps(record)
    assert record["launcher"] is None  # run from Python, not under a Hydra launcher
    assert run_options({"provenance": {"hostname": False}}).hostname is False


def test_a_record_names_the_machine_of_the_process_that_wrote_it() -> None:
    assert provenance(case_id="x")["host"] == machine()
    assert machine(hostname=False)["hostname"] is None


def test_the_hostname_switch_from_the_command_line(tmp_path: Path, toy_env: dict[str, str]) -> None:
    from testkit import run_cli

    run_dir = tmp_path / "run"
    done = run_cli(["study=toy", "repeats=1", "provenance.hostname=false", f"hydra.run.dir={run_dir}"], env=toy_env)
    assert done.returncode == 0, done.stderr[-2000:]
    (record_path,) = run_dir.glob("case-*/provenance.json")
    record = json.loads(record_path.read_text())
    assert record["host"]["hostname"] is None and record["launcher"] == "basic"
    bad = run_cli(["study=toy", "provenance.hostname=maybe", f"hydra.run.dir={tmp_path / 'bad'}"], env=toy_env)
    assert bad.returncode == 2 and "provenance.hostname" in bad.stderr and "true or false" in bad.stderr


def test_the_report_shows_libraries_machines_and_launcher(tmp_path: Path, registry) -> None:
    from distlab.report import make_report

    case = resolve_case({"study": "toy", "seed": 0, "repeats": 1, "world": {}, "shape": {}}, {"shape": "uniform"},
                        registry)
    root = tmp_path / "sweep"
    run_case(case, root / "0", root=root, hostname=False, launcher="basic")
    make_report(root, tmp_path / "report")
    text = (tmp_path / "report" / "REPORT.md").read_text()
    assert f"numpy {version('numpy')}" in text and f"pluggy {version('pluggy')}" in text
    (machines,) = [line for line in text.splitlines() if "machines" in line]
    assert "host name not recorded" in machines and f"{socket.gethostname()}:" not in machines
    assert "basic (1 jobs)" in text
    import polars as pl

    rows = pl.read_parquet(tmp_path / "report" / "results.parquet")
    assert rows["study.code"].to_list() == [registry.study("toy").engine_code()["sha256"][:12]]


def test_the_launchers_distribution_and_its_engine_are_recorded(tmp_path: Path, registry) -> None:
    from distlab.provenance import distributions_of

    record = _run(tmp_path, registry, launcher="joblib",
                  launcher_module="hydra_plugins.hydra_joblib_launcher.joblib_launcher")
    # Found by file: hydra_plugins is a namespace that several installed distributions share.
    assert record["launcher_versions"]["hydra-joblib-launcher"] == version("hydra-joblib-launcher")
    assert record["launcher_versions"]["joblib"] == version("joblib")
    assert "hydra-ray-launcher" not in record["launcher_versions"]
    assert distributions_of("hydra_plugins.no_such_launcher") == {}
    assert distributions_of("json") == {}  # the standard library ships with Python, no distribution
    assert _run(tmp_path / "again", registry)["launcher_versions"] is None
