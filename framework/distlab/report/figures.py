"""The report's figures: one per metric the study marks for a figure, and the study's key figures.

Layout of a metric's figure: the study's treatment (the kind it compares) on the x axis, one panel per
value of the next swept parameter, and one colour per combination of the rest. Values are means over
every successful trial (repeats and seeds pooled), with the 95% confidence interval of the mean.

What a reader needs to trust a figure, decided from the data and the metric's declaration alone:

- the axis: logarithmic when the values span more than :data:`LOG_DECADES` decades (or the metric asks
  for it), linear otherwise. On a linear axis a value is a bar; on a log axis a bar's length means
  nothing, so a value is a point with its interval, and a zero (which a log axis cannot show) is a
  hollow triangle on the axis's floor. The limits hold every value and interval: nothing is clipped.
- the words: the metric's label and unit (:mod:`distlab.report.units`), panel titles as people write
  them (``1 Gbit/s link``), ticks in engineering form.
- failed or unfinished cases: a red cross where the case's value would be, with its legend entry.
- the key figure (:class:`distlab.study.Figure`): one point per case, colour by treatment, marker by
  the rest; points that coincide are spread apart a little, and the legend says so. Its x may be a
  swept parameter (exact values: each treatment is shifted a little along x instead), and a line figure
  joins each treatment's points, its baseline a thick black line under the others.

Each figure is written as PNG (for REPORT.md) and SVG (embedded in report.html).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distlab import store
from distlab.report.stats import t975
from distlab.report.units import (Quantity, axis_unit, format_value, metric_quantity, param_label, param_title,
                                  param_value, quantity)
from distlab.status import OK

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as PlotFigure

    from distlab.report.tables import Tables
    from distlab.study import Figure, Metric

__all__ = ["FAILED_LABEL", "LOG_DECADES", "draw_figures", "hue_label", "key_figure", "label", "layout",
           "metric_figure"]

# Seeds replicate a case rather than define one, so figures pool over them.
REPLICATION = ("seed",)
MAX_PANELS = 6
LOG_DECADES = 2.0
"""A metric whose positive values span more than this many decades gets a logarithmic axis."""
FAILED_LABEL = "failed or unfinished trials (×: where the case's value would be)"
ZERO_LABEL = "zero, or below 1e-9 of the largest value (a log axis cannot show it: drawn on the floor)"
NOISE = 1e-9
"""A value below this share of the largest is rounding noise, not a measurement: a log axis treats it as zero."""
SPREAD_LABEL = "points that coincide are spread apart slightly"
DODGE_LABEL = "each colour shifted slightly along x, so coinciding points stay visible"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p")
_FAILED_STYLE: dict[str, Any] = {"marker": "x", "color": "#d62728", "s": 55, "linewidths": 2.0, "zorder": 5}


def label(column: str, value: Any) -> str:
    """A short label for a config value, as a person writes it (see :func:`distlab.report.units.param_title`)."""
    return str(value) if "." not in column else param_title(column, value)


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
        rest = _not_fixed_by(tables.results, x, rest)
    panel = None
    if len(rest) > 1 and 1 < tables.results.select(rest[0]).n_unique() <= MAX_PANELS:
        panel = rest[0]
    hue = [c for c in rest if c != panel]
    return x, panel, hue


def _not_fixed_by(rows: pl.DataFrame, column: str, others: list[str]) -> list[str]:
    """The columns of ``others`` that the treatment ``column`` (its preset where one was chosen) does not fix.

    A preset may set a world parameter of its own (a failure only one variant injects): that column
    then varies with the treatment alone, and as a colour or marker it would only repeat the treatment.
    """
    import polars as pl

    if column not in rows.columns or rows.height == 0:
        return others
    key = pl.col(column).cast(pl.String)
    if f"{column}.preset" in rows.columns:
        key = pl.coalesce(pl.col(f"{column}.preset"), key)
    kept = []
    for other in others:
        if other not in rows.columns:
            kept.append(other)
            continue
        counts = rows.group_by(key.alias("_key")).agg(pl.col(other).n_unique().alias("_n"))["_n"].to_list()
        if max(counts, default=0) > 1:
            kept.append(other)
    return kept


def _prepared(tables: Tables) -> tuple[pl.DataFrame, str | None, str | None, list[str]]:
    """Every trial (failed ones too), with the x column naming a preset where one was chosen."""
    import polars as pl

    rows = tables.results
    x, panel, hue = layout(tables)
    if x is not None and f"{x}.preset" in rows.columns:
        # A preset is its own treatment: a component under one preset's parameters is not the same
        # treatment as under another's.
        rows = rows.with_columns(pl.coalesce(pl.col(f"{x}.preset"), pl.col(x).cast(pl.String)).alias(x))
    return rows, x, panel, hue


def _slots(rows: pl.DataFrame, keys: list[str], metrics: list[str]) -> pl.DataFrame:
    """Per combination of ``keys``: trials, failed trials, and each metric's n, mean and CI half-width."""
    import polars as pl

    ok = pl.col("status") == OK
    aggs: list[pl.Expr] = [pl.len().alias("_trials"), (~ok).sum().alias("_failed"),
                           pl.col("error_type").drop_nulls().first().alias("_error")]
    for name in metrics:
        value = pl.col(name).cast(pl.Float64).filter(ok)
        aggs += [value.count().alias(f"{name}:n"), value.mean().alias(f"{name}:mean"),
                 value.std().alias(f"{name}:std")]
    frame = rows.group_by(keys, maintain_order=True).agg(aggs) if keys else rows.select(aggs)
    halves = []
    for name in metrics:
        n, std = frame[f"{name}:n"].to_list(), frame[f"{name}:std"].to_list()
        halves.append(pl.Series(f"{name}:half", [
            t975(int(k)) * s / math.sqrt(k) if k and k > 1 and s is not None else 0.0 for k, s in zip(n, std)
        ], dtype=pl.Float64))
    return frame.with_columns(halves) if halves else frame


def _palette(n: int) -> list[Any]:
    """``n`` colours no two alike: the default cycle up to its length, then tab20, then a continuous map."""
    import matplotlib
    import matplotlib.pyplot as plt

    cycle = list(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    if n <= len(cycle):
        return cycle
    if n <= 20:
        return list(matplotlib.colormaps["tab20"].colors)  # type: ignore[attr-defined]
    cmap = matplotlib.colormaps["turbo"]
    return [cmap(i / max(1, n - 1)) for i in range(n)]


def _noise_floor(values: list[float]) -> float:
    """The largest value that counts as zero: :data:`NOISE` times the largest magnitude."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    return NOISE * max(finite, default=0.0)


def _span_is_wide(values: list[float]) -> bool:
    noise = _noise_floor(values)
    positive = [v for v in values if v is not None and math.isfinite(v) and v > noise]
    return len(positive) > 1 and math.log10(max(positive) / min(positive)) > LOG_DECADES


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


def _log_tick(value: float, q: Quantity) -> str:
    """A log axis's tick in engineering form, or as a power of ten where that form would run long."""
    text = format_value(value, q.unit, factor=q.factor, trim=True)
    if len(text.split(" ")[0]) <= 7 or value <= 0:
        return text
    base = value * q.factor * (100 if q.unit == "%" else 1)
    unit = "%" if q.unit == "%" else (f" {q.unit}" if q.unit else "")
    return f"$10^{{{round(math.log10(base))}}}${unit}"


def _label_axis(ax: Axes, axis: str, q: Quantity, values: list[float], log: bool) -> None:
    """Put the metric's words, unit and engineering ticks on one axis (``"x"`` or ``"y"``)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    if log:
        if q.unit == "bytes":
            target.set_major_locator(LogLocator(base=2.0, numticks=8))
        target.set_major_formatter(FuncFormatter(lambda v, _: _log_tick(v, q)))
        target.set_minor_formatter(NullFormatter())
        text = f"{q.label} (log scale)"
    else:
        scale, shown = axis_unit([v * q.factor for v in values], q.unit)
        target.set_major_formatter(FuncFormatter(lambda v, _: format_value(v * q.factor / scale, trim=True, digits=4)))
        shown = {"k": "thousands", "M": "millions", "G": "billions", "T": "trillions"}.get(shown, shown)
        text = f"{q.label} ({shown})" if shown else q.label
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(text, fontsize=9)


def metric_figure(tables: Tables, metric: Metric, rows: pl.DataFrame | None = None) -> PlotFigure | None:
    """The figure of one metric (a matplotlib figure, not yet saved), or None if no trial has a value.

    Args:
        tables: the report's tables.
        metric: the metric to draw.
        rows: the trials as :func:`_prepared` gives them (computed if not given).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import polars as pl
    from matplotlib.lines import Line2D

    prepared, x, panel, hue = _prepared(tables)
    rows = prepared if rows is None else rows
    if metric.name not in rows.columns or not rows.schema[metric.name].is_numeric():
        return None
    if rows.filter(pl.col("status") == OK).height == 0 and rows.filter(pl.col("status") != OK).height == 0:
        return None
    keys = [c for c in (x, panel, *hue) if c is not None]
    slots = _slots(rows, keys, [metric.name])
    name = metric.name
    means = [v for v in slots[f"{name}:mean"].to_list() if v is not None]
    if not means and not slots.filter(pl.col("_failed") > 0).height:
        return None
    q = metric_quantity(metric)
    extents = means + [m + h for m, h in zip(slots[f"{name}:mean"].to_list(), slots[f"{name}:half"].to_list())
                       if m is not None]
    log = bool(metric.log_scale or _span_is_wide(extents))
    noise = _noise_floor(extents)
    positive = [v for v in extents if v > noise]
    floor = min(positive) / 3 if positive else 1.0
    top = max(extents) if extents else 1.0
    x_values = _ordered(rows, x)
    panel_values = _ordered(rows, panel)
    hue_keys = _combos(rows, hue)
    by_slot = {tuple(r[k] for k in keys): r for r in slots.iter_rows(named=True)}
    width = min(14.0, max(6.0, 2.5 + 0.32 * len(x_values) * max(1, len(hue_keys))))
    fig, grid = plt.subplots(len(panel_values), 1, figsize=(width, 1.4 + 2.8 * len(panel_values)),
                             squeeze=False, sharex=True)
    colors = _palette(len(hue_keys))
    step = 0.8 / max(1, len(hue_keys))
    seen_failed = seen_zero = False
    for p_index, p_value in enumerate(panel_values):
        ax = grid[p_index][0]
        for h_index, h_key in enumerate(hue_keys):
            color = colors[h_index % len(colors)]
            marker = MARKERS[h_index % len(MARKERS)]
            name_h = hue_label(hue, h_key) or None
            xs, ys, errs, zero_xs, failed_xs = [], [], [], [], []
            for i, x_value in enumerate(x_values):
                key = tuple(v for c, v in zip((x, panel, *hue), (x_value, p_value, *h_key)) if c is not None)
                slot = by_slot.get(key)
                if slot is None:
                    continue
                pos = i + (h_index - (len(hue_keys) - 1) / 2) * step
                if slot["_failed"]:
                    failed_xs.append(pos)
                mean = slot[f"{name}:mean"]
                if mean is None:
                    continue
                if log and mean <= noise:
                    zero_xs.append(pos)
                    continue
                xs.append(pos)
                ys.append(mean)
                errs.append(slot[f"{name}:half"] or 0.0)
            if log:
                low = [min(e, m - floor * 1.01) if m - e <= 0 else e for m, e in zip(ys, errs)]
                ax.errorbar(xs, ys, yerr=[low, errs], fmt=marker, color=color, ms=6, capsize=3, lw=1.2,
                            label=name_h if p_index == 0 else None, zorder=3)
                if zero_xs:
                    seen_zero = True
                    ax.scatter(zero_xs, [floor * 1.15] * len(zero_xs), marker="v", facecolors="none",
                               edgecolors=color, s=40, zorder=3)
            else:
                ax.bar(xs, ys, step * 0.92, yerr=errs, capsize=2, color=color,
                       label=name_h if p_index == 0 else None, zorder=2)
            if failed_xs:
                seen_failed = True
                # On the floor of the axis, whatever its scale: where the case's value would be.
                ax.scatter(failed_xs, [0.0] * len(failed_xs), transform=ax.get_xaxis_transform(),
                           clip_on=False, **_FAILED_STYLE)
        ax.set_xticks(range(len(x_values)))
        ax.set_xticklabels([str(v) for v in x_values], rotation=30, ha="right", fontsize=8)
        if log:
            ax.set_yscale("log")
            ax.set_ylim(floor, top * 2.5)
        else:
            low_limit = min([0.0, *extents])
            ax.set_ylim(low_limit * 1.08, (top if top > 0 else 1.0) * 1.08)
        _label_axis(ax, "y", q, extents, log)
        if panel is not None:
            ax.set_title(param_title(panel, p_value), fontsize=10)
        ax.grid(axis="y", alpha=0.3, which="major")
        ax.set_xlim(-0.6, len(x_values) - 0.4)
    if x is not None:
        grid[-1][0].set_xlabel(param_label(x), fontsize=9)
    handles, labels = grid[0][0].get_legend_handles_labels()
    if seen_failed:
        handles.append(Line2D([], [], ls="", marker="x", color="#d62728", mew=2.0, ms=8))
        labels.append(FAILED_LABEL)
    if seen_zero:
        handles.append(Line2D([], [], ls="", marker="v", mfc="none", color="grey", ms=7))
        labels.append(ZERO_LABEL)
    if handles:
        fig.legend(handles, labels, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=min(3, len(labels)), frameon=False)
    what = "points: mean and 95% CI, log scale" if log else "bars: mean and 95% CI"
    fig.suptitle(f"{q.label[:1].upper()}{q.label[1:]} ({what})", fontsize=11)
    fig.tight_layout()
    return fig


def _x_quantity(tables: Tables, column: str) -> Quantity | None:
    """The words and unit of a key figure's x: a metric's, or a numeric config column's; None if neither."""
    metrics = {m.name: m for m in tables.metrics}
    if column in metrics:
        return metric_quantity(metrics[column])
    if column not in tables.config_columns or column not in tables.results.columns:
        return None
    if not tables.results.schema[column].is_numeric():
        return None
    q = quantity(column.rsplit(".", 1)[-1])
    return Quantity(param_label(column), q.unit, q.factor)


def _dodge(points: list[list[Any]], logx: bool, colours: int) -> bool:
    """Shift each treatment's points a little along x (exact parameter values), so coinciding ones stay visible.

    The shift is at most a tenth of the smallest gap between x values, in the axis's own scale.

    Returns:
        Whether any point moved (the legend then says so).
    """
    if colours < 2 or not points:
        return False

    def to_unit(v: float) -> float:
        return math.log10(v) if logx and v > 0 else v

    values = sorted({to_unit(p[0]) for p in points})
    gaps = [b - a for a, b in zip(values, values[1:]) if b > a]
    width = 0.2 * (min(gaps) if gaps else (abs(values[0]) or 1.0) * 0.1)
    for p in points:
        offset = (p[4] / (colours - 1) - 0.5) * width
        moved = to_unit(p[0]) + offset
        p[0] = 10 ** moved if logx else moved
    return True


def key_figure(tables: Tables, declared: Figure, rows: pl.DataFrame | None = None) -> PlotFigure | None:
    """A study's key figure: one point per case, ``declared.y`` against ``declared.x``.

    ``declared.x`` is a metric (a mean with its interval) or a numeric config column (an exact value: each
    treatment's points are then shifted a little along x, so that coinciding points stay visible). With
    ``kind="line"`` the points of one treatment and marker are joined in x order, and the baseline
    treatment is a thick black line under the others (the floor or reference the others are read against).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    prepared, treatment, _, _ = _prepared(tables)
    rows = prepared if rows is None else rows
    metrics = {m.name: m for m in tables.metrics}
    qx = _x_quantity(tables, declared.x)
    if declared.y not in metrics or qx is None:
        return None
    x_metric = declared.x in metrics
    line = declared.kind == "line"
    dims = [c for c in tables.varying if c not in REPLICATION]
    if declared.where:
        import polars as pl

        for column, value in declared.where:
            if column not in rows.columns:
                return None
            rows = rows.filter(pl.col(column).is_null() if value is None else pl.col(column) == value)
        if rows.height == 0:
            return None
        dims = [c for c in dims if c in rows.columns and rows[c].n_unique() > 1]  # constant in the slice
    panel = declared.panels if declared.panels in dims and declared.panels != declared.x else None
    color_by = treatment if treatment != declared.x else None
    rest = [c for c in dims if c not in (panel, color_by, declared.x)
            and not (color_by and c.startswith(color_by + "."))]
    if color_by is not None:
        rest = _not_fixed_by(rows, color_by, rest)  # a column the treatment fixes would only repeat the colour
    keys = [c for c in (color_by, panel, *rest) if c is not None]
    if not x_metric:
        keys.append(declared.x)
    slots = _slots(rows, keys, [declared.x, declared.y] if x_metric else [declared.y])
    if slots.height == 0:
        return None
    colour_values = _ordered(rows, color_by)
    marker_keys = _combos(rows, rest)
    panel_values = _ordered(rows, panel)
    qy = metric_quantity(metrics[declared.y])
    x_column = f"{declared.x}:mean" if x_metric else declared.x
    xs_all = [float(v) for v in slots[x_column].to_list() if v is not None]
    ys_all = [v for v in slots[f"{declared.y}:mean"].to_list() if v is not None]
    logx = (metrics[declared.x].log_scale if x_metric else False) or _span_is_wide(xs_all)
    logy = metrics[declared.y].log_scale or _span_is_wide(ys_all)
    colors = _palette(len(colour_values))
    base = tables.baseline if line and tables.baseline in colour_values else None

    def colour_of(c_index: int) -> Any:
        return "k" if base is not None and colour_values[c_index] == base else colors[c_index % len(colors)]

    def marker_of(c_index: int, m_index: int) -> str:
        # A line figure tells treatments apart by marker too (lines may run together); a scatter, the rest.
        return MARKERS[(c_index if line else m_index) % len(MARKERS)]

    styles = ("-", "--", ":", "-.")
    fig, grid = plt.subplots(1, len(panel_values), figsize=(5.4 * len(panel_values) + 0.6, 5.6), squeeze=False)
    floor_y = min([v for v in ys_all if v > 0], default=1.0) / 3
    floor_x = min([v for v in xs_all if v > 0], default=1.0) / 3
    spread = zero = failed = False
    for ax, p_value in zip(grid[0], panel_values):
        points = []  # (x, y, xerr, yerr, colour index, marker index)
        failures = []
        for r in slots.iter_rows(named=True):
            if panel is not None and r[panel] != p_value:
                continue
            c_index = colour_values.index(r[color_by]) if color_by else 0
            m_index = marker_keys.index(tuple(r[c] for c in rest)) if rest else 0
            mx, my = r[x_column], r[f"{declared.y}:mean"]
            if mx is None or my is None:
                failures.append((c_index, m_index, r))
                continue
            if r["_failed"]:
                failures.append((c_index, m_index, r))
            if (logy and my <= 0) or (logx and mx <= 0):
                zero = True
            ex = (r[f"{declared.x}:half"] or 0.0) if x_metric else 0.0
            points.append([max(mx, floor_x) if logx else float(mx), max(my, floor_y) if logy else my,
                           ex, r[f"{declared.y}:half"] or 0.0, c_index, m_index])
        moved = _spread_coinciding(points, logx, logy) if x_metric else _dodge(points, logx, len(colour_values))
        spread = spread or moved
        if line:
            for c_index, m_index in sorted({(p[4], p[5]) for p in points}):
                run = sorted((p for p in points if p[4] == c_index and p[5] == m_index), key=lambda p: p[0])
                is_base = base is not None and colour_values[c_index] == base
                ax.plot([p[0] for p in run], [p[1] for p in run], color=colour_of(c_index),
                        ls=styles[m_index % len(styles)], lw=3.2 if is_base else 1.1,
                        alpha=0.55 if is_base else 0.9, zorder=2 if is_base else 3)
        for px, py, ex, ey, c_index, m_index in points:
            colour = colour_of(c_index)
            ax.errorbar([px], [py], xerr=[[min(ex, px - floor_x * 1.01) if logx else ex], [ex]],
                        yerr=[[min(ey, py - floor_y * 1.01) if logy else ey], [ey]], fmt=marker_of(c_index, m_index),
                        mfc="none", mec=colour, ecolor=colour, ms=7 if line else 8, mew=1.4 if line else 1.6,
                        elinewidth=0.8, capsize=0, zorder=4)
        for i, (c_index, m_index, r) in enumerate(failures):
            failed = True
            ax.scatter([0.97], [0.95 - 0.06 * i], transform=ax.transAxes, **_FAILED_STYLE)
            what = ", ".join(str(v) for v in (colour_values[c_index], *marker_keys[m_index]) if v is not None)
            if not x_metric:
                what += f", {param_value(declared.x, r[declared.x])}"
            ax.text(0.94, 0.95 - 0.06 * i, f"{what}: {r['_failed']} of {r['_trials']} failed", transform=ax.transAxes,
                    ha="right", va="center", fontsize=7, color="#d62728")
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        if declared.hline is not None:
            ax.axhline(declared.hline, color="grey", lw=0.9, ls="--", zorder=1)
        ax.margins(0.08)
        _label_axis(ax, "x", qx, xs_all, logx)
        _label_axis(ax, "y", qy, ys_all, logy)
        if not x_metric and not logx:
            ax.set_xticks(sorted(set(xs_all)))
        if panel is not None:
            ax.set_title(param_title(panel, p_value), fontsize=10)
        ax.grid(alpha=0.3, which="major")
    handles: list[Any] = []
    for i, v in enumerate(colour_values):
        if v is None:
            continue
        is_base = base is not None and v == base
        handles.append(Line2D([], [], ls="-" if line else "", lw=3.2 if is_base else 1.1, marker=marker_of(i, 0) if line else "o",
                              mfc="none" if line else None, color=colour_of(i),
                              label=f"{v} (baseline)" if is_base else str(v)))
    if rest:
        handles += [Line2D([], [], ls=styles[i % len(styles)] if line else "", marker="" if line else MARKERS[i % len(MARKERS)],
                           mfc="none", color="k", label=hue_label(rest, k)) for i, k in enumerate(marker_keys)]
    if declared.hline is not None:
        handles.append(Line2D([], [], color="grey", ls="--", label=declared.hline_label or f"{declared.hline:g}"))
    if failed:
        handles.append(Line2D([], [], ls="", marker="x", color="#d62728", mew=2.0, label=FAILED_LABEL))
    if zero:
        handles.append(Line2D([], [], ls="", marker="o", mfc="none", color="grey", label="zero: drawn on the floor"))
    if spread:
        handles.append(Line2D([], [], ls="", label=SPREAD_LABEL if x_metric else DODGE_LABEL))
    fig.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3 if len(handles) < 13 else 4,
               frameon=False)
    fig.suptitle((declared.title or f"{qy.label} against {qx.label}") + " (mean and 95% CI of each case)", fontsize=11)
    fig.tight_layout()
    return fig


def _spread_coinciding(points: list[list[Any]], logx: bool, logy: bool) -> bool:
    """Move points that would hide each other (closer than 2% of the axes' spans) onto a small circle.

    Returns:
        Whether any point moved (the legend then says so).
    """
    if len(points) < 2:
        return False

    def to_unit(v: float, log: bool) -> float:
        return math.log10(v) if log and v > 0 else v

    ux = [to_unit(p[0], logx) for p in points]
    uy = [to_unit(p[1], logy) for p in points]
    span_x = (max(ux) - min(ux)) or 1.0
    span_y = (max(uy) - min(uy)) or 1.0
    groups: list[list[int]] = []
    for i in range(len(points)):
        for group in groups:
            j = group[0]
            if abs(ux[i] - ux[j]) < 0.02 * span_x and abs(uy[i] - uy[j]) < 0.02 * span_y:
                group.append(i)
                break
        else:
            groups.append([i])
    moved = False
    for group in groups:
        if len(group) < 2:
            continue
        moved = True
        radius = 0.025
        for k, i in enumerate(group):
            angle = 2 * math.pi * k / len(group)
            nx = ux[group[0]] + radius * span_x * math.cos(angle)
            ny = uy[group[0]] + radius * span_y * math.sin(angle)
            points[i][0] = 10 ** nx if logx else nx
            points[i][1] = 10 ** ny if logy else ny
    return moved


def _save(fig: PlotFigure, out_dir: Path, stem: str) -> list[Path]:
    """``stem``.png and ``stem``.svg, each into memory, then temporary file and rename: no half file."""
    import matplotlib.pyplot as plt

    written = []
    try:
        for fmt in ("png", "svg"):
            buffer = io.BytesIO()
            # No date in the SVG, and its element ids from a fixed salt: the same data gives the same file.
            with plt.rc_context({"svg.hashsalt": stem}):
                fig.savefig(buffer, format=fmt, dpi=110, bbox_inches="tight",
                            metadata={"Date": None} if fmt == "svg" else None)
            path = out_dir / f"{stem}.{fmt}"
            store.write_bytes(path, buffer.getvalue())
            written.append(path)
    finally:
        plt.close(fig)
    return written


def draw_figures(tables: Tables, out_dir: Path) -> list[Path]:
    """Draw the study's key figures and one figure per figure metric into ``out_dir`` (PNG and SVG each).

    Returns:
        The files written, key figures first.
    """
    import polars as pl

    out_dir.mkdir(parents=True, exist_ok=True)
    if tables.results.height == 0:
        return []
    rows, _, _, _ = _prepared(tables)
    if rows.filter(pl.col("status") == OK).height == 0:
        return []
    written: list[Path] = []
    for declared in tables.figures:
        fig = key_figure(tables, declared, rows)
        if fig is not None:
            written += _save(fig, out_dir, declared.name)
    for metric in tables.metrics:
        if not metric.figure:
            continue
        fig = metric_figure(tables, metric, rows)
        if fig is not None:
            written += _save(fig, out_dir, metric.name)
    return written
