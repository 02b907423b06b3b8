"""The report's numbers with units: significant digits, and the prefix that the rounded value calls for."""

from __future__ import annotations

import doctest

import pytest

from distlab.report import units
from distlab.report.units import format_value


def test_the_module_examples_hold() -> None:
    failed, tried = doctest.testmod(units, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failed == 0


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (1024, "bytes", "1.00 KiB"),  # printed "1020 B" once: the prefix came from 1024 rounded to 1020
    (2**20, "bytes", "1.00 MiB"),
    (1023, "bytes", "1020 B"),
    (1536, "bytes", "1.50 KiB"),
    (0.99999, "s", "1.00 s"),  # rounding reaches the next prefix: one up
    (0.0009999, "s", "1.00 ms"),
    (9999.6, "", "10.0 k"),
    (999_999, "bit/s", "1.00 Mbit/s"),
    (0.08348, "s", "83.5 ms"),
])
def test_a_value_takes_the_prefix_of_its_rounded_self(value: float, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


def test_a_log_axis_tick_at_a_power_of_two_bytes_reads_whole() -> None:
    assert format_value(1024.0, "bytes", trim=True) == "1 KiB"
    assert format_value(2.0**30, "bytes", trim=True) == "1 GiB"
