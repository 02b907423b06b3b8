"""The report's documents: REPORT.md and a self-contained report.html (figures embedded)."""

from __future__ import annotations

import base64
import html
import math
import os
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distlab import store
from distlab.status import OK

if TYPE_CHECKING:
    import polars as pl
    from markdown_it.token import Token

    from distlab.report.tables import Tables
    from distlab.study import Metric

__all__ = ["metric_cell", "render", "shorten"]


def _fmt(value: Any) -> str:
    """A config value as the report prints it everywhere (see :mod:`distlab.report.units`)."""
    from distlab.report.units import format_value

    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format_value(value, digits=4, trim=True) if isinstance(value, float) else format_value(value)


def shorten(text: str, limit: int = 90) -> str:
    """``text`` cut on a word boundary to at most ``limit`` characters, with an ellipsis if cut.

    Examples:
        >>> shorten("the case was still running after 3600 s", 25)
        'the case was still…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _headers(tables: Tables, dims: list[str]) -> list[str]:
    """The sweep's dimensions in words (the raw name where two would read the same)."""
    from distlab.report.units import param_label

    words = [param_label(d) for d in dims]
    return [w if words.count(w) == 1 else d for w, d in zip(words, dims)]


def metric_cell(metric: Metric, values: list[float], *, boolean: bool = False) -> str:
    """A metric's mean over ``values`` ± the half-width of its 95% CI, with its unit, as every table prints it."""
    from distlab.report.stats import mean_ci95
    from distlab.report.units import metric_quantity, with_spread

    if not values:
        return "–"
    q = metric_quantity(metric)
    mean, half = mean_ci95(values)
    return with_spread(mean, half, "%" if boolean else q.unit, factor=1.0 if boolean else q.factor)


def _group_table(tables: Tables, *, full: bool = False) -> tuple[list[str], list[list[str]]]:
    """Mean ± half-width of the 95% CI of each metric, per combination of swept values.

    A combination with failed trials says so in its status cell, with the first error: whole when
    ``full`` (the HTML), else cut on a word boundary (REPORT.md).
    """
    import polars as pl

    from distlab.report.figures import REPLICATION

    dims = [c for c in tables.varying if c not in REPLICATION]
    res = tables.results
    metrics = [m for m in tables.metrics if m.name in res.columns]
    header = [*_headers(tables, dims), "trials", "status", *(_metric_header(m) for m in metrics)]
    rows: list[list[str]] = []
    groups = res.group_by(dims, maintain_order=True) if dims else [((), res)]
    for key, frame in sorted(groups, key=lambda kv: tuple((v is None, str(v)) for v in kv[0])):
        ok = frame.filter(pl.col("status") == OK)
        failed = frame.height - ok.height
        from distlab.report.units import param_value

        row = [param_value(d, k) for d, k in zip(dims, key)] + [str(frame.height)]
        if failed:
            bad = frame.filter(pl.col("status") != OK)
            kind = next((str(v) for v in bad["error_type"].to_list() if v), "error")
            message = next((str(v) for v in bad["error_message"].to_list() if v), "")
            reason = f"{kind}: {message}" if message else kind
            row.append(f"failed {failed} of {frame.height}: {reason if full else shorten(reason)}")
        else:
            row.append("ok")
        for m in metrics:
            vals = [float(v) for v in ok[m.name].to_list() if v is not None]
            row.append(metric_cell(m, vals, boolean=res.schema[m.name] == pl.Boolean))
        rows.append(row)
    return header, rows


def _metric_header(metric: Metric) -> str:
    from distlab.report.units import metric_quantity

    return metric_quantity(metric).label


def _differences_table(tables: Tables, rows_in: pl.DataFrame, compared: str,
                       baseline: str) -> tuple[list[str], list[list[str]]]:
    """The differences to ``baseline`` of every other value of ``compared``, per setting (figure metrics)."""
    import polars as pl

    from distlab.report.figures import REPLICATION
    from distlab.report.paired import differences
    from distlab.report.units import metric_quantity, param_value, with_spread

    settings = [c for c in tables.varying if c not in REPLICATION and c != compared
                and not c.startswith(compared + ".")]
    metrics = [m for m in tables.metrics if m.figure and m.name in tables.results.columns
               and tables.results.schema[m.name].is_numeric() and tables.results.schema[m.name] != pl.Boolean]
    frame = differences(rows_in, compared, baseline, settings, tables.config_columns, metrics)
    header = [*_headers(tables, settings), _headers(tables, [compared])[0], "pairs",
              *(f"Δ {_metric_header(m)}" for m in metrics)]
    rows = []
    for r in frame.iter_rows(named=True) if frame.height else []:
        cells = [param_value(c, r[c]) for c in settings] + [str(r[compared]), str(r["pairs"]) or "–"]
        for m in metrics:
            q = metric_quantity(m)
            mean, half = r.get(m.name), r.get(f"{m.name}:half")
            text = with_spread(mean, half, q.unit, factor=q.factor) if mean is not None else "–"
            cells.append(("+" + text) if mean is not None and mean > 0 else text)
        rows.append(cells)
    return header, rows


# What would turn a value into markup: backslash, code, emphasis, links, raw HTML, a table's cell
# border. An underscore inside a word (a_b) is no emphasis in CommonMark, so it stays as is.
_MD_SPECIAL = re.compile(r"[\\`*\[\]<|]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def _md_text(value: str) -> str:
    """A value (a config value, an error message, a path) as Markdown text that shows it verbatim."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(value.splitlines()))


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_md_text(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_text(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _provenance_lines(tables: Tables) -> list[tuple[str, str]]:
    prov = tables.provenance

    def counted(counts: Counter[str]) -> str:
        return "; ".join(f"{k} ({v} jobs)" for k, v in sorted(counts.items()))

    lines = [
        ("jobs with provenance", str(prov.jobs)),
        ("distlab", counted(prov.distlab)),
        ("plugins", "; ".join(sorted(prov.plugins)) or "–"),
        ("python", ", ".join(sorted(prov.pythons))),
        ("platform", ", ".join(sorted(prov.platforms))),
    ]
    # Libraries, machines and launchers, where the records have them (cases written before had not).
    for name, counts in (("libraries", prov.libraries), ("machines", prov.machines), ("launcher", prov.launchers)):
        if counts:
            lines.append((name, counted(counts)))
    seeds = sorted(prov.seeds, key=lambda v: (not isinstance(v, int), v if isinstance(v, int) else 0, str(v)))
    lines += [
        ("base seeds", ", ".join(str(s) for s in seeds)),
        ("ran from", f"{prov.first_start or '?'} to {prov.last_end or '?'}"),
    ]
    return lines


def _failed_rows(tables: Tables, out_dir: Path, *, full: bool = False) -> list[list[str]]:
    """One row per case with a failed trial: how many failed, the first error, where its files are."""
    import polars as pl

    from distlab.report.figures import hue_label

    labels = [c for c in tables.varying if c in tables.results.columns]
    per_case = (
        tables.results.group_by("case_id", maintain_order=True)
        .agg(
            (pl.col("status") != OK).sum().alias("failed"),
            pl.len().alias("trials"),
            pl.col("error_type").drop_nulls().first(),
            pl.col("error_message").drop_nulls().first(),
            pl.col("job_dir").first(),
            *[pl.col(c).first() for c in labels],
        )
        .filter(pl.col("failed") > 0)
        .sort("case_id")
    )
    rows = []
    for r in per_case.iter_rows(named=True):
        message = str(r["error_message"] or "").strip().splitlines()
        case = hue_label(labels, tuple(r[c] for c in labels)) or r["case_id"]
        rows.append([str(r["case_id"]), case, f"{r['failed']} of {r['trials']}", str(r["error_type"]),
                     " ".join(message) if full else shorten(" ".join(message), 120), os.path.relpath(str(r["job_dir"]), out_dir)])
    return rows


def _applies_to(res: pl.DataFrame, column: str) -> str:
    """For a parameter null in some trials: the components (or presets) that have it, e.g. "(COMPONENT only)".

    A component all of whose trials have the parameter is named; where only some of its presets have
    it, those presets are named instead.
    """
    import polars as pl

    has = pl.col(column).is_not_null()
    owner = column.split(".", 1)[0]
    if owner == column or owner not in res.columns:
        return f"(set in {res.filter(has).height} of {res.height} trials)"
    per_component = res.group_by(pl.col(owner).cast(pl.String).alias("_c")).agg(
        has.all().alias("all"), has.any().alias("any")
    )
    names = sorted(per_component.filter(pl.col("all"))["_c"].drop_nulls().to_list())
    partly = per_component.filter(pl.col("any") & ~pl.col("all"))["_c"].drop_nulls().to_list()
    if partly:
        # Named as the report names a choice everywhere: its preset, else its component.
        choice = pl.coalesce(*[pl.col(c).cast(pl.String) for c in (f"{owner}.preset", owner) if c in res.columns])
        chosen = res.filter(has & pl.col(owner).cast(pl.String).is_in(partly)).select(choice.alias("_n"))
        names = sorted({*names, *chosen["_n"].drop_nulls().to_list()})
    names = [_md_text(str(n)) for n in names]
    return f"({names[0]} only)" if len(names) == 1 else f"(for {', '.join(names)})"


def _unswept(tables: Tables) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The config columns that are not sweep dimensions, split in two.

    Returns:
        The fixed ones (one value in every trial that has the parameter) with their value, followed by
        the components or presets that have it when not all do; and those whose value follows the
        component or preset chosen (e.g. a preset's write rate), with their value per choice.
    """
    import polars as pl

    res = tables.results
    fixed: list[tuple[str, str]] = []
    chosen: list[tuple[str, str]] = []
    for column in tables.config_columns:
        if column in tables.varying or column not in res.columns:
            continue
        # Null where the chosen component has no such parameter: that is not a second value.
        values = res[column].drop_nulls().unique(maintain_order=True).to_list()
        if len(values) <= 1:
            value = _md_text(_fmt(values[0])) if values else "–"
            partial = bool(values) and res[column].null_count() > 0
            fixed.append((column, f"{value} {_applies_to(res, column)}" if partial else value))
            continue
        owner = column.split(".", 1)[0]
        key = next((k for k in (f"{owner}.preset", owner) if k in res.columns and k != column), None)
        if key is None:
            chosen.append((column, ", ".join(_md_text(_fmt(v)) for v in values)))
            continue
        per_choice = (
            res.select(pl.col(key), pl.col(owner).alias("_component") if owner in res.columns and owner != key
                       else pl.col(key).alias("_component"), pl.col(column))
            .drop_nulls(column)  # a parameter the chosen component does not have
            .unique(maintain_order=True)
            .sort(key, nulls_last=True)
        )
        chosen.append((column, "; ".join(
            _md_text(f"{r[key] if r[key] is not None else r['_component']} = {_fmt(r[column])}")
            for r in per_choice.iter_rows(named=True)
        )))
    return fixed, chosen


def _comparisons(tables: Tables) -> list[str]:
    """The sections of differences: between sweeps (a report over several), and paired, to the baseline treatment."""
    import polars as pl

    from distlab.report.figures import _prepared

    md: list[str] = []
    if "sweep" in tables.varying:
        first = str(tables.results["sweep"][0])
        header, rows = _differences_table(tables, tables.results, "sweep", first)
        if rows:
            md += [f"## Differences between sweeps (each minus {_md_text(first)})", "",
                   "Per setting: the difference of each sweep's mean to the first sweep's, ± the half-width of its "
                   "95% confidence interval; paired trial by trial where the sweeps share trial seeds (`pairs`), "
                   "else of independent means (`pairs` 0).", "", _md_table(header, rows), ""]
    rows_in, x, _, _ = _prepared(tables)
    if tables.treatment is not None and x == tables.treatment:
        values = sorted(str(v) for v in rows_in.filter(pl.col("status") == OK)[x].drop_nulls().unique().to_list())
        if len(values) > 1:
            baseline = tables.baseline if tables.baseline in values else values[0]
            header, rows = _differences_table(tables, rows_in, x, baseline)
            if rows:
                md += [f"## Paired differences to {_md_text(baseline)}", "",
                       f"Every {x} meets the same random world in the same trial (common random numbers: trial "
                       f"seeds do not depend on the {x}), so each trial is compared with the {_md_text(baseline)} "
                       f"trial of the same setting, repeat and seed: the mean of these paired differences ± the "
                       "half-width of its 95% confidence interval, narrower than the means' own intervals suggest.",
                       "", _md_table(header, rows), ""]
    return md


def _document(tables: Tables, figures: list[Path], out_dir: Path, extra: str, *, full: bool) -> str:
    """The report as Markdown: for REPORT.md (PNG figures, reasons cut short) or for the HTML (``full``)."""
    import polars as pl

    from distlab.report.claims import collected, text_problems

    res = tables.results
    n_cases = res["case_id"].n_unique()
    n_ok = res.filter(pl.col("status") == OK).height
    study = tables.study_name
    header, rows = _group_table(tables, full=full)
    failed = _failed_rows(tables, out_dir, full=full)
    failed_header = ["case_id", "case", "failed trials", "error", "message", "job directory (from here)"]
    prov = _provenance_lines(tables)
    metric_docs = [(m.name, m.doc) for m in tables.metrics]
    fixed_items, chosen_items = _unswept(tables)

    md: list[str] = [f"# distlab report: {study}", ""]
    md.append(
        f"{n_cases} cases, {res.height} trials ({n_ok} ok, {res.height - n_ok} failed). "
        f"Swept: {', '.join(tables.varying) or 'nothing'}. Values are means over successful trials "
        "(repeats and seeds pooled) ± the half-width of the 95% confidence interval of the mean (Student's t), "
        "to three significant digits; no ± where every trial gave the same value."
    )
    unsupported = [v for v in collected() if v.word != "Supported"]
    if unsupported:
        md += ["", "**Claims the data does not support** (see their sections): "
               + "; ".join(f"{_md_text(v.claim or 'a claim')}: {v.word.lower()} ({v.holds} of {v.total})"
                           for v in unsupported) + "."]
    problems = text_problems()
    if problems:
        md += ["", "**Findings in the text the data does not back** (a `<!-- verdict: NAME -->` marker names the "
               "verdict that checks a sentence): " + "; ".join(_md_text(p) for p in problems) + "."]
    md += ["", "## Results", "", _md_table(header, rows), ""]
    if extra.strip():
        md += [extra.strip(), ""]
    md += _comparisons(tables)
    pngs = [f for f in figures if f.suffix == ".png"]
    if pngs:
        md += ["## Figures", ""]
        for f in pngs:
            shown = f.with_suffix(".svg") if full and f.with_suffix(".svg") in figures else f
            md += [f"![{f.stem}]({Path(os.path.relpath(shown, out_dir)).as_posix()})", ""]
    md += ["## Metrics", ""] + [f"- `{n}`: {d}" for n, d in metric_docs] + [""]
    md += ["## Failed cases", ""]
    md += [_md_table(failed_header, failed) if failed else "None: every trial ran to completion.", ""]
    md += ["## Fixed parameters", ""] + [f"- `{k}` = {v}" for k, v in fixed_items] + [""]
    if chosen_items:
        md += ["## Parameters set by the component or preset", ""]
        md += [f"- `{k}`: {v}" for k, v in chosen_items] + [""]
    md += ["## Provenance", ""] + [f"- {k}: {_md_text(v)}" for k, v in prov] + [""]
    md += ["Files: results.parquet (one row per trial), summary.parquet and summary.csv (per case and metric: "
           "n, mean, std, ci95_low, ci95_high, p50, p99); each figure as PNG and SVG.", ""]
    return "\n".join(md)


def render(tables: Tables, figures: list[Path], out_dir: Path, *, extra: str = "") -> list[Path]:
    """Write REPORT.md and report.html into ``out_dir``; returns their paths.

    The HTML is its own rendering of the same document, with two differences a page allows: vector
    figures (SVG) and every failure's reason whole.
    """
    md_path = out_dir / "REPORT.md"
    store.write_bytes(md_path, _document(tables, figures, out_dir, extra, full=False).encode())
    html_path = out_dir / "report.html"
    page = _html(_document(tables, figures, out_dir, extra, full=True), f"distlab report: {tables.study_name}", out_dir)
    store.write_bytes(html_path, page.encode())
    return [md_path, html_path]


_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;line-height:1.4}
table{border-collapse:collapse;font-size:13px;margin:1em 0;display:block;overflow-x:auto}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#f3f3f3}
img{max-width:100%;vertical-align:top}code{background:#f6f6f6;padding:0 2px}"""


def _html(markdown: str, title: str, out_dir: Path) -> str:
    """report.html: REPORT.md rendered as it is, so the two cannot disagree, with its images embedded.

    Raw HTML in the Markdown is shown as text, never interpreted: values and an analysis's output
    reach the page only as text. Each local image (e.g. ``figures/x.png``, relative to ``out_dir``)
    becomes a data URI, so the file stands alone.
    """
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(markdown)
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                _embed(child, out_dir)
    body = parser.renderer.render(tokens, parser.options, {})
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>\n'
        f"<style>{_CSS}</style>\n</head><body>\n{body}</body></html>\n"
    )


def _embed(image: Token, out_dir: Path) -> None:
    """Replace a local image's ``src`` by a data URI of the file (left as is if it is not a local image)."""
    import mimetypes
    from urllib.parse import unquote, urlsplit

    src = str(image.attrGet("src") or "")
    url = urlsplit(src)
    if url.scheme or url.netloc or not url.path:
        return  # a web address or a data URI already
    # The parser percent-encodes a link (a space becomes %20); the file has the plain name.
    path = out_dir / unquote(url.path)
    kind, _ = mimetypes.guess_type(path.name)
    if kind is None or not kind.startswith("image/") or not path.is_file():
        return
    image.attrSet("src", f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}")
