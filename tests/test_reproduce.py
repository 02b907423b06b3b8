"""``distlab reproduce``: a committed experiment run again gives its committed numbers, and a moved number fails.

Each committed experiment (experiments/*/ with a results.csv) is reproduced on its reduced sweep
(``subset/reproduce.yaml``), in this process and with the basic launcher, so that the three together take
well under a minute; a change that moves one of their numbers fails here, naming the case and metric.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest

from distlab.cli import main
from distlab.reproduce import RESULTS_CSV, compare, results_table
from testkit import FIXTURES, ROOT

EXPERIMENTS = sorted(p.parent.name for p in (ROOT / "experiments").glob(f"*/{RESULTS_CSV}"))


def test_every_committed_experiment_commits_its_results_and_a_reduced_sweep() -> None:
    names = sorted(p.name for p in (ROOT / "experiments").iterdir() if (p / "sweep.yaml").is_file())
    assert names
    for name in names:
        # Without them a change that moves one of its numbers goes unnoticed.
        assert name in EXPERIMENTS, (f"experiments/{name} has no {RESULTS_CSV}: write it with distlab experiment "
                                     f"experiments/{name} --report-only (from the runs its report was made of)")
        assert (ROOT / "experiments" / name / "subset" / "reproduce.yaml").is_file(), \
            f"experiments/{name} has no subset/reproduce.yaml (a reduced sweep of a few seconds for this test)"


@pytest.mark.parametrize("name", [n for n in EXPERIMENTS
                                  if (ROOT / "experiments" / n / "subset" / "reproduce.yaml").is_file()])
def test_the_committed_experiment_reproduces(name: str, builtin_registry: None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["reproduce", str(ROOT / "experiments" / name), "--subset", "reproduce", "hydra/launcher=basic"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[-1].startswith("identical: ")


@pytest.fixture
def toy_experiment(toy_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The toy experiment, run once: its folder with a results.csv, and a subset of it (one seed, one trial)."""
    folder = tmp_path / "toy_experiment"
    shutil.copytree(FIXTURES / "toy_experiment", folder)
    (folder / "subset").mkdir()
    (folder / "subset" / "one.yaml").write_text("# @package _global_\nrepeats: 1\nhydra:\n  sweeper:\n"
                                                "    params:\n      seed: 1\n")
    assert main(["experiment", str(folder)]) == 0
    capsys.readouterr()
    return folder


def test_a_perturbed_committed_value_exits_1_with_a_diff(toy_experiment: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = toy_experiment
    committed = pl.read_csv(folder / RESULTS_CSV, infer_schema=False)
    assert committed.columns[:3] == ["shape", "seed", "repeat"] and committed.height == 8
    assert main(["reproduce", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "identical: 40 values of 8 reproduced trials compared (exact)"
    # The sweep ran in a temporary directory, gone now: no report command is suggested on it.
    deleted = next(line for line in out if line.startswith("note: the reproduced sweep ("))
    gone = Path(deleted.split("(")[1].split(")")[0])
    assert deleted.endswith("is deleted; give --keep to keep it and report on it") and not gone.exists()
    assert main(["reproduce", str(folder), "--keep"]) == 0
    kept = next(line for line in capsys.readouterr().out.splitlines() if "is kept in" in line)
    runs = Path(kept.split("is kept in ")[1].split(" (")[0])
    assert kept.endswith(f"(distlab report {runs} makes its report)") and (runs / ".distlab").is_dir()
    shutil.rmtree(runs.parent)

    # One number moved by one unit in its last place: the only difference, with both values.
    row = committed.filter((pl.col("shape") == "big_constant") & (pl.col("seed") == "1") & (pl.col("repeat") == "1"))
    old = row["value_mean"][0]
    new = repr(float(old) * (1 + 2**-52))
    assert new != old
    mask = (pl.col("shape") == "big_constant") & (pl.col("seed") == "1") & (pl.col("repeat") == "1")
    committed.with_columns(pl.when(mask).then(pl.lit(new)).otherwise(pl.col("value_mean")).alias("value_mean")) \
        .write_csv(folder / RESULTS_CSV)
    assert main(["reproduce", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    lines = out[out.index(next(line for line in out if line.startswith("case "))):]  # after Hydra's log lines
    assert lines[0].split() == ["case", "metric", "committed", "reproduced"]
    # Compared exactly, shown in full: the two differ in their last digit.
    assert lines[1].split() == ["shape=big_constant", "seed=1", "repeat", "1", "value_mean", new, old]
    assert lines[2] == "1 difference: 40 values of 8 reproduced trials compared (exact)"

    # A subset compares only what it runs: seed 1's first trial (the moved value is in its second).
    assert main(["reproduce", str(folder), "--subset", "one"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("identical: 10 values of 2 reproduced trials")
    # The whole sweep must reproduce every committed trial: a committed trial that did not run is a difference.
    extra = committed.filter(pl.col("repeat") == "0").with_columns(pl.lit("7").alias("repeat"))
    pl.concat([committed, extra]).write_csv(folder / RESULTS_CSV)
    assert main(["reproduce", str(folder)]) == 1
    assert capsys.readouterr().out.count("not reproduced") == 4


def test_reproduce_refuses_bad_arguments_before_running(toy_experiment: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where reproduce would make its sweep directory
    runs = list(tmp_path.glob("distlab-reproduce-*"))
    assert main(["reproduce", str(toy_experiment), "--subset", "onw"]) == 2
    assert "no subset 'onw'; did you mean 'one'?" in capsys.readouterr().err
    assert main(["reproduce", str(toy_experiment), "--band", "0.5"]) == 2
    assert main(["reproduce", str(toy_experiment), "shape=nosuch"]) == 2
    assert "Unknown shape 'nosuch'" in capsys.readouterr().err
    (toy_experiment / RESULTS_CSV).unlink()
    assert main(["reproduce", str(toy_experiment)]) == 2
    assert f"has no {RESULTS_CSV}" in capsys.readouterr().err
    assert main(["reproduce", str(tmp_path / "nope")]) == 2
    assert list(tmp_path.glob("distlab-reproduce-*")) == runs


def _table(values: dict[str, list[object]]) -> pl.DataFrame:
    rows = pl.DataFrame({"status": ["ok"] * len(values["repeat"]), "error_type": [None] * len(values["repeat"]),
                         **values}, strict=False)
    return results_table(rows, ["bytes", "per_s"], ["fmt"], ["fmt"])


def test_measured_metrics_are_compared_per_case_within_the_band() -> None:
    committed = _table({"fmt": ["a", "a", "b"], "repeat": [0, 1, 0], "bytes": [10, 10, 7], "per_s": [100.0, 300.0, 5.0]})
    # Case a's mean is 200 committed; b's 5. Trials differ, means within a factor 3: identical.
    same = _table({"fmt": ["a", "b"], "repeat": [0, 0], "bytes": [10, 7], "per_s": [500.0, 14.9]})
    diffs, compared = compare(committed, same, ["fmt"], ["bytes", "per_s"], ["per_s"], band=3.0, complete=False)
    assert diffs == [] and compared == 2 * 3 + 2  # status, error_type and bytes per trial; per_s per case
    slow = _table({"fmt": ["a", "b"], "repeat": [0, 0], "bytes": [10, 7], "per_s": [60.0, 5.0]})
    diffs, _ = compare(committed, slow, ["fmt"], ["bytes", "per_s"], ["per_s"], band=3.0, complete=False)
    assert [(d.case, d.metric, d.committed, d.reproduced) for d in diffs] == [("fmt=a (mean)", "per_s", "200", "60")]
    # Compared exactly, the same timed values differ.
    diffs, _ = compare(committed, same, ["fmt"], ["bytes", "per_s"], [], complete=False)
    assert {d.case for d in diffs} == {"fmt=a repeat 0", "fmt=b repeat 0"}


def test_the_last_line_counts_in_the_singular_for_one() -> None:
    from distlab.reproduce import Difference, Reproduction, format_differences

    one = Reproduction([Difference("x=1 repeat 0", "m", "1", "2")], 1, 1, [], [])
    assert format_differences(one).splitlines()[-1] == "1 difference: 1 value of 1 reproduced trial compared (exact)"
    many = Reproduction([Difference("x=1 repeat 0", "m", "1", "2")] * 2, 12_000, 1_500, [], [])
    assert format_differences(many).splitlines()[-1] == \
        "2 differences: 12,000 values of 1,500 reproduced trials compared (exact)"
