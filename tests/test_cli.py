"""End-to-end tests of the ``distlab`` command, as a user runs it (subprocesses)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from testkit import run_cli
from distlab.host import load_registry


def test_help_lists_the_verbs(toy_env) -> None:
    done = run_cli(["--help"], env=toy_env)
    assert done.returncode == 0
    for word in ("distlab plugins", "distlab report DIR", "--multirun", "seed", "repeats", "strategy"):
        assert word in done.stdout


def test_plugins_lists_every_kind_and_component(toy_env) -> None:
    done = run_cli(["plugins"], env=toy_env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for text in ("study migration", "kind strategy", "kind workload", "study toy", "kind shape",
                 "shape=constant", "shape.count: integer = 2  (an integer >= 1 and <= 10)", "world.vm.memory_mib"):
        assert text in out
    registry = load_registry()
    for comp in registry:
        assert f"{comp.kind}={comp.name}" in out


def _every_kind() -> list[str]:
    import os

    os.environ.setdefault("DISTLAB_PLUGINS", "")
    return [k.name for k in load_registry().kinds()]


@pytest.mark.parametrize("kind", ["study", *_every_kind(), "shape"])
def test_unknown_name_exits_2_with_did_you_mean(kind: str, toy_env) -> None:
    registry = load_registry()
    study = "toy" if kind == "shape" else "migration"
    names = [s.name for s in registry.studies()] if kind == "study" else [c.name for c in registry.components(kind)]
    typo = (names[0][:-1] + "x") if names else "nosuch"
    args = [f"study={typo}"] if kind == "study" else [f"study={study}", f"{kind}={typo}"]
    done = run_cli(args, env=toy_env)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert f"Unknown {kind} '{typo}'" in done.stderr
    if names:
        assert f"Did you mean '{names[0]}'?" in done.stderr


def test_sweep_value_typo_is_caught_before_anything_runs(toy_env, tmp_path: Path) -> None:
    done = run_cli(["-m", "study=toy", "shape=uniform,constnt", f"hydra.sweep.dir={tmp_path}"], env=toy_env)
    assert done.returncode == 2 and "Did you mean 'constant'?" in done.stderr
    assert not any(tmp_path.rglob("results.parquet"))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("shape.count=11", "Invalid value for 'shape.count': 11. Allowed: an integer >= 1 and <= 10."),
        ("shape.count=abc", "shape.count"),
        ("world.scale=-1", "Invalid value for 'world.scale'"),
        ("repeats=0", "Invalid value for 'repeats'"),
        ("shape.nosuch=1", "nosuch"),
    ],
)
def test_bad_parameter_exits_2_naming_the_key(override: str, message: str, toy_env, tmp_path: Path) -> None:
    done = run_cli(["study=toy", "shape=constant", override, f"hydra.run.dir={tmp_path}"], env=toy_env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not any(tmp_path.rglob("results.parquet"))


def test_sweep_needs_multirun(toy_env) -> None:
    done = run_cli(["study=toy", "shape=uniform,constant"], env=toy_env)
    assert done.returncode == 2 and "--multirun" in done.stderr


def _metrics(sweep_dir: Path) -> pl.DataFrame:
    rows = pl.concat([pl.read_parquet(p) for p in sorted(sweep_dir.rglob("results.parquet"))], how="diagonal_relaxed")
    return rows.select("case_id", "repeat", "trial_seed", "status", "value_mean", "value_max").sort("case_id", "repeat")


def test_sweep_report_and_launchers_agree(toy_env, tmp_path: Path) -> None:
    sweep = ["-m", "study=toy", "shape=uniform,constant", "seed=0,1"]
    basic = run_cli([*sweep, f"hydra.sweep.dir={tmp_path / 'basic'}"], env=toy_env)
    assert basic.returncode == 0, basic.stderr
    joblib = run_cli([*sweep, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                      f"hydra.sweep.dir={tmp_path / 'joblib'}"], env=toy_env)
    assert joblib.returncode == 0, joblib.stderr
    a, b = _metrics(tmp_path / "basic"), _metrics(tmp_path / "joblib")
    assert a.height == 4 * 3 and a["case_id"].n_unique() == 4
    assert a.equals(b)

    report = run_cli(["report", str(tmp_path / "basic"), "--out", str(tmp_path / "rep")], env=toy_env)
    assert report.returncode == 0, report.stderr
    for name in ("REPORT.md", "report.html", "results.parquet"):
        assert (tmp_path / "rep" / name).is_file()
    assert list((tmp_path / "rep" / "figures").glob("*.png"))

    again = run_cli([*sweep, f"hydra.sweep.dir={tmp_path / 'basic'}"], env=toy_env)
    assert again.returncode == 0
    assert again.stderr.count("already has results") + again.stdout.count("already has results") == 4
    assert _metrics(tmp_path / "basic").equals(a)


def test_a_failing_case_does_not_stop_the_sweep(toy_env, tmp_path: Path) -> None:
    done = run_cli(["-m", "study=toy", "shape=uniform", "shape.explode=true,false", "repeats=2",
                    f"hydra.sweep.dir={tmp_path}"], env=toy_env)
    assert done.returncode == 0, done.stderr
    rows = _metrics(tmp_path)
    assert rows.filter(pl.col("status") == "failed").height == 2
    assert rows.filter(pl.col("status") == "ok").height == 2
    report = run_cli(["report", str(tmp_path)], env=toy_env)
    assert report.returncode == 0
    assert "boom: the toy component was told to explode" in (tmp_path / "REPORT.md").read_text()


def test_report_on_empty_directory(tmp_path: Path, toy_env) -> None:
    done = run_cli(["report", str(tmp_path)], env=toy_env)
    assert done.returncode == 1
    assert "no results in" in done.stderr and "Traceback" not in done.stderr


def test_experiment_folder_with_a_preset_and_an_analysis(toy_env, tmp_path: Path) -> None:
    import shutil

    from testkit import FIXTURES

    folder = tmp_path / "toy_experiment"
    shutil.copytree(FIXTURES / "toy_experiment", folder)
    done = run_cli(["experiment", str(folder)], env=toy_env)
    assert done.returncode == 0, done.stderr
    md = (folder / "REPORT.md").read_text()
    assert "| constant | big_constant | 4 | ok | 20.0 |" in md  # the preset is traced to its component
    assert "## Toy analysis" in md and "- constant: mean 20.000" in md
    assert (folder / "report.html").is_file() and list((folder / "figures").glob("*.png"))
    first = pl.read_parquet(folder / "results.parquet").drop("job_dir")
    for extra in ([], ["--resume"]):  # afresh, then skipping every finished case
        again = run_cli(["experiment", str(folder), *extra], env=toy_env)
        assert again.returncode == 0
        assert pl.read_parquet(folder / "results.parquet").drop("job_dir").equals(first)


def test_experiment_with_a_bad_preset_value_exits_2(toy_env, tmp_path: Path) -> None:
    import shutil

    from testkit import FIXTURES

    folder = tmp_path / "toy_experiment"
    shutil.copytree(FIXTURES / "toy_experiment", folder)
    preset = folder / "shape" / "big_constant.yaml"
    preset.write_text(preset.read_text().replace("value: 10.0", "count: 99"))
    done = run_cli(["experiment", str(folder)], env=toy_env)
    assert done.returncode == 2
    assert "Invalid value for 'shape.count': 99" in done.stderr
    assert not (folder / "runs").exists() or not any((folder / "runs").rglob("results.parquet"))


def test_migration_sweep_is_identical_under_both_launchers(tmp_path: Path) -> None:
    """The acceptance test of the foundation on the real study: 2 strategies × 2 seeds, two launchers."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    sweep = ["-m", "strategy=precopy,postcopy", "seed=0,1", "workload=hotset", "world.vm.memory_mib=64",
             "workload.write_rate_pages_s=2000", "repeats=2"]
    basic = run_cli([*sweep, f"hydra.sweep.dir={tmp_path / 'basic'}"], env=env)
    assert basic.returncode == 0, basic.stderr
    joblib = run_cli([*sweep, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={tmp_path / 'joblib'}"], env=env)
    assert joblib.returncode == 0, joblib.stderr
    metrics = ["case_id", "repeat", "trial_seed", "status", "total_time_s", "downtime_s", "bytes_sent", "remote_faults"]
    read = lambda d: pl.concat([pl.read_parquet(p) for p in d.rglob("results.parquet")], how="diagonal_relaxed").select(metrics).sort("case_id", "repeat")  # noqa: E731
    a, b = read(tmp_path / "basic"), read(tmp_path / "joblib")
    assert a.height == 8 and set(a["status"]) == {"ok"}
    assert a.equals(b)
    report = run_cli(["report", str(tmp_path / "basic")], env=env)
    assert report.returncode == 0, report.stderr
    assert len(list((tmp_path / "basic" / "figures").glob("*.png"))) >= 5


def test_experiment_with_a_bad_override_keeps_the_last_runs(toy_env, tmp_path: Path) -> None:
    import shutil

    from testkit import FIXTURES

    folder = tmp_path / "toy_experiment"
    shutil.copytree(FIXTURES / "toy_experiment", folder)
    assert run_cli(["experiment", str(folder)], env=toy_env).returncode == 0
    before = sorted(p.relative_to(folder) for p in (folder / "runs").rglob("results.parquet"))
    assert before
    done = run_cli(["experiment", str(folder), "shape.nosuch=1"], env=toy_env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "nosuch" in done.stderr
    assert sorted(p.relative_to(folder) for p in (folder / "runs").rglob("results.parquet")) == before


def test_report_with_a_missing_analysis_file(toy_env, tmp_path: Path) -> None:
    assert run_cli(["study=toy", f"hydra.run.dir={tmp_path / 'run'}"], env=toy_env).returncode == 0
    done = run_cli(["report", str(tmp_path / "run"), "--analysis", str(tmp_path / "nope.py")], env=toy_env)
    assert done.returncode == 2 and "Traceback" not in done.stderr  # a usage error: nothing was reported
    assert "nope.py: no such file" in done.stderr


def test_two_presets_with_identical_parameters_are_warned_about(toy_env, tmp_path: Path) -> None:
    import shutil

    from testkit import FIXTURES

    folder = tmp_path / "toy_experiment"
    shutil.copytree(FIXTURES / "toy_experiment", folder)
    shutil.copy(folder / "shape" / "big_constant.yaml", folder / "shape" / "twin.yaml")
    sweep = folder / "sweep.yaml"
    sweep.write_text(sweep.read_text().replace("shape: uniform,big_constant", "shape: big_constant,twin"))
    done = run_cli(["experiment", str(folder)], env=toy_env)
    assert done.returncode == 0, done.stderr
    assert "shape=twin seed=0 resolves to the same case as shape=big_constant seed=0" in done.stderr


def test_an_access_log_beyond_the_vm_is_caught_before_anything_runs(tmp_path: Path) -> None:
    """Only the world and the workload together can tell: the study's case check runs in preflight."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    done = run_cli(["-m", "workload=replay", "world.vm.memory_mib=4,64", f"hydra.sweep.dir={tmp_path}"], env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "page 4057 is beyond the VM's memory (1024 pages" in done.stderr
    assert not list(tmp_path.rglob("results.parquet"))


def test_a_single_run_that_fails_exits_1_a_sweep_does_not(toy_env, tmp_path: Path) -> None:
    done = run_cli(["study=toy", "shape.explode=true", f"hydra.run.dir={tmp_path / 'one'}"], env=toy_env)
    assert done.returncode == 1 and "failed: boom" in done.stdout
    swept = run_cli(["-m", "study=toy", "shape.explode=true,false", f"hydra.sweep.dir={tmp_path / 'many'}"], env=toy_env)
    assert swept.returncode == 0, swept.stderr


@pytest.mark.parametrize("value", ["no", "maybe", "2"])
def test_force_must_be_a_boolean(value: str, toy_env) -> None:
    done = run_cli(["study=toy", f"force={value}"], env=toy_env)
    assert done.returncode == 2 and f"Invalid value for 'force'" in done.stderr and "true or false" in done.stderr


def test_version_and_verb_typos(toy_env) -> None:
    done = run_cli(["--version"], env=toy_env)
    assert done.returncode == 0 and done.stdout.startswith("distlab ") and "hydra-core" in done.stdout
    typo = run_cli(["repor", "somewhere"], env=toy_env)
    assert typo.returncode == 2 and "did you mean 'report'?" in typo.stderr and "Traceback" not in typo.stderr


@pytest.mark.parametrize("args, message", [
    (["=5"], "cannot apply the overrides"),
    (["world.vm.memory_mib=99999999999"], "memory_mib': 99999999999. Allowed: an integer > 0 and <= 2**25"),
])
def test_odd_overrides_are_clear_errors(args: list[str], message: str) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    done = run_cli(args, env=env)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_a_malformed_sweep_yaml_names_the_file(toy_env, tmp_path: Path) -> None:
    (tmp_path / "sweep.yaml").write_text("defaults: [config\n")
    done = run_cli(["experiment", str(tmp_path)], env=toy_env)
    assert done.returncode == 2 and "not valid YAML" in done.stderr and "sweep.yaml" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("sweep, message", [
    ("strategy.max_rounds=range(5,1)", "sweeps over no values"),
    ("strategy.max_rounds=range(1,2,0)", "a range's step cannot be 0"),
    ("strategy.max_rounds=range(1,1e20)", "more than 1,000,000 cases"),  # Hydra would list every value first
    ("hydra.sweeper.params={a:1}", "cannot apply the overrides"),
])
def test_sweeps_that_cannot_expand_are_exit_2(sweep: str, message: str, tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    done = run_cli(["-m", sweep, "world.vm.memory_mib=16", f"hydra.sweep.dir={tmp_path}"], env=env)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_glob_expands_in_preflight(tmp_path: Path) -> None:
    from distlab.hydra.preflight import preflight
    from distlab.host import get_registry

    get_registry()
    n = preflight(["strategy=glob(*,exclude=[hybrid,precopy_postcopy])", "world.vm.memory_mib=16"], multirun=True)
    assert n == 3  # stop_and_copy, precopy, postcopy


@pytest.mark.parametrize("args, message", [
    (["strategy.skip_zero_pages=2"], "Invalid value for 'strategy.skip_zero_pages': 2. Allowed: true or false"),
    (["-m", "strategy.skip_zero_pages=true,no"], "Invalid value for 'strategy.skip_zero_pages': 'no'"),
    (["world.link.limit_stop_copy=yes"], "Invalid value for 'world.link.limit_stop_copy': 'yes'"),
    (["strategy=null"], "strategy takes one name; choose one of"),
])
def test_booleans_and_names_are_not_coerced(args: list[str], message: str, tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    done = run_cli([*args, "world.vm.memory_mib=16", f"hydra.run.dir={tmp_path}", f"hydra.sweep.dir={tmp_path}"], env=env)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_multirun_with_cfg_is_a_usage_error(toy_env) -> None:
    done = run_cli(["-m", "study=toy", "--cfg", "job"], env=toy_env)
    assert done.returncode == 2 and "do not go together" in done.stderr and "Traceback" not in done.stderr


def test_preflight_parses_expands_and_checks_in_steps() -> None:
    from distlab.hydra.compose import composing
    from distlab.hydra.config_store import stored_registry
    from distlab.hydra.preflight import cases, check_cases, expand, parse

    registry = stored_registry()
    with composing() as composer:
        parsed = parse(composer, ["strategy=precopy,stop_and_copy", "seed=0,1", "world.vm.memory_mib=16"], registry,
                       multirun=True)
        plan = expand(composer, parsed, registry, multirun=True)
        assert plan.fixed == ("world.vm.memory_mib=16",) and plan.total == 4
        resolved = list(cases(composer, plan, registry))
    assert [combo for combo, _ in resolved] == list(plan.combinations())
    assert {case.components["strategy"][0].name for _, case in resolved} == {"precopy", "stop_and_copy"}
    check_cases(resolved)


def test_a_large_sweep_is_checked_case_by_case() -> None:
    """No cliff: past 2,000 cases every combination is still checked, in the order Hydra runs them."""
    from distlab.hydra.preflight import Plan

    plan = Plan((), (tuple(f"a={i}" for i in range(50)), tuple(f"b={i}" for i in range(50))), ())
    combos = list(plan.combinations())
    assert plan.total == len(combos) == len(set(combos)) == 2500
    assert combos[:2] == [("a=0", "b=0"), ("a=0", "b=1")]


def test_new_hands_its_arguments_to_the_scaffold(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from distlab.cli import main

    seen: list[list[str]] = []
    fake = types.ModuleType("distlab.scaffold")
    fake.main = lambda args: seen.append(list(args)) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "distlab.scaffold", fake)
    assert main(["new", "plugin", "myplug", "--kind", "strategy"]) == 0
    assert seen == [["plugin", "myplug", "--kind", "strategy"]]


def test_a_sweep_records_its_plan_and_the_report_counts_what_is_missing(tmp_path: Path) -> None:
    """Preflight's case ids are recorded before the first job; a report of a sweep cut short says so."""
    import json
    import os
    import shutil

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    sweep = tmp_path / "a sweep, with a comma"
    done = run_cli(["-m", "strategy=precopy,postcopy,stop_and_copy", "world.vm.memory_mib=4", "repeats=1",
                    f"hydra.sweep.dir='{sweep}'"], env=env)
    assert done.returncode == 0, done.stderr
    planned = json.loads((sweep / ".distlab" / "plan.json").read_text())["case_ids"]
    cases = sorted(p.name.removeprefix("case-") for p in sweep.glob("case-*"))
    assert sorted(planned) == cases and len(cases) == 3
    shutil.rmtree(sweep / f"case-{planned[1]}")  # as if the sweep had been killed before that case
    report = run_cli(["report", str(sweep), "--out", str(tmp_path / "report")], env=env)
    assert report.returncode == 0, report.stderr
    text = (tmp_path / "report" / "REPORT.md").read_text()
    assert "2 of 3 planned cases have results" in text and planned[1] in text


def test_debug_shows_a_failed_trials_traceback_live(toy_env, tmp_path: Path) -> None:
    quiet = run_cli(["study=toy", "shape.explode=true", "repeats=1", f"hydra.run.dir={tmp_path / 'a'}"], env=toy_env)
    loud = run_cli(["--debug", "study=toy", "shape.explode=true", "repeats=1", f"hydra.run.dir={tmp_path / 'b'}"],
                   env=toy_env)
    assert quiet.returncode == loud.returncode == 1
    assert "Traceback (most recent call last)" not in quiet.stdout + quiet.stderr
    assert "error_traceback column" in quiet.stdout + quiet.stderr
    said = loud.stdout + loud.stderr
    assert "Traceback (most recent call last)" in said and "RuntimeError: boom" in said
    assert "toy_plugin.py" in said  # the frame where the component raised
