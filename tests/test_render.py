"""The report's documents: report.html is REPORT.md rendered, self-contained, and values stay text."""

from __future__ import annotations

import base64
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from distlab.report import make_report
from distlab.report.render import _md_text, _unswept
from distlab.report.provenance import ProvenanceSummary
from distlab.report.tables import Tables

ANALYSIS = '''
def analyze(tables, figures_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    fig.savefig(figures_dir / "tradeoff.png")
    plt.close(fig)
    return "\\n".join([
        "## Claims", "",
        "![trade-off](figures/tradeoff.png)", "",
        "| shape | verdict |", "|---|---|", "| uniform | **holds** |", "| constant | fails |",
    ])
'''


@pytest.fixture
def sweep(tmp_path: Path, toy_env: dict[str, str]) -> Path:
    """Uniform and constant shapes, two seeds each, and a case that fails (the toy study registered)."""
    from testkit import toy_sweep

    return toy_sweep(tmp_path / "sweep", repeats=2)


class _Cells(HTMLParser):
    """The number of cells in each row of each table, and every image's src."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[int] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append(0)
        elif tag in ("td", "th"):
            self.rows[-1] += 1
        elif tag == "img":
            self.srcs.append(dict(attrs).get("src") or "")


def _parse(html: str) -> _Cells:
    cells = _Cells()
    cells.feed(html)
    return cells


def test_html_is_the_markdown_rendered_with_every_image_embedded(sweep: Path, tmp_path: Path) -> None:
    analysis = tmp_path / "analysis.py"
    analysis.write_text(ANALYSIS)
    out = tmp_path / "report"
    make_report(sweep, out, analysis=analysis)
    html = (out / "report.html").read_text()
    md = (out / "REPORT.md").read_text()
    assert "![trade-off](figures/tradeoff.png)" in md
    page = _parse(html)
    # The analysis's own PNG as it is; the report's figures as vector graphics.
    assert page.srcs and all(s.startswith(("data:image/png;base64,", "data:image/svg+xml;base64,")) for s in page.srcs)
    assert any(s.startswith("data:image/svg+xml;base64,") for s in page.srcs)
    assert len(page.srcs) == md.count("![")
    assert base64.b64encode((out / "figures" / "tradeoff.png").read_bytes()).decode() in html
    assert "figures/" not in html
    # The analysis's table is a table, not Markdown in a <pre>.
    assert html.count("<table>") == 4  # results, the analysis's, paired differences, failed cases
    assert "<td><strong>holds</strong></td>" in html
    assert "| ---" not in html and "|---|" not in html and "<pre>" not in html
    # Every section of REPORT.md is in the page, in the same order.
    headings = [line.lstrip("#").strip() for line in md.splitlines() if line.startswith("## ")]
    positions = [html.index(f">{h}</h2>") for h in headings]
    assert positions == sorted(positions) and "Claims" in headings


def test_values_with_markup_stay_text_and_keep_tables_whole(sweep: Path, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script> a|b *c* __init__"
    from storekit import case_of, rehash

    for job in ("0", "4"):
        path = case_of(sweep / job) / "results.parquet"
        rows = pl.read_parquet(path)
        rows = rows.with_columns(pl.lit(evil).alias("shape.label"))
        if job == "4":  # the failed case: its message too
            rows = rows.with_columns(pl.lit(f"boom {evil}").alias("error_message"))
        rows.write_parquet(path)
        rehash(path.parent)
    out = tmp_path / "report"
    make_report(sweep, out)
    html = (out / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; a|b *c* __init__" in html
    page = _parse(html)
    tables = html.split("<table>")[1:]
    for table in tables:
        widths = set(_parse(table).rows)
        assert len(widths) == 1, widths  # a `|` in a value made no extra cell
    assert len(page.rows) > 4
    md = (out / "REPORT.md").read_text()
    assert "\\<script>alert(1)\\</script> a\\|b \\*c\\* \\_\\_init\\_\\_" in md


def test_markdown_text_escapes_markup_but_not_names() -> None:
    assert _md_text("max_rounds=30 at world.link.bandwidth_mbit_s") == "max_rounds=30 at world.link.bandwidth_mbit_s"
    assert _md_text("__init__() got `x` [y]") == "\\_\\_init\\_\\_() got \\`x\\` \\[y\\]"
    assert _md_text("two\nlines") == "two lines"


def test_a_fixed_parameter_of_some_components_names_them(sweep: Path, tmp_path: Path) -> None:
    make_report(sweep, tmp_path / "report")
    md = (tmp_path / "report" / "REPORT.md").read_text()
    fixed = md.split("## Fixed parameters")[1].split("##")[0]
    assert "- `shape.count` = 2 (constant only)\n" in fixed
    assert "- `shape.low` = 0 (uniform only)\n" in fixed
    assert "- `repeats` = 2\n" in fixed  # every trial has it: nothing added


def _tables(rows: dict[str, list[object]]) -> Tables:
    results = pl.DataFrame(rows)
    return Tables(results, pl.DataFrame(), [], list(rows), ["strategy", "strategy.preset"], ProvenanceSummary(), "toy",
                  None)


def test_a_parameter_of_some_presets_names_the_presets() -> None:
    fixed, chosen = _unswept(_tables({
        "strategy": ["hybrid", "hybrid", "hybrid", "postcopy", "precopy_postcopy"],
        "strategy.preset": [None, "hybrid_xen", "hybrid_autoconverge", "on_demand", None],
        "strategy.stop_policy": ["qemu", "qemu", "qemu", None, None],
        "strategy.cap": [128, 128, None, None, None],  # None in one preset of hybrid
        "strategy.prepage_pages": [None, None, None, 0, 0],
        "strategy.only_here": [None, None, None, None, 7],
        "seed": [0, 0, 0, 0, 0],
    }))
    assert dict(fixed) == {
        "strategy.stop_policy": "qemu (hybrid only)",
        "strategy.cap": "128 (for hybrid, hybrid_xen)",
        "strategy.prepage_pages": "0 (for postcopy, precopy_postcopy)",
        "strategy.only_here": "7 (precopy_postcopy only)",
        "seed": "0",
    }
    assert chosen == []


def test_without_a_component_column_the_share_of_trials_is_said() -> None:
    tables = _tables({"world.limit": [5, None, 5, 5], "strategy": ["a", "a", "b", "b"]})
    tables.varying = ["strategy"]
    fixed, _ = _unswept(tables)
    assert dict(fixed) == {"world.limit": "5 (set in 3 of 4 trials)"}


def test_figures_are_whole_pngs_and_no_temporary_file_is_left(sweep: Path, tmp_path: Path) -> None:
    files = make_report(sweep, tmp_path / "report")
    figures = [f for f in files if f.suffix in (".png", ".svg")]
    assert figures
    for figure in figures:
        if figure.suffix == ".png":
            assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert figure.read_bytes().rstrip().endswith(b"</svg>")
    assert {f.stem for f in figures if f.suffix == ".png"} == {f.stem for f in figures if f.suffix == ".svg"}
    assert sorted(p.name for p in (tmp_path / "report" / "figures").iterdir()) == sorted(f.name for f in figures)
