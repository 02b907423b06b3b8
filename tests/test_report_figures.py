"""A report a reviewer would accept: a synthetic sweep whose metrics span six decades, with failed cases
and coinciding points, checked for its axes, its failure markers and its number formats."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest

from distlab import store
from distlab.report import load_compared, load_tables, make_report
from distlab.report.figures import FAILED_LABEL, SPREAD_LABEL, key_figure, metric_figure
from distlab.report.units import format_value, param_title, quantity, with_spread
from distlab.status import FAILED, OK
from distlab.study import Figure, Metric

METRICS = (
    Metric("wait_s", "spans six decades: 1 µs to 1 s"),
    Metric("bytes_sent", "a few GiB, narrow"),
    Metric("steps", "a count, zero for one treatment"),
)
KEY = Figure("tradeoff", x="bytes_sent", y="wait_s", title="Wait against bytes", panels="world.link.bandwidth_mbit_s")
TREATMENTS = {"fast": 1e-6, "medium": 1e-3, "slow": 1.0, "twin": 1e-3, "broken": None}
REASON = ("MigrationTimeoutError: the migration was still running after the horizon of 3600 s with "
          "1048576 pages left to send, so the case is recorded as unfinished rather than as a number")


def _sweep(root: Path, *, seeds: int = 0) -> Path:
    """Cases: 5 treatments × 2 links, 4 repeats; 'broken' fails every trial; 'twin' equals 'medium'."""
    for link in (1000.0, 10000.0):
        for name, wait in TREATMENTS.items():
            case_id = f"{name}-{int(link)}-{seeds}"
            rows = []
            for repeat in range(4):
                failed = wait is None
                rows.append({
                    "study": "synthetic", "seed": seeds, "strategy": name, "world.link.bandwidth_mbit_s": link,
                    "case_id": case_id, "repeat": repeat, "trial_seed": 1000 * seeds + repeat,
                    "status": FAILED if failed else OK,
                    "error_type": "MigrationTimeoutError" if failed else None,
                    "error_message": REASON.split(": ", 1)[1] if failed else None, "error_traceback": None,
                    # Spread for all but 'slow' (identical trials: no ±); 'twin' coincides with 'medium'.
                    "wait_s": None if failed else wait * (1 + (0.0 if name == "slow" else 0.01 * repeat)),
                    "bytes_sent": None if failed else 4.768e9 + (309243.0 * repeat if name != "slow" else 0.0),
                    "steps": None if failed else (0 if name == "fast" else 3 + repeat),
                })
            store.commit_case(root, case_id, {store.RESULTS: store.parquet_bytes(pl.DataFrame(rows))}, {
                "case_id": case_id, "study": "synthetic", "treatment": "strategy", "baseline": "slow",
                "metrics": [dataclasses.asdict(m) for m in METRICS], "figures": [dataclasses.asdict(KEY)],
                "config": {"seed": seeds}, "code": {"version": "0", "git_commit": None}, "components": {},
                "python": "3.11", "platform": "x", "started_at": "", "finished_at": "",
                "status": FAILED if wait is None else OK,
            })
    return root


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    return _sweep(tmp_path / "sweep")


def _legend_texts(fig: object) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]  # type: ignore[attr-defined]


def test_six_decades_get_a_log_axis_with_points_and_a_narrow_metric_bars(sweep: Path) -> None:
    from matplotlib.patches import Rectangle

    tables = load_tables(sweep)
    wide = metric_figure(tables, METRICS[0])
    narrow = metric_figure(tables, METRICS[1])
    assert wide is not None and narrow is not None
    for ax in wide.axes:
        assert ax.get_yscale() == "log"
        assert not [p for p in ax.patches if isinstance(p, Rectangle)]  # never a bar on a log axis
        low, high = ax.get_ylim()
        assert low <= 1e-6 and high >= 1.0  # nothing clipped
        assert ax.get_ylabel() == "wait (log scale)"
    for ax in narrow.axes:
        assert ax.get_yscale() == "linear"
        assert [p for p in ax.patches if isinstance(p, Rectangle)]
        assert ax.get_ylim()[1] >= 4.768e9 and ax.get_ylabel() == "bytes sent (GiB)"
    assert {"1 Gbit/s link", "10 Gbit/s link"} <= set(_legend_texts(wide))  # values as people write them


def test_failed_cases_are_marked_in_every_figure(sweep: Path) -> None:
    tables = load_tables(sweep)
    for metric in METRICS:
        fig = metric_figure(tables, metric)
        assert fig is not None and FAILED_LABEL in _legend_texts(fig)
        # A red cross at the failed treatment's place on the x axis (broken is x position 0: sorted first).
        crosses = [c for ax in fig.axes for c in ax.collections if c.get_offsets().shape[0]
                   and tuple(c.get_edgecolor()[0][:3]) == pytest.approx((0.839, 0.153, 0.157), abs=0.01)]
        assert crosses
    key = key_figure(tables, KEY)
    assert key is not None and FAILED_LABEL in _legend_texts(key)
    assert SPREAD_LABEL in _legend_texts(key)  # 'twin' and 'medium' coincide: spread, and said


def test_coinciding_points_stay_apart(sweep: Path) -> None:
    tables = load_tables(sweep)
    key = key_figure(tables, KEY)
    assert key is not None
    for ax in key.axes:
        points = [tuple(line.get_xydata()[0]) for line in ax.lines if len(line.get_xydata()) == 1]
        assert len(points) == len(set(points)) == 4  # fast, medium, slow, twin: all visible


def test_numbers_carry_units_and_fixed_digits(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    files = make_report(sweep, out)
    assert {f.suffix for f in files if f.parent.name == "figures"} == {".png", ".svg"}
    md = (out / "REPORT.md").read_text()
    html = (out / "report.html").read_text()
    results = md.split("## Results", 1)[1].split("\n## ", 1)[0]
    assert "| strategy | link bandwidth | trials | status | wait | bytes sent | steps |" in results
    assert "| slow | 1 Gbit/s | 4 | ok | 1.00 s | 4.44 GiB | 4.50 ± 2.1 |" in results  # no ± without spread
    assert "1.02 µs ± 0.021 µs" in results and "4.44 GiB ± 620 KiB" in results
    assert "e+0" not in md and "e-0" not in md
    # A failed case is a row of the results table, its reason cut on a word boundary here, whole in the page.
    row = next(line for line in results.splitlines() if "| broken |" in line)
    assert "failed 4 of 4: MigrationTimeoutError: the migration was still running" in row and row.count("–") == 3
    cut = row.split("failed 4 of 4: ", 1)[1].split(" |", 1)[0]
    assert cut.endswith("…") and REASON.startswith(cut[:-1]) and REASON[len(cut) - 1] == " "
    assert REASON in html
    # Paired differences to the declared baseline: medium's wait is 1 s less than slow's, trial by trial.
    assert "## Paired differences to slow" in md
    paired = md.split("## Paired differences to slow", 1)[1].split("\n## ", 1)[0]
    assert "| 1 Gbit/s | medium | 4 | -999 ms ± 0.021 ms |" in paired


def test_format_rules() -> None:
    assert format_value(0.0835, "s") == "83.5 ms" and format_value(1987.0, "s") == "1990 s"
    assert format_value(4.768e9, "bytes") == "4.44 GiB" and format_value(115501.0) == "116 k"
    assert with_spread(34.36, 1e-15, "s") == "34.4 s" and format_value(-0.99999, "s") == "-1.00 s"
    assert param_title("world.link.bandwidth_mbit_s", 1000.0) == "1 Gbit/s link"
    assert quantity("downtime_s").label == "downtime" and quantity("mean_latency_us").factor == 1e-6


def test_a_report_over_two_sweeps_has_the_sweep_as_a_column(tmp_path: Path) -> None:
    first, second = _sweep(tmp_path / "a"), _sweep(tmp_path / "b", seeds=1)
    tables = load_compared([first, second])
    assert tables.varying[0] == "sweep" and set(tables.results["sweep"].unique()) == {"a", "b"}
    out = tmp_path / "both"
    make_report([first, second], out)
    md = (out / "REPORT.md").read_text()
    assert "| sweep | strategy | link bandwidth |" in md and "## Differences between sweeps (each minus a)" in md


def test_report_and_plugins_print_json_for_scripts(sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from distlab.cli import main

    assert main(["report", str(sweep), "--out", str(tmp_path / "r"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"case_id", "metric", "mean", "ci95_low"} <= set(rows[0]) and len(rows) == 8 * 3
    assert main(["report", str(sweep), str(_sweep(tmp_path / "other")), "--compare"]) == 2  # --out required
    assert main(["plugins", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert "studies" in listing and "plugins" in listing


LOAD_KEY = Figure("wait_vs_load", x="world.load", y="wait_s", title="Wait against load", kind="line")


def _load_sweep(root: Path) -> Path:
    """Cases: 3 treatments × 3 loads, 2 repeats; 'floor' is the baseline; 'broken' fails at load 0.9."""
    for load in (0.3, 0.6, 0.9):
        for name, factor in (("floor", 1.0), ("twin", 1.0), ("broken", 10.0)):
            case_id = f"{name}-{load}"
            failed = name == "broken" and load == 0.9
            rows = [{
                "study": "synthetic", "seed": 0, "strategy": name, "world.load": load, "case_id": case_id,
                "repeat": repeat, "trial_seed": repeat, "status": FAILED if failed else OK,
                "error_type": "MigrationTimeoutError" if failed else None,
                "error_message": "unfinished" if failed else None, "error_traceback": None,
                "wait_s": None if failed else factor * load / (1 - load) * (1 + 0.01 * repeat),
                "bytes_sent": None if failed else 1e9, "steps": None if failed else 3,
            } for repeat in range(2)]
            store.commit_case(root, case_id, {store.RESULTS: store.parquet_bytes(pl.DataFrame(rows))}, {
                "case_id": case_id, "study": "synthetic", "treatment": "strategy", "baseline": "floor",
                "metrics": [dataclasses.asdict(m) for m in METRICS], "figures": [dataclasses.asdict(LOAD_KEY)],
                "config": {"seed": 0}, "code": {"version": "0", "git_commit": None}, "components": {},
                "python": "3.11", "platform": "x", "started_at": "", "finished_at": "",
                "status": FAILED if failed else OK,
            })
    return root


def test_a_key_figure_may_have_a_config_column_on_x(tmp_path: Path) -> None:
    """A swept parameter on x: exact ticks at its values, lines per treatment, the baseline a thick black line,
    coinciding treatments shifted apart along x, and the failed case marked."""
    from matplotlib.colors import to_rgba

    from distlab.report.figures import DODGE_LABEL

    sweep = _load_sweep(tmp_path / "sweep")
    tables = load_tables(sweep)
    assert [f.name for f in tables.figures] == ["wait_vs_load"]  # recorded although x is no metric
    fig = key_figure(tables, LOAD_KEY)
    assert fig is not None
    (ax,) = fig.axes
    assert ax.get_xlabel() == "load"
    assert list(ax.get_xticks()) == pytest.approx([0.3, 0.6, 0.9])
    assert ax.get_yscale() == "linear"  # 0.43 to 15: under two decades
    joined = [line for line in ax.lines if len(line.get_xdata()) > 1]
    assert len(joined) == 3  # one line per treatment (the broken one over its two finished loads)
    thick = [line for line in joined if line.get_linewidth() > 3]
    assert len(thick) == 1 and to_rgba(thick[0].get_color())[:3] == (0.0, 0.0, 0.0)
    # 'twin' equals 'floor' at every load: shifted apart along x, never drawn on top of each other.
    xs = [tuple(line.get_xdata()) for line in joined if len(line.get_xdata()) == 3]
    assert len(xs) == 2 and all(a != b for a, b in zip(*xs))
    texts = _legend_texts(fig)
    assert "floor (baseline)" in texts and DODGE_LABEL in texts and FAILED_LABEL in texts
    assert any("0.9" in t.get_text() and "failed" in t.get_text() for t in ax.texts)
    written = make_report(sweep, tmp_path / "out")
    assert tmp_path / "out" / "figures" / "wait_vs_load.png" in written
    assert tmp_path / "out" / "figures" / "wait_vs_load.svg" in written


def test_rounding_noise_is_no_decade_and_colours_stay_distinct() -> None:
    """A solver's 1e-18 next to real values is zero, not 17 decades of axis; twelve colours are twelve."""
    from matplotlib.colors import to_hex

    from distlab.report.figures import _palette, _span_is_wide

    assert not _span_is_wide([1e-18, 0.2, 0.9])
    assert _span_is_wide([1e-6, 0.9])
    assert len({to_hex(c) for c in _palette(12)[:12]}) == 12


def test_a_key_figure_of_one_slice_draws_its_cases_only(tmp_path: Path) -> None:
    """``where`` keeps the cases of one value of a column: the other link's cases are not drawn, and the link,
    constant in the slice, is no panel, marker or legend entry."""
    sweep = _sweep(tmp_path / "sweep")
    tables = load_tables(sweep)
    sliced = Figure("slice", x="bytes_sent", y="wait_s", where=(("world.link.bandwidth_mbit_s", 1000.0),))
    assert Figure(**{**dataclasses.asdict(sliced), "where": [["world.link.bandwidth_mbit_s", 1000.0]]}) == sliced
    whole, part = key_figure(tables, dataclasses.replace(sliced, where=())), key_figure(tables, sliced)
    assert whole is not None and part is not None
    (ax,) = part.axes
    (whole_ax,) = whole.axes

    def drawn(axes: object) -> int:
        return sum(len(line.get_xdata()) for line in axes.lines if line.get_marker() not in (None, "None", ""))  # type: ignore[attr-defined]

    assert drawn(ax) * 2 == drawn(whole_ax) > 0  # the 1000 Mbit/s link's cases only
    assert not any("bandwidth" in t for t in _legend_texts(part))
    assert key_figure(tables, dataclasses.replace(sliced, where=(("world.link.bandwidth_mbit_s", 5.0),))) is None
