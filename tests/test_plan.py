"""``distlab plan``: a sweep's cases, what is done or failed in its directory, and a time estimate, without running.

The toy study's sweeps run in this process (``distlab.cli.main``), so each takes a second or two.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
from datetime import datetime
from pathlib import Path

import pytest

from distlab import store
from distlab.cli import main
from distlab.plan import CasePlan, Estimate, SweepPlan, estimate, format_plan, plan_sweep_dir

TOY = ["study=toy", "shape=uniform,constant", "seed=0,1", "repeats=2"]


def _plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    assert main(["plan", "--json", *args]) == 0
    return dict(json.loads(capsys.readouterr().out))


def _per_trial(root: Path) -> dict[str, tuple[str, float]]:
    """Each case's component and recorded seconds per trial, read from its provenance here (not by plan.py)."""
    out = {}
    for path in root.glob("case-*/provenance.json"):
        record = json.loads(path.read_text())
        seconds = (datetime.fromisoformat(record["finished_at"]) - datetime.fromisoformat(record["started_at"]))
        out[record["case_id"]] = (record["components"]["shape"]["name"],
                                  seconds.total_seconds() / record["config"]["repeats"])
    return out


def test_plan_counts_the_done_and_estimates_the_rest_from_recorded_durations(
        toy_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "sweep"
    before = _plan_json(capsys, *TOY, f"hydra.sweep.dir={root}")
    assert not root.exists()  # a plan writes nothing
    assert before["cases"] == before["to_run"] == 4 and before["done"] == 0 and before["trials_to_run"] == 8
    assert before["estimate_s"] is None and before["estimate_basis"]["earlier_runs"] == 0
    capsys.readouterr()
    assert main(["plan", *TOY, f"hydra.sweep.dir={root}"]) == 0
    assert "no earlier runs to estimate from" in capsys.readouterr().out

    assert main(["--multirun", *TOY, f"hydra.sweep.dir={root}"]) == 0
    recorded = _per_trial(root)
    assert len(recorded) == 4
    after = _plan_json(capsys, *TOY, f"hydra.sweep.dir={root}")
    assert (after["done"], after["to_run"], after["estimate_s"]) == (4, 0, None)

    # Two more seeds: four new cases, each estimated by the median per trial of its component's earlier cases.
    wider = _plan_json(capsys, "study=toy", "shape=uniform,constant", "seed=0,1,2,3", "repeats=2",
                       f"hydra.sweep.dir={root}")
    assert (wider["cases"], wider["done"], wider["to_run"], wider["trials_to_run"]) == (8, 4, 4, 8)
    assert wider["estimate_basis"] == {"own": 0, "by_components": 4, "by_study": 0, "unknown": 0, "earlier_runs": 4}
    expected = sum(2 * 2 * statistics.median(s for c, s in recorded.values() if c == name)
                   for name in ("uniform", "constant"))
    assert wider["estimate_s"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    forced = _plan_json(capsys, *TOY, f"hydra.sweep.dir={root}", "force=true")
    assert forced["to_run"] == 4 and forced["skipped"] == 0 and forced["estimate_basis"]["own"] == 4


def test_a_deterministic_failure_is_kept_unless_retry_failed(toy_env: dict[str, str], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "sweep"
    bad = ["study=toy", "shape=uniform", "shape.explode=true,false", f"hydra.sweep.dir={root}"]
    assert main(["--multirun", *bad]) == 0  # failures are data
    kept = _plan_json(capsys, *bad)
    assert (kept["done"], kept["failed_before"], kept["failed_kept"], kept["to_run"]) == (1, 1, 1, 0)
    capsys.readouterr()
    assert main(["plan", *bad]) == 0
    assert "kept unless retry_failed=true" in capsys.readouterr().out
    retried = _plan_json(capsys, *bad, "retry_failed=true")
    assert retried["to_run"] == 1 and retried["estimate_basis"]["own"] == 1 and retried["estimate_s"] > 0
    # A case whose failure may not happen again (no failed_deterministically) runs again.
    for path in root.glob("case-*/provenance.json"):
        record = json.loads(path.read_text())
        if record["status"] == "failed":
            record["failed_deterministically"] = None
            path.write_text(json.dumps(record))
    again = _plan_json(capsys, *bad)
    assert (again["failed_before"], again["failed_kept"], again["to_run"]) == (1, 0, 1)


@pytest.mark.parametrize("bad", [["shape=unifrm"], ["shape=constant", "shape.count=1,99"], ["seed=range(0,1,0)"]])
def test_plan_refuses_what_the_sweep_refuses_in_the_same_words(
        bad: list[str], toy_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["study=toy", *bad, f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    assert main(["plan", *args]) == 2
    said = capsys.readouterr()
    assert main(["--multirun", *args]) == 2
    assert said.err == capsys.readouterr().err and said.err.startswith("distlab: error: ") and not said.out
    assert not (tmp_path / "sweep").exists()


def test_plan_of_an_experiment_folder(toy_env: dict[str, str], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from testkit import FIXTURES

    folder = tmp_path / "toy_experiment"
    shutil.copytree(FIXTURES / "toy_experiment", folder)
    fresh = _plan_json(capsys, str(folder))
    assert fresh["cases"] == 4 and fresh["sweep_dir"] == str(folder.resolve() / "runs") and fresh["done"] == 0
    assert _plan_json(capsys, str(folder), "seed=0,1,2")["cases"] == 6  # overrides after the folder
    # A plain value on the command line replaces the config's sweep of that key, as in Hydra's sweeper.
    assert _plan_json(capsys, str(folder), "seed=0")["cases"] == 2
    assert main(["experiment", str(folder)]) == 0
    # distlab experiment DIR starts afresh (it deletes DIR/runs): every case runs, and the plan says so.
    capsys.readouterr()
    assert main(["plan", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "done:     4" in out and "starts afresh" in out and "with --resume it keeps" in out
    assert "to run:   4 cases, 8 trials" in out and "4 cases by their own earlier run" in out
    afresh = _plan_json(capsys, str(folder))
    assert (afresh["done"], afresh["skipped"], afresh["to_run"], afresh["fresh"]) == (4, 0, 4, True)
    # distlab experiment DIR --resume keeps DIR/runs and skips what is done there (the flag goes anywhere).
    for args in (["--resume", str(folder)], [str(folder), "--resume"]):
        resumed = _plan_json(capsys, *args)
        assert (resumed["done"], resumed["skipped"], resumed["to_run"], resumed["fresh"]) == (4, 4, 0, False)
    assert main(["plan", "--resume", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "a re-run skips them" in out and "afresh" not in out and "to run:   0 cases, 0 trials" in out
    assert main(["plan", str(tmp_path)]) == 2  # a folder without sweep.yaml
    assert "has no sweep.yaml" in capsys.readouterr().err
    (tmp_path / "a_file").write_text("")
    assert main(["plan", str(folder), "--history", str(tmp_path / "a_file")]) == 2
    assert "--history " in capsys.readouterr().err


def test_a_missing_history_directory_is_a_warning(toy_env: dict[str, str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The README's ``distlab plan experiments/NAME --history experiments/NAME/runs`` on a fresh clone."""
    from testkit import FIXTURES

    folder = tmp_path / "toy_experiment"
    shutil.copytree(FIXTURES / "toy_experiment", folder)
    capsys.readouterr()
    assert main(["plan", str(folder), "--history", str(folder / "runs")]) == 0
    said = capsys.readouterr()
    assert said.err == (f"distlab: warning: --history {folder / 'runs'}: no such directory, so no earlier runs "
                        "there; estimating without them\n")
    assert "to run:   4 cases, 8 trials" in said.out and "no earlier runs to estimate from" in said.out
    planned = _plan_json(capsys, str(folder), "--history", str(tmp_path / "nope"))
    assert planned["to_run"] == 4 and planned["estimate_basis"]["earlier_runs"] == 0


def test_the_estimate_prefers_a_cases_own_run_then_its_components_then_its_study() -> None:
    a, b = ("s", (("k", "a"),)), ("s", (("k", "b"),))
    past = [("x", a, 1.0), ("x", a, 3.0), ("y", a, 10.0), ("z", b, 100.0)]
    cases = [CasePlan("x", a, 2), CasePlan("w", a, 1), CasePlan("v", ("s", (("k", "c"),)), 1),
             CasePlan("u", ("t", (("k", "a"),)), 5)]
    est = estimate(cases, past)
    # own: median(1, 3) x 2 trials; components a: median(1, 3, 10); study s: median of all four = 6.5
    assert est.seconds == pytest.approx(2 * 2.0 + 3.0 + 6.5)
    assert (est.own, est.by_components, est.by_study, est.unknown, est.earlier) == (1, 1, 1, 1, 4)
    assert estimate(cases, []).seconds is None


def test_a_plan_reads_legacy_and_damaged_cases_as_a_rerun_does(toy_env: dict[str, str], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "sweep"
    assert main(["--multirun", *TOY, f"hydra.sweep.dir={root}"]) == 0
    damaged = next(root.glob("case-*"))
    (damaged / store.RESULTS).write_bytes(b"not parquet")  # its SHA-256 no longer matches: runs again
    plan = plan_sweep_dir([*TOY, f"hydra.sweep.dir={root}"])
    assert len(plan.done) == 3 and [c.case_id for c in plan.to_run] == [damaged.name.removeprefix("case-")]
    assert "to run:   1 case, 2 trials" in format_plan(plan)


def test_resume_is_in_the_help_and_only_for_an_experiment_folder(toy_env: dict[str, str], tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    assert "--resume" in capsys.readouterr().out
    assert main(["plan", "--resume", *TOY, f"hydra.sweep.dir={tmp_path / 'sweep'}"]) == 2
    assert "--resume is for an experiment folder" in capsys.readouterr().err


def _plan_of(cases: int, done: int, trials: int, est: Estimate, combinations: int | None = None) -> SweepPlan:
    choice = ("s", (("k", "a"),))
    all_cases = tuple(CasePlan(f"c{i}", choice, trials) for i in range(cases))
    return SweepPlan(combinations or cases, all_cases, None, frozenset(f"c{i}" for i in range(done)), frozenset(),
                     frozenset(), False, False, est)


def test_counts_are_singular_for_one_and_grouped_by_thousands() -> None:
    one = format_plan(_plan_of(1, 0, 1, Estimate(2.0, 1, 0, 0, 0, 1), combinations=2))
    assert one.splitlines()[0] == "2 combinations, 1 distinct case (1 resolves to a case listed already)"
    assert "to run:   1 case, 1 trial\n" in one
    assert "estimated from 1 earlier case run: 1 case by its own earlier run" in one
    many = format_plan(_plan_of(10_000, 0, 2, Estimate(20.0, 0, 9_000, 999, 1, 12_345)))
    assert many.splitlines()[0] == "10,000 combinations, 10,000 distinct cases"
    assert "to run:   10,000 cases, 20,000 trials" in many
    assert "estimated from 12,345 earlier case runs: 9,000 cases by" in many
    assert not re.search(r"\d{4}", many)  # every count of four digits or more is grouped


def test_the_estimate_says_what_each_number_counts() -> None:
    est = Estimate(60.0, 5, 30, 50, 2, 20)
    text = format_plan(_plan_of(87, 0, 1, est)).splitlines()[-1]
    # 20 earlier runs were read; 5 + 30 + 50 of the cases to run were estimated by one rule or another.
    assert text == ("  estimate: about 1 min 00 s in one process (a launcher's workers divide it), estimated from "
                    "20 earlier case runs: 5 cases by their own earlier run; 30 cases by the median of earlier cases "
                    "with the same components; 50 cases by the median of the study's earlier cases (no earlier "
                    "case with the same components); 2 cases not estimated (no earlier run of the same study)")
