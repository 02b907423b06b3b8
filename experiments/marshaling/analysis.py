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
    # NDR as C706 lays it out: numeric arrays at their element size, records larger than packed (alignment).
    ndr_checks = [(shape, size) for shape, size in (("int_array", 4.0), ("float_array", 8.0))
                  if _get(cells, "ndr_little", shape, "bytes_per_item") is not None]
    ndr_ok = [abs((_get(cells, "ndr_little", shape, "bytes_per_item") or 0) / size - 1) < 0.01 for shape, size in ndr_checks]
    ndr_rec, native_rec = _get(cells, "ndr_little", "records", "bytes_per_item"), _get(cells, "native_little", "records", "bytes_per_item")
    if ndr_rec is not None and native_rec is not None:
        ndr_ok.append(ndr_rec > native_rec)
    out += [f"Claim: NDR sends numbers at their size and aligns them. Rule: `ndr_little` takes within 1 % of 4 bytes "
            "per `int_array` item and of 8 per `float_array` item (the label and count spread over 10,000 items), "
            f"and more bytes per `records` item than the packed `native_little` ({_number(tables, 'bytes_per_item', ndr_rec)} "
            f"against {_number(tables, 'bytes_per_item', native_rec)}: alignment gaps and the hoisted count).", "",
            verdict(sum(ndr_ok), len(ndr_ok), "NDR sends numbers at their size and aligns them", unit="checks",
                    name="ndr-layout"), ""]

    # Receiver makes right: swapping costs little where numbers travel as arrays.
    out += ["### What byte order costs",
            "This machine is little-endian. A big-endian sender (`*_big`) makes this receiver swap every number; "
            "the ratio below is the big-endian throughput over the little-endian one (1.0: byte order is free). "
            "Strings carry no numbers but their lengths, so their ratio shows how noisy the timing is.", "",
            "| format | shape | encode big/little | decode big/little |", "|---|---|---|---|"]
    judged: list[bool] = []
    costly: list[bool] = []  # encode pays more than CLOSE allows, and decode pays less than encode
    for base in ("ndr", "native"):
        for shape in SHAPES:
            le_enc, be_enc = _get(cells, f"{base}_little", shape, "encode"), _get(cells, f"{base}_big", shape, "encode")
            le_dec, be_dec = _get(cells, f"{base}_little", shape, "decode"), _get(cells, f"{base}_big", shape, "decode")
            if None in (le_enc, be_enc, le_dec, be_dec):
                continue
            out.append(f"| {base} | {shape} | {be_enc / le_enc:.2f} | {be_dec / le_dec:.2f} |")
            if shape in ("int_array", "float_array"):
                judged.append(min(be_enc / le_enc, be_dec / le_dec) >= CLOSE)
                costly.append(be_enc / le_enc < CLOSE and be_dec / le_dec > be_enc / le_enc)
    out += ["", f"Claim: byte order costs little where numbers travel as arrays. Rule: on `int_array` and "
            f"`float_array`, big-endian encode and decode keep at least {CLOSE:.0%} of the little-endian "
            "throughput.", "",
            verdict(sum(judged), len(judged), "byte order costs little on arrays", unit="format × shape pairs",
                    name="byte-order-costs-little"), "",
            f"Claim: byte order is not free on arrays; the sender pays most. Rule: on `int_array` and `float_array`, "
            f"big-endian encode keeps less than {CLOSE:.0%} of the little-endian throughput, and decode keeps a larger "
            "share than encode.", "",
            verdict(sum(costly), len(costly), "byte order costs the sender on arrays", unit="format × shape pairs",
                    name="byte-order-not-free"), ""]

    # Self-describing formats carry names and tags.
    xdr = {s: _get(cells, "xdr", s, "bytes_per_item") for s in SHAPES}
    lines = []
    for fmt in ("json", "msgpack", "cbor"):
        ratios = [f"{s} {(_get(cells, fmt, s, 'bytes_per_item') or 0) / xdr[s]:.2f}×" for s in SHAPES if xdr.get(s)]
        lines.append(f"- {fmt}: " + ", ".join(ratios))
    pays = [(_get(cells, fmt, "records", "bytes_per_item") or 0) > xdr["records"]
            for fmt in ("json", "msgpack", "cbor") if xdr.get("records") and _get(cells, fmt, "records", "bytes_per_item")]
    pays += [(_get(cells, fmt, shape, "encode") or 0) < (_get(cells, "xdr", shape, "encode") or 0)
             for fmt in ("msgpack", "cbor") for shape in ("int_array", "float_array")
             if _get(cells, fmt, shape, "encode") is not None and _get(cells, "xdr", shape, "encode") is not None]
    xdr_s, native_s = xdr.get("strings"), _get(cells, "native_little", "strings", "bytes_per_item")
    padded = [0 < xdr_s - native_s < 4] if xdr_s is not None and native_s is not None else []
    out += ["### Schema-less formats against XDR (bytes per item, ratio to XDR)",
            "XDR sends no names or tags: both ends know the type from the interface definition. "
            "The self-describing formats pay for that knowledge on the wire (and win where XDR pads small "
            "values to 4 bytes).", "", *lines, "",
            "Claim: self-describing formats pay for names and tags. Rule: `json`, `msgpack` and `cbor` take more "
            "bytes per `records` item than XDR, and `msgpack` and `cbor` encode `int_array` and `float_array` "
            "slower than XDR (item by item).", "",
            verdict(sum(pays), len(pays), "self-describing formats pay in bytes and time", unit="comparisons",
                    name="self-describing-pays"), "",
            "Claim: XDR's 4-byte padding shows on strings. Rule: an XDR `strings` item takes more bytes than the "
            "packed `native_little` one (same length prefix, no padding), by less than 4 bytes "
            f"({_number(tables, 'bytes_per_item', xdr_s)} against {_number(tables, 'bytes_per_item', native_s)}).", "",
            verdict(sum(padded), len(padded), "XDR's padding shows on strings", unit="comparisons", name="xdr-padding"),
            ""]

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
