"""The report's documents: REPORT.md and a self-contained report.html (figures embedded)."""

from __future__ import annotations

import base64
import html
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distlab import store

if TYPE_CHECKING:
    from distlab.report.tables import Tables

__all__ = ["render"]


def _fmt(value: Any) -> str:
    """A number as a reader wants it: four significant digits, exponents only when very large or small."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        if value == 0:
            return "0"
        mag = abs(value)
        if mag >= 1e6 or mag < 1e-3:
            return f"{value:.3e}"
        # Fixed point with four significant digits (40004 stays 40004, not 4e+04).
        decimals = max(0, 3 - math.floor(math.log10(mag)))
        text = f"{value:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def _group_table(tables: Tables) -> tuple[list[str], list[list[str]]]:
    """Mean ± half-width of the 95% CI of each figure metric, per combination of swept values."""
    import polars as pl

    from distlab.report.figures import REPLICATION, _mean_ci

    dims = [c for c in tables.varying if c not in REPLICATION]
    ok = tables.results.filter(pl.col("status") == "ok")
    metrics = [m for m in tables.metrics if m.name in ok.columns]
    header = [*dims, "trials", *(m.name for m in metrics)]
    rows: list[list[str]] = []
    groups = ok.group_by(dims, maintain_order=True) if dims else [((), ok)]
    for key, frame in sorted(groups, key=lambda kv: tuple(str(k) for k in kv[0])):
        row = [_fmt(k) for k in key] + [str(frame.height)]
        for m in metrics:
            vals = [float(v) for v in frame[m.name].to_list() if v is not None]
            if not vals:
                row.append("–")
                continue
            mean, half = _mean_ci(vals)
            # Identical trials give a half-width of rounding noise (e.g. 6e-16): that is no interval.
            spread = half is not None and not math.isnan(half) and half > 1e-9 * abs(mean)
            row.append(_fmt(mean) + (f" ± {_fmt(half)}" if spread else ""))
        rows.append(row)
    return header, rows


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [h.replace("|", "\\|") for h in header]
    lines = ["| " + " | ".join(esc) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _provenance_lines(tables: Tables) -> list[tuple[str, str]]:
    prov = tables.provenance
    commits = Counter(
        f"{p['code'].get('version')} @ {p['code'].get('git_commit') or 'no git'}"
        + (" (dirty)" if p["code"].get("git_dirty") else "")
        for p in prov
    )
    plugins = Counter(
        f"{c['distribution'] or c['plugin']} {c['version']}".strip()
        for p in prov
        for c in p.get("components", {}).values()
    )
    starts = sorted(p.get("started_at", "") for p in prov)
    ends = sorted(p.get("finished_at", "") for p in prov)
    return [
        ("jobs with provenance", str(len(prov))),
        ("distlab", "; ".join(f"{k} ({v} jobs)" for k, v in sorted(commits.items()))),
        ("plugins", "; ".join(sorted(plugins)) or "–"),
        ("python", ", ".join(sorted({p.get("python", "?") for p in prov}))),
        ("platform", ", ".join(sorted({p.get("platform", "?") for p in prov}))),
        ("base seeds", ", ".join(str(s) for s in sorted({p["config"]["seed"] for p in prov if "config" in p}))),
        ("ran from", f"{starts[0] if starts else '?'} to {ends[-1] if ends else '?'}"),
    ]


def _failed_rows(tables: Tables, out_dir: Path) -> list[list[str]]:
    """One row per case with a failed trial: how many failed, the first error, where its files are."""
    import os

    import polars as pl

    from distlab.report.figures import hue_label

    labels = [c for c in tables.varying if c in tables.results.columns]
    per_case = (
        tables.results.group_by("case_id", maintain_order=True)
        .agg(
            (pl.col("status") != "ok").sum().alias("failed"),
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
                     (message[0] if message else "")[:200], os.path.relpath(str(r["job_dir"]), out_dir)])
    return rows


def _unswept(tables: Tables) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The config columns that are not sweep dimensions, split in two.

    Returns:
        The fixed ones (one value in every trial) with their value, and those whose value follows
        the component or preset chosen (e.g. a preset's write rate), with their value per choice.
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
            fixed.append((column, _fmt(values[0]) if values else "–"))
            continue
        owner = column.split(".", 1)[0]
        key = next((k for k in (f"{owner}.preset", owner) if k in res.columns and k != column), None)
        if key is None:
            chosen.append((column, ", ".join(_fmt(v) for v in values)))
            continue
        per_choice = (
            res.select(pl.col(key), pl.col(owner).alias("_component") if owner in res.columns and owner != key
                       else pl.col(key).alias("_component"), pl.col(column))
            .drop_nulls(column)  # a parameter the chosen component does not have
            .unique(maintain_order=True)
            .sort(key, nulls_last=True)
        )
        chosen.append((column, "; ".join(
            f"{r[key] if r[key] is not None else r['_component']} = {_fmt(r[column])}"
            for r in per_choice.iter_rows(named=True)
        )))
    return fixed, chosen


def render(tables: Tables, figures: list[Path], out_dir: Path, *, extra: str = "") -> list[Path]:
    """Write REPORT.md and report.html into ``out_dir``; returns their paths."""
    import polars as pl

    res = tables.results
    n_cases = res["case_id"].n_unique()
    n_ok = res.filter(pl.col("status") == "ok").height
    study = tables.study.name if tables.study else ", ".join(str(s) for s in res["study"].unique().to_list())
    header, rows = _group_table(tables)
    failed = _failed_rows(tables, out_dir)
    failed_header = ["case_id", "case", "failed trials", "error", "message", "job directory (from here)"]
    prov = _provenance_lines(tables)
    metric_docs = [(m.name, m.doc) for m in tables.metrics]
    fixed_items, chosen_items = _unswept(tables)

    md: list[str] = [f"# distlab report: {study}", ""]
    md.append(
        f"{n_cases} cases, {res.height} trials ({n_ok} ok, {res.height - n_ok} failed). "
        f"Swept: {', '.join(tables.varying) or 'nothing'}. Values are means over successful trials "
        "(repeats and seeds pooled) ± the half-width of the 95% confidence interval of the mean (Student's t)."
    )
    md += ["", "## Results", "", _md_table(header, rows), ""]
    if extra.strip():
        md += [extra.strip(), ""]
    if figures:
        md += ["## Figures", ""]
        md += [f"![{f.stem}](figures/{f.name})" for f in figures] + [""]
    md += ["## Metrics", ""] + [f"- `{n}`: {d}" for n, d in metric_docs] + [""]
    md += ["## Failed cases", ""]
    md += [_md_table(failed_header, failed) if failed else "None: every trial ran to completion.", ""]
    md += ["## Fixed parameters", ""] + [f"- `{k}` = {v}" for k, v in fixed_items] + [""]
    if chosen_items:
        md += ["## Parameters set by the component or preset", ""]
        md += [f"- `{k}`: {v}" for k, v in chosen_items] + [""]
    md += ["## Provenance", ""] + [f"- {k}: {v}" for k, v in prov] + [""]
    md += ["Files: results.parquet (one row per trial), summary.parquet and summary.csv (per case and metric: "
           "n, mean, std, ci95_low, ci95_high, p50, p99).", ""]
    md_path = out_dir / "REPORT.md"
    store.write_bytes(md_path, "\n".join(md).encode())

    def table_html(head: list[str], body: list[list[str]]) -> str:
        th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        trs = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body)
        return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"

    imgs = "".join(
        f'<figure><img alt="{html.escape(f.stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(f.read_bytes()).decode()}"><figcaption>{html.escape(f.stem)}</figcaption></figure>'
        for f in figures
    )
    extra_html = f"<section><pre>{html.escape(extra.strip())}</pre></section>" if extra.strip() else ""
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>distlab report: {html.escape(study)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;font-size:13px;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}
th{{background:#f3f3f3}}img{{max-width:100%}}figure{{display:inline-block;margin:0.5em}}pre{{white-space:pre-wrap}}</style>
</head><body>
<h1>distlab report: {html.escape(study)}</h1>
<p>{html.escape(md[2])}</p>
<h2>Results</h2>{table_html(header, rows)}
{extra_html}
<h2>Figures</h2>{imgs or '<p>No figures.</p>'}
<h2>Metrics</h2><ul>{''.join(f'<li><code>{html.escape(n)}</code>: {html.escape(d)}</li>' for n, d in metric_docs)}</ul>
<h2>Failed cases</h2>{table_html(failed_header, failed) if failed else '<p>None: every trial ran to completion.</p>'}
<h2>Fixed parameters</h2><ul>{''.join(f'<li><code>{html.escape(k)}</code> = {html.escape(v)}</li>' for k, v in fixed_items)}</ul>
{('<h2>Parameters set by the component or preset</h2><ul>' + ''.join(f'<li><code>{html.escape(k)}</code>: {html.escape(v)}</li>' for k, v in chosen_items) + '</ul>') if chosen_items else ''}
<h2>Provenance</h2><ul>{''.join(f'<li>{html.escape(k)}: {html.escape(v)}</li>' for k, v in prov)}</ul>
</body></html>
"""
    html_path = out_dir / "report.html"
    store.write_bytes(html_path, doc.encode())
    return [md_path, html_path]
