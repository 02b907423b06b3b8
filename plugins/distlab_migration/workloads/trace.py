"""A workload that replays a recorded trace of page accesses.

Format (CSV, UTF-8): lines starting with ``#`` are comments and blank lines are skipped; the first other
line is the header ``time_s,page,op``; then one access per line::

    # a guest writing page 7 twice and reading page 3
    time_s,page,op
    0.000,7,w
    0.001,3,r
    0.250,7,w

- ``time_s``: guest time of the access in seconds, a finite number >= 0, nondecreasing down the file;
- ``page``: the page index, an integer from 0 to (memory pages - 1) of the world's VM;
- ``op``: ``r`` or ``w`` (``read``/``write`` and upper case are accepted too).

A Parquet file with the same three columns (``time_s`` float, ``page`` integer, ``op`` string) works too;
its "line" in error messages is the row number + 2 (as if it had a header line).

The file is read and checked when the workload is created (before the migration runs); a missing or
malformed file raises :class:`distlab.errors.TraceFormatError` naming the file and the line. Page indices
are checked against the VM's memory when the trial starts. ``data/example_trace.csv`` in this package
(used when ``path`` is empty) is a 2-second trace over the first 4096 pages (fits a 16 MiB VM).
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from distlab.errors import TraceFormatError

if TYPE_CHECKING:
    from distlab.migration.guest import Guest

    from distlab_migration.workloads.params import TraceParams

__all__ = ["EXAMPLE_TRACE", "Trace", "load_trace"]

EXAMPLE_TRACE = "example_trace.csv"
_OPS = {"r": True, "read": True, "w": False, "write": False}
_HEADER = ["time_s", "page", "op"]


def load_trace(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read and check a trace file.

    Returns:
        (times, pages, is_read, line numbers).

    Raises:
        TraceFormatError: naming the file and the line.
    """
    if not path.is_file():
        raise TraceFormatError(f"{path}: trace file not found")
    if path.suffix.lower() == ".parquet":
        return _load_parquet(path)
    times: list[float] = []
    pages: list[int] = []
    reads: list[bool] = []
    lines: list[int] = []
    header_seen = False
    last = 0.0
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for lineno, row in enumerate(csv.reader(fh), start=1):
                if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                    continue
                cells = [c.strip() for c in row]
                if not header_seen:
                    if cells != _HEADER:
                        raise TraceFormatError(f"{path}:{lineno}: expected the header 'time_s,page,op', got {','.join(row)!r}")
                    header_seen = True
                    continue
                if len(cells) != 3:
                    raise TraceFormatError(f"{path}:{lineno}: expected 3 fields (time_s,page,op), got {len(cells)}")
                t = _time(path, lineno, cells[0], last)
                page = _page(path, lineno, cells[1])
                op = cells[2].lower()
                if op not in _OPS:
                    raise TraceFormatError(f"{path}:{lineno}: op must be 'r' or 'w', got {cells[2]!r}")
                times.append(t)
                pages.append(page)
                reads.append(_OPS[op])
                lines.append(lineno)
                last = t
    except UnicodeDecodeError as err:
        raise TraceFormatError(f"{path}: not a UTF-8 text trace ({err})") from None
    if not header_seen:
        raise TraceFormatError(f"{path}:1: empty trace; expected the header 'time_s,page,op'")
    return np.array(times, dtype=np.float64), np.array(pages, dtype=np.int64), np.array(reads, dtype=bool), np.array(lines, dtype=np.int64)


def _time(path: Path, lineno: int, text: str, last: float) -> float:
    try:
        t = float(text)
    except ValueError:
        raise TraceFormatError(f"{path}:{lineno}: time_s must be a number, got {text!r}") from None
    if not math.isfinite(t) or t < 0:
        raise TraceFormatError(f"{path}:{lineno}: time_s must be finite and >= 0, got {text!r}")
    if t < last:
        raise TraceFormatError(f"{path}:{lineno}: time_s goes backwards ({t} after {last})")
    return t


def _page(path: Path, lineno: int, text: str) -> int:
    try:
        page = int(text)
    except ValueError:
        raise TraceFormatError(f"{path}:{lineno}: page must be an integer, got {text!r}") from None
    if page < 0:
        raise TraceFormatError(f"{path}:{lineno}: page must be >= 0, got {page}")
    return page


def _load_parquet(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    import polars as pl

    try:
        frame = pl.read_parquet(path)
    except Exception as err:
        raise TraceFormatError(f"{path}: not a readable Parquet file ({err})") from None
    missing = [c for c in _HEADER if c not in frame.columns]
    if missing:
        raise TraceFormatError(f"{path}:1: missing columns {missing}; expected time_s, page, op")
    times: list[float] = []
    pages: list[int] = []
    reads: list[bool] = []
    last = 0.0
    for i, (t, page, op) in enumerate(frame.select(_HEADER).iter_rows()):
        lineno = i + 2
        t = _time(path, lineno, str(t), last)
        page = _page(path, lineno, str(page))
        key = str(op).strip().lower()
        if key not in _OPS:
            raise TraceFormatError(f"{path}:{lineno}: op must be 'r' or 'w', got {op!r}")
        times.append(t)
        pages.append(page)
        reads.append(_OPS[key])
        last = t
    lines = np.arange(2, len(times) + 2, dtype=np.int64)
    return np.array(times, dtype=np.float64), np.array(pages, dtype=np.int64), np.array(reads, dtype=bool), lines


class Trace:
    """Replays a trace file (see the module docstring for its format)."""

    def __init__(self, params: TraceParams) -> None:
        self.params = params
        if params.path:
            self.path = Path(params.path).expanduser()
        else:
            self.path = Path(str(resources.files("distlab_migration").joinpath("data", EXAMPLE_TRACE)))
        times, self.pages, self.is_read, self.lines = load_trace(self.path)
        self.times = times * params.time_scale
        self.period = float(self.times[-1]) if len(self.times) else 0.0
        if params.loop and self.period <= 0:
            raise TraceFormatError(f"{self.path}: loop=true needs a trace whose last time_s is > 0")

    def start(self, guest: Guest) -> None:
        bad = np.flatnonzero(self.pages >= guest.pages)
        if bad.size:
            i = int(bad[0])
            raise TraceFormatError(
                f"{self.path}:{self.lines[i]}: page {self.pages[i]} is beyond the VM's memory "
                f"({guest.pages} pages of {guest.page_size_bytes} bytes)"
            )

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        if not len(self.times):
            return
        if not self.params.loop:
            self._replay(guest, t0, t1, 0.0)
            return
        for cycle in range(math.floor(t0 / self.period), math.floor(t1 / self.period) + 1):
            base = cycle * self.period
            # Each cycle covers [base, base + period); the access at exactly `period` is the next cycle's.
            self._replay(guest, max(t0, base), min(t1, base + self.period), base, drop_end=True)

    def _replay(self, guest: Guest, t0: float, t1: float, base: float, drop_end: bool = False) -> None:
        lo = int(np.searchsorted(self.times, t0 - base, side="left"))
        hi = int(np.searchsorted(self.times, t1 - base, side="left"))
        if drop_end:
            hi = min(hi, int(np.searchsorted(self.times, self.period, side="left")))
        if hi > lo:
            guest.accesses(self.pages[lo:hi], self.times[lo:hi] + base, read=self.is_read[lo:hi])
