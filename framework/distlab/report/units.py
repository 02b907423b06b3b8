"""Numbers as a reader writes them: a metric's words and unit, and values with fixed significant digits.

distlab spells units in names (DESIGN.md, "Units and names"): ``downtime_s``, ``latency_ms``,
``bytes_sent``, ``bandwidth_mbit_s``, ``memory_mib``. This module reads them back: ``downtime_s`` is
"downtime" in seconds, so its value 0.0835 prints as ``83.5 ms``; ``world.link.bandwidth_mbit_s=1000.0``
titles a panel ``1 Gbit/s link``. A metric may say its words and unit itself
(:class:`distlab.study.Metric`'s ``label`` and ``unit``); the suffix is the fallback.

Units the formatter knows: ``s`` (shown as ns, µs, ms or s), ``bytes`` (B, KiB, MiB, GiB, TiB: memory
and payloads are counted in powers of two), ``bit/s`` (kbit/s, Mbit/s, Gbit/s), ``%`` (a share stored
as 0..1), a rate ``X/s`` and a count ``""`` (k, M, G). Any other unit is printed after the number.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distlab.study import Metric

__all__ = ["DIGITS", "Quantity", "axis_unit", "counted", "format_value", "param_label", "param_title", "param_value",
           "quantity", "with_spread"]

DIGITS = 3
"""Significant digits of every value the report prints (its confidence half-width gets two)."""

# Suffix → (unit, factor to the base unit). Longest first: "_mbit_s" must win over "_s".
_SUFFIXES: tuple[tuple[str, str, float], ...] = (
    ("_gbit_s", "bit/s", 1e9), ("_mbit_s", "bit/s", 1e6), ("_kbit_s", "bit/s", 1e3), ("_bit_s", "bit/s", 1.0),
    ("_tib", "bytes", 2.0**40), ("_gib", "bytes", 2.0**30), ("_mib", "bytes", 2.0**20), ("_kib", "bytes", 2.0**10),
    ("_bytes", "bytes", 1.0),
    ("_ns", "s", 1e-9), ("_us", "s", 1e-6), ("_ms", "s", 1e-3), ("_s", "s", 1.0),
)
# Shares stored as 0..1: printed as percentages, the word kept ("unserved fraction").
_SHARES = ("_fraction", "_share")
_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_BINARY = ((2.0**40, "TiB"), (2.0**30, "GiB"), (2.0**20, "MiB"), (2.0**10, "KiB"))
_SUBSECOND = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


@dataclasses.dataclass(frozen=True)
class Quantity:
    """What a column measures.

    Attributes:
        label: the quantity in words (``"downtime"``).
        unit: its base unit (``"s"``, ``"bytes"``, ``"bit/s"``, ``"%"``, ``"items/s"``, ``""``).
        factor: what one of the column's values is in the base unit (1e-3 for ``_ms``).
    """

    label: str
    unit: str
    factor: float = 1.0


def quantity(name: str, *, label: str | None = None, unit: str | None = None) -> Quantity:
    """The words and unit of a column, from its declaration if given, else from its name's suffix.

    Examples:
        >>> quantity("downtime_s")
        Quantity(label='downtime', unit='s', factor=1.0)
        >>> quantity("world.link.bandwidth_mbit_s")
        Quantity(label='bandwidth', unit='bit/s', factor=1000000.0)
        >>> quantity("encode_items_per_s").unit
        'items/s'
    """
    base = name.rsplit(".", 1)[-1]
    words, found, factor = base, "", 1.0
    if base.startswith("bytes_") or base == "bytes":
        found = "bytes"
    elif "_per_s" in base and base.endswith("_per_s"):
        head = base[: -len("_per_s")]
        words, _, per = head.rpartition("_")
        words, found = (words or "rate"), f"{per}/s"
    elif base.endswith(_SHARES):
        found = "%"
    else:
        for suffix, suffix_unit, suffix_factor in _SUFFIXES:
            if base.endswith(suffix) and len(base) > len(suffix):
                words, found, factor = base[: -len(suffix)], suffix_unit, suffix_factor
                break
    if unit is not None:
        found, factor = unit, 1.0
    return Quantity(label if label is not None else words.replace("_", " "), found, factor)


def metric_quantity(metric: Metric) -> Quantity:
    """The words and unit of a declared metric."""
    return quantity(metric.name, label=metric.label, unit=metric.unit)


def _round(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits in fixed point (never an exponent)."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if rounded != 0 and math.floor(math.log10(abs(rounded))) > math.floor(math.log10(abs(value))):
        decimals -= 1  # 9.996 → 10.0, not 10.00
    return f"{rounded:.{max(0, decimals)}f}"


def _scale(mag: float, unit: str) -> tuple[float, str]:
    """The divisor and the unit to print ``mag`` (in the base unit) with: 0.0835 s → (1e-3, "ms")."""
    if unit == "bytes":
        return next(((s, u) for s, u in _BINARY if mag >= s), (1.0, "B"))
    if unit == "s":
        return next(((s, u) for s, u in _SUBSECOND if mag >= s), (1e-9, "ns")) if mag < 1 else (1.0, "s")
    if unit == "%":
        return 0.01, "%"
    if unit == "bit/s":
        return next(((s, f"{p}bit/s") for s, p in _SI if mag >= s), (1.0, "bit/s"))
    # A count or a rate: SI prefixes from 10,000 on (a four-digit count reads best as it is).
    if mag >= 1e4:
        scale, prefix = next((s, p) for s, p in _SI if mag >= s)
        return scale, f"{prefix} {unit}".rstrip() if unit else prefix
    return 1.0, unit


_TINY = 1e-4
"""Below this (in the unit shown), fixed point would be a row of zeros: a power of ten is written instead."""
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, digits: int, trim: bool = False) -> str:
    """``value`` as ``m×10ⁿ`` with ``digits`` significant digits: ``1.46×10⁻¹³`` (``trim``: ``10⁻⁴`` for 1e-4)."""
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10.0**exponent
    if abs(float(_round(mantissa, digits))) >= 10:
        exponent, mantissa = exponent + 1, mantissa / 10
    text = _round(mantissa, digits)
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    power = f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return power if trim and text == "1" else f"{text}×{power}"


def format_value(value: Any, unit: str = "", *, digits: int = DIGITS, factor: float = 1.0, trim: bool = False) -> str:
    """A value with ``digits`` significant digits and its unit, in engineering form.

    Args:
        value: a number (in the column's unit), a boolean, None or NaN (printed "–").
        unit: the base unit (see the module's docstring).
        digits: significant digits.
        factor: what one of ``value`` is in the base unit (1e-3 for a column in ms).
        trim: drop trailing zeros (for a parameter's value, which is exact: ``1 Gbit/s``, not ``1.00``).

    Examples:
        >>> format_value(0.08348, "s")
        '83.5 ms'
        >>> format_value(4.768e9, "bytes")
        '4.44 GiB'
        >>> format_value(1024, "bytes")
        '1.00 KiB'
        >>> format_value(115501.0)
        '116 k'
        >>> format_value(3)
        '3'
        >>> format_value(3.0)
        '3.00'
        >>> format_value(1.46e-15, "%")
        '1.46×10⁻¹³%'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, (int, float)):
        return str(value)
    number = float(value) * factor
    if number == 0:
        return f"0 {_scale(1.0, unit)[1]}".rstrip() if unit not in ("", "%") else ("0" if unit == "" else "0%")
    # The prefix from the value itself, then one up if rounding reaches it: 0.99999 s is "1.00 s", not
    # "1000 ms". Taking it from the value rounded in the base unit instead printed 1024 B as "1020 B"
    # (1024 rounds to 1020, below 1 KiB).
    scale, shown = _scale(abs(number), unit)
    rounded = abs(float(_round(number / scale, digits))) * scale
    if rounded > abs(number):
        up = _scale(rounded, unit)
        if up[0] > scale:
            scale, shown = up
    text = _round(number / scale, digits)
    if abs(number / scale) < _TINY:
        text = _power_of_ten(number / scale, digits, trim)  # 1.46×10⁻¹³, not 0.000000000000146
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool) and scale == 1.0 and unit == "" and factor == 1.0:
        text = str(value)  # a whole count below 10,000 stays whole
    if not shown:
        return text
    return f"{text}{shown}" if shown == "%" else f"{text} {shown}"


def with_spread(mean: float, half: float | None, unit: str = "", *, factor: float = 1.0) -> str:
    """``mean ± half`` (the half-width of a confidence interval), the ± only where there is spread.

    Identical trials give a half-width of rounding noise (e.g. 6e-16): that is no interval.

    Examples:
        >>> with_spread(0.08348, 2.612e-4, "s")
        '83.5 ms ± 0.26 ms'
        >>> with_spread(34.36, 0.0, "s")
        '34.4 s'
    """
    text = format_value(mean, unit, factor=factor)
    if half is None or not math.isfinite(half) or half <= 1e-9 * abs(mean) or half == 0:
        return text
    scale, shown = _scale(abs(mean * factor), unit)
    if unit and unit != "%" and mean != 0 and half * factor / scale >= 1e-3:
        # In the mean's own unit where that stays short: "83.5 ms ± 0.26 ms", not "± 260 µs".
        return f"{text} ± {_round(half * factor / scale, 2)} {shown}"
    return f"{text} ± {format_value(half, unit, digits=2, factor=factor)}"


def axis_unit(values: list[float], unit: str) -> tuple[float, str]:
    """For a linear axis: the divisor of its values and the unit of its label, chosen from the largest.

    Examples:
        >>> axis_unit([1.5e9, 4.3e9], "bytes")
        (1073741824.0, 'GiB')
    """
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return 1.0, unit
    scale, shown = _scale(max(finite), unit)
    return scale, shown


def param_label(column: str) -> str:
    """A config column in words: ``world.link.bandwidth_mbit_s`` → ``link bandwidth``."""
    parts = [p for p in column.split(".") if p != "world"]
    words = quantity(parts[-1]).label if parts else column
    if len(parts) > 1 and not column.endswith(".preset"):
        return f"{parts[-2].replace('_', ' ')} {words}"
    if column.endswith(".preset") and len(parts) > 1:
        return parts[-2].replace("_", " ")
    return words


def param_value(column: str, value: Any) -> str:
    """A config value with its unit: ``bandwidth_mbit_s`` 1000.0 → ``1 Gbit/s``; a name stays as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–" if value is None else str(value)
    q = quantity(column.rsplit(".", 1)[-1])
    if not q.unit:
        return format_value(value, digits=6, trim=True) if isinstance(value, float) else str(value)
    return format_value(value, q.unit, digits=4, factor=q.factor, trim=True)


def param_title(column: str, value: Any) -> str:
    """A panel title as a person writes it: ``world.link.bandwidth_mbit_s=1000.0`` → ``1 Gbit/s link``.

    A quantity with a unit under a named part of the world is titled by its value and that part; one
    without a unit by its words and value; a name (a component, a preset, a shape) by itself.

    Examples:
        >>> param_title("world.link.bandwidth_mbit_s", 1000.0)
        '1 Gbit/s link'
        >>> param_title("world.size", 10000)
        'size 10000'
    """
    parts = [p for p in column.split(".") if p != "world"]
    q = quantity(parts[-1] if parts else column)
    shown = param_value(column, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if q.unit and len(parts) > 1:
            return f"{shown} {parts[-2].replace('_', ' ')}"
        return f"{param_label(column)} {shown}"
    return shown if "." not in column or column.endswith(".preset") else f"{param_label(column)}: {shown}"


def counted(n: int, noun: str) -> str:
    """``n`` things in words: grouped by thousands, the noun singular for one.

    Examples:
        >>> counted(1, "case"), counted(10_000, "earlier case run")
        ('1 case', '10,000 earlier case runs')
    """
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
