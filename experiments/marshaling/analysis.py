"""What the marshaling sweep says about the course's points on RPC parameter passing.

Called by ``distlab report`` (through ``distlab experiment``); returns the Markdown section
"Findings" of REPORT.md. Bytes on the wire are deterministic; throughputs are timed (best of repeated
runs), so their ratios are what to read, not their absolute values. Every statement below is
computed from this sweep's rows by the rule written next to it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from distlab.report import verdict
from distlab.report.units import format_value, metric_quantity

# Byte order "costs little" if a big-endian sender keeps this share of the little-endian throughput.
CLOSE = 0.9

SHAPES = ["int_array", "float_array", "records", "strings"]


def _cells(tables) -> pl.DataFrame:
    ok = tables.results.filter(pl.col("status") == "ok")
    name = pl.coalesce(pl.col("serializer.preset"), pl.col("serializer")) if "serializer.preset" in ok.columns else pl.col("serializer")
    return (
        ok.with_columns(name.alias("format"), pl.col("world.shape").alias("shape"))
        .group_by("format", "shape")
        .agg(pl.col("bytes_per_item").mean(), pl.col("encode_items_per_s").median().alias("encode"),
             pl.col("decode_items_per_s").median().alias("decode"), pl.col("roundtrip_ok").cast(pl.Float64).min().alias("ok"))
    )


def _get(cells: pl.DataFrame, fmt: str, shape: str, column: str) -> float | None:
    row = cells.filter((pl.col("format") == fmt) & (pl.col("shape") == shape))
    return float(row[column][0]) if row.height else None


def _number(tables, column: str, value: float | None) -> str:
    """A value of a metric column as the results table prints it (its unit, three significant digits)."""
    metric = next((m for m in tables.metrics if m.name == column), None)
    if metric is None:
        return format_value(value)
    q = metric_quantity(metric)
    return format_value(value, q.unit, factor=q.factor)


def analyze(tables, figures_dir: Path) -> str:
    """The findings section of the report."""
    cells = _cells(tables)
    formats = sorted(cells["format"].unique().to_list())
    out = ["## Findings", ""]

    out += ["### Bytes on the wire per item", "",
            "| format | " + " | ".join(SHAPES) + " |", "|---|" + "---|" * len(SHAPES)]
    for fmt in formats:
        values = [_get(cells, fmt, s, "bytes_per_item") for s in SHAPES]
        out.append(f"| {fmt} | " + " | ".join(_number(tables, "bytes_per_item", v) for v in values) + " |")
    out.append("")

    # Receiver makes right: swapping costs little where numbers travel as arrays.
    out += ["### What byte order costs",
            "This machine is little-endian. A big-endian sender (`*_big`) makes this receiver swap every number; "
            "the ratio below is the big-endian throughput over the little-endian one (1.0: byte order is free). "
            "Strings carry no numbers but their lengths, so their ratio shows how noisy the timing is.", "",
            "| format | shape | encode big/little | decode big/little |", "|---|---|---|---|"]
    judged: list[bool] = []
    for base in ("ndr", "native"):
        for shape in SHAPES:
            le_enc, be_enc = _get(cells, f"{base}_little", shape, "encode"), _get(cells, f"{base}_big", shape, "encode")
            le_dec, be_dec = _get(cells, f"{base}_little", shape, "decode"), _get(cells, f"{base}_big", shape, "decode")
            if None in (le_enc, be_enc, le_dec, be_dec):
                continue
            out.append(f"| {base} | {shape} | {be_enc / le_enc:.2f} | {be_dec / le_dec:.2f} |")
            if shape in ("int_array", "float_array"):
                judged.append(min(be_enc / le_enc, be_dec / le_dec) >= CLOSE)
    out += ["", f"Claim: byte order costs little where numbers travel as arrays. Rule: on `int_array` and "
            f"`float_array`, big-endian encode and decode keep at least {CLOSE:.0%} of the little-endian "
            "throughput.", "",
            verdict(sum(judged), len(judged), "byte order costs little on arrays", unit="format × shape pairs"), ""]

    # Self-describing formats carry names and tags.
    xdr = {s: _get(cells, "xdr", s, "bytes_per_item") for s in SHAPES}
    lines = []
    for fmt in ("json", "msgpack", "cbor"):
        ratios = [f"{s} {(_get(cells, fmt, s, 'bytes_per_item') or 0) / xdr[s]:.2f}×" for s in SHAPES if xdr.get(s)]
        lines.append(f"- {fmt}: " + ", ".join(ratios))
    out += ["### Schema-less formats against XDR (bytes per item, ratio to XDR)",
            "XDR sends no names or tags: both ends know the type from the interface definition. "
            "The self-describing formats pay for that knowledge on the wire (and win where XDR pads small "
            "values to 4 bytes).", "", *lines, ""]

    # Throughput.
    out += ["### Encode and decode throughput (items per second, median over trials)", "",
            "| format | " + " | ".join(f"{s} enc / dec" for s in SHAPES) + " |", "|---|" + "---|" * len(SHAPES)]
    for fmt in formats:
        cells_text = [f"{_number(tables, 'encode_items_per_s', _get(cells, fmt, s, 'encode'))} / "
                      f"{_number(tables, 'decode_items_per_s', _get(cells, fmt, s, 'decode'))}" for s in SHAPES]
        out.append(f"| {fmt} | " + " | ".join(cells_text) + " |")
    out.append("")
    bad = cells.filter(pl.col("ok") < 1)
    out.append("Every round trip gave back its payload." if bad.height == 0
               else f"Round trips that failed: {bad.select('format', 'shape').rows()}.")
    return "\n".join(out)
