"""The report's figures: one PNG per metric the study marks for a figure.

Layout: the study's treatment (the kind it compares) on the x axis, one panel per value of the next
swept parameter, and one bar colour per combination of the rest. Bars are means over every
successful trial (repeats and seeds pooled), with the 95% confidence interval of the mean.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distlab import store
from distlab.report.stats import mean_ci95
from distlab.status import OK

if TYPE_CHECKING:
    import polars as pl

    from distlab.report.tables import Tables

__all__ = ["draw_figures", "hue_label", "label", "layout"]

# Seeds replicate a case rather than define one, so figures pool over them.
REPLICATION = ("seed",)
MAX_PANELS = 6


def label(column: str, value: Any) -> str:
    """A short label for a config value: the last part of its key, then the value."""
    short = column.rsplit(".", 1)[-1]
    return str(value) if "." not in column else f"{short}={value}"


def hue_label(columns: list[str], values: tuple[Any, ...]) -> str:
    """The legend label of one colour: a preset's name stands for its component and parameters."""
    chosen = dict(zip(columns, values))
    parts = []
    for column, value in chosen.items():
        owner = column.split(".", 1)[0]
        if column == owner and chosen.get(f"{owner}.preset") is not None:
            continue  # the preset's name says more than the component's
        if column.endswith(".preset"):
            if value is None:
                continue
            parts.append(str(value))
            continue
        if "." in column and chosen.get(f"{owner}.preset") is not None:
            continue
        parts.append(label(column, value))
    return ", ".join(parts)


def layout(tables: Tables) -> tuple[str | None, str | None, list[str]]:
    """The columns for the x axis, the panels, and the colours."""
    dims = [c for c in tables.varying if c not in REPLICATION]
    treatment = tables.treatment
    x = treatment if treatment in dims else (dims[0] if dims else None)
    rest = [c for c in dims if c != x]
    # Parameters of the x column's own components vary with it; they would only repeat it.
    if x is not None:
        rest = [c for c in rest if not c.startswith(x + ".")]
    panel = None
    if len(rest) > 1 and 1 < tables.results.select(rest[0]).n_unique() <= MAX_PANELS:
        panel = rest[0]
    hue = [c for c in rest if c != panel]
    return x, panel, hue


def draw_figures(tables: Tables, out_dir: Path) -> list[Path]:
    """Draw one PNG per figure metric into ``out_dir``; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import polars as pl

    out_dir.mkdir(parents=True, exist_ok=True)
    ok = tables.results.filter(pl.col("status") == OK)
    if ok.height == 0:
        return []
    x, panel, hue = layout(tables)
    if x is not None and f"{x}.preset" in ok.columns:
        # A preset is its own bar: a component under one preset's parameters is not the same
        # treatment as under another's.
        ok = ok.with_columns(pl.coalesce(pl.col(f"{x}.preset"), pl.col(x).cast(pl.String)).alias(x))
    x_values = _ordered(ok, x)
    panel_values = _ordered(ok, panel)
    hue_keys = _combos(ok, hue)
    written: list[Path] = []
    for metric in tables.metrics:
        if not metric.figure or metric.name not in ok.columns or not ok.schema[metric.name].is_numeric():
            continue
        # Panels stacked, so that a figure stays readable however many panels there are.
        width = min(12.0, max(5.0, 1.5 + 0.3 * len(x_values) * max(1, len(hue_keys))))
        fig, grid = plt.subplots(
            len(panel_values), 1, figsize=(width, 1.2 + 2.6 * len(panel_values)), squeeze=False, sharex=True,
        )
        axes = [[row[0] for row in grid]]
        width = 0.8 / max(1, len(hue_keys))
        for p_index, p_value in enumerate(panel_values):
            ax = axes[0][p_index]
            for h_index, h_key in enumerate(hue_keys):
                means, errs = [], []
                for x_value in x_values:
                    sel = ok
                    for col, val in ((x, x_value), (panel, p_value), *zip(hue, h_key)):
                        if col is not None:
                            sel = sel.filter(pl.col(col).eq_missing(val))
                    vals = [float(v) for v in sel[metric.name].to_list() if v is not None]
                    mean, err = mean_ci95(vals) if vals else (math.nan, 0.0)
                    means.append(mean)
                    errs.append(err)
                positions = [i + (h_index - (len(hue_keys) - 1) / 2) * width for i in range(len(x_values))]
                name = hue_label(hue, h_key) or None
                ax.bar(positions, means, width, yerr=errs, capsize=2, label=name)
            ax.set_xticks(range(len(x_values)))
            ax.set_xticklabels([str(v) for v in x_values], rotation=30, ha="right", fontsize=8)
            ax.set_ylabel(metric.name, fontsize=8)
            if panel is not None:
                ax.set_title(label(panel, p_value), fontsize=9)
            if metric.log_scale:
                ax.set_yscale("symlog", linthresh=_linthresh(ok[metric.name]))
            ax.grid(axis="y", alpha=0.3)
        if x is not None:
            fig.supxlabel(x, fontsize=9)
        if hue_keys and hue:
            axes[0][0].legend(fontsize=7, loc="best")
        fig.suptitle(f"{metric.name}: mean and 95% CI over trials", fontsize=10)
        fig.tight_layout()
        path = out_dir / f"{metric.name}.png"
        # Into memory, then temporary file and rename: a reader never sees half a PNG.
        png = io.BytesIO()
        try:
            fig.savefig(png, format="png", dpi=110)
        finally:
            plt.close(fig)
        store.write_bytes(path, png.getvalue())
        written.append(path)
    return written


def _linthresh(values: pl.Series) -> float:
    positive = [abs(float(v)) for v in values.to_list() if v is not None and v != 0]
    return min(positive) if positive else 1.0


def _ordered(frame: pl.DataFrame, column: str | None) -> list[Any]:
    if column is None:
        return [None]
    values = frame[column].unique(maintain_order=True).to_list()
    try:
        return sorted(values, key=lambda v: (v is None, v))
    except TypeError:
        return values


def _combos(frame: pl.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    if not columns:
        return [()]
    rows = frame.select(columns).unique(maintain_order=True).rows()
    try:
        return sorted(rows, key=lambda r: tuple((v is None, v) for v in r))
    except TypeError:
        return rows
