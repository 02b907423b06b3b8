"""A workload that replays a recorded trace of page accesses.

Format (CSV, UTF-8, with or without a byte-order mark): lines starting with ``#`` are comments and blank
lines are skipped; the first other line is the header ``time_s,page,op``; then one access per line::

    # a guest writing page 7 twice and reading page 3
    time_s,page,op
    0.000,7,w
    0.001,3,r
    0.250,7,w

- ``time_s``: guest time of the access in seconds, a finite number >= 0, nondecreasing down the file;
- ``page``: the page index, a decimal integer from 0 to (memory pages - 1) of the world's VM (and in any
  case below 2**63);
- ``op``: ``r`` or ``w`` (``read``/``write`` and upper case are accepted too).

A trace holds at least one access. A Parquet file with the same three columns (``time_s`` float, ``page``
integer, ``op`` string) works too; its "line" in error messages is the row number + 2 (as if it had a
header line).

``path`` is declared an input file (``param(..., file=True)``): the case id includes the SHA-256 of the
file's content, so editing a trace makes its cases run again rather than be skipped, and provenance.json
records the file's absolute path and hash. A relative path is taken from the working directory of the
command (not the experiment folder).

The file is read and checked when the workload is created (before the migration runs); a missing or
malformed file raises :class:`distlab.errors.AccessLogError` naming the file and the line. Page indices
are checked against the VM's memory when the trial starts. ``data/example_trace.csv`` in this package
(used when ``path`` is empty) is a 2-second trace over the first 4096 pages (fits a 16 MiB VM).

With ``loop``, the trace repeats every ``period_s``: the k-th replay of an access at ``time_s`` t happens at
``t + k * period_s``. By default the period is the last ``time_s`` plus the mean gap between consecutive
distinct times, so the accesses at the last time are replayed too and the next replay starts one
typical gap later, as if the recording had gone on.
"""

from __future__ import annotations

import csv
import math
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from distlab import ParameterError
from distlab.migration import AccessLogError
from distlab import input_path

if TYPE_CHECKING:
    from distlab.migration import Guest

    from distlab_migration.workloads.params import TraceParams

__all__ = ["EXAMPLE_TRACE", "Trace", "load_trace"]

EXAMPLE_TRACE = "example_trace.csv"
_OPS = {"r": True, "read": True, "w": False, "write": False}
_HEADER = ["time_s", "page", "op"]
# A decimal integer (int() alone would also take "1_000", "+7" and non-ASCII digits), below the int64
# limit because the engine holds pages as int64.
_PAGE = re.compile(r"-?[0-9]+")
_PAGE_LIMIT = 2**63


def load_trace(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read and check a trace file.

    Returns:
        (times, pages, is_read, line numbers).

    Raises:
        AccessLogError: naming the file and the line.
    """
    if not path.is_file():
        raise AccessLogError(f"{path}: trace file not found")
    if path.suffix.lower() == ".parquet":
        return _load_parquet(path)
    times: list[float] = []
    pages: list[int] = []
    reads: list[bool] = []
    lines: list[int] = []
    header_seen = False
    last = 0.0
    lineno = 1
    try:
        # utf-8-sig: spreadsheet programs start a CSV with a byte-order mark, which would stick to "time_s".
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            try:
                for row in reader:
                    # The reader's own count, so that a quoted field spanning lines does not shift the numbers.
                    lineno = reader.line_num
                    if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                        continue
                    cells = [c.strip() for c in row]
                    if not header_seen:
                        if cells != _HEADER:
                            raise AccessLogError(
                                f"{path}:{lineno}: expected the header 'time_s,page,op', got {','.join(row)!r}"
                            )
                        header_seen = True
                        continue
                    if len(cells) != 3:
                        raise AccessLogError(f"{path}:{lineno}: expected 3 fields (time_s,page,op), got {len(cells)}")
                    t = _time(path, lineno, cells[0], last)
                    page = _page(path, lineno, cells[1])
                    op = cells[2].lower()
                    if op not in _OPS:
                        raise AccessLogError(f"{path}:{lineno}: op must be 'r' or 'w', got {cells[2]!r}")
                    times.append(t)
                    pages.append(page)
                    reads.append(_OPS[op])
                    lines.append(lineno)
                    last = t
            except csv.Error as err:  # e.g. a field longer than the csv module allows
                raise AccessLogError(f"{path}:{reader.line_num}: not a CSV line ({err})") from None
    except UnicodeDecodeError as err:
        raise AccessLogError(f"{path}: not a UTF-8 text trace ({err})") from None
    except OSError as err:
        raise AccessLogError(f"{path}: cannot read the trace file ({err.strerror or err})") from None
    if not header_seen:
        raise AccessLogError(f"{path}:1: empty trace; expected the header 'time_s,page,op'")
    if not times:
        raise AccessLogError(f"{path}:{lineno}: no access after the header (for a guest that touches nothing, "
                               "use workload=idle)")
    return np.array(times, dtype=np.float64), np.array(pages, dtype=np.int64), np.array(reads, dtype=bool), np.array(lines, dtype=np.int64)


def _time(path: Path, lineno: int, text: str, last: float) -> float:
    try:
        t = float(text)
    except ValueError:
        raise AccessLogError(f"{path}:{lineno}: time_s must be a number, got {text!r}") from None
    if not math.isfinite(t) or t < 0:
        raise AccessLogError(f"{path}:{lineno}: time_s must be finite and >= 0, got {text!r}")
    if t < last:
        raise AccessLogError(f"{path}:{lineno}: time_s goes backwards ({t} after {last})")
    return t


def _page(path: Path, lineno: int, text: str) -> int:
    allowed = "an integer >= 0 and < 2**63 (and below the VM's page count)"
    if not _PAGE.fullmatch(text):
        raise AccessLogError(f"{path}:{lineno}: page must be {allowed}, got {text!r}")
    page = int(text)
    if not 0 <= page < _PAGE_LIMIT:
        raise AccessLogError(f"{path}:{lineno}: page must be {allowed}, got {page}")
    return page


def _load_parquet(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    import polars as pl

    try:
        frame = pl.read_parquet(path)
    except Exception as err:
        raise AccessLogError(f"{path}: not a readable Parquet file ({err})") from None
    missing = [c for c in _HEADER if c not in frame.columns]
    if missing:
        raise AccessLogError(f"{path}:1: missing columns {missing}; expected time_s, page, op")
    times: list[float] = []
    pages: list[int] = []
    reads: list[bool] = []
    last = 0.0
    for i, (t, page, op) in enumerate(frame.select(_HEADER).iter_rows()):
        lineno = i + 2
        t = _time(path, lineno, str(t), last)
        page = _page(path, lineno, str(page).strip())
        key = str(op).strip().lower()
        if key not in _OPS:
            raise AccessLogError(f"{path}:{lineno}: op must be 'r' or 'w', got {op!r}")
        times.append(t)
        pages.append(page)
        reads.append(_OPS[key])
        last = t
    if not times:
        raise AccessLogError(f"{path}:2: no access in the file (for a guest that touches nothing, use workload=idle)")
    lines = np.arange(2, len(times) + 2, dtype=np.int64)
    return np.array(times, dtype=np.float64), np.array(pages, dtype=np.int64), np.array(reads, dtype=bool), lines


class Trace:
    """Replays a trace file (see the module docstring for its format and how a loop repeats it)."""

    def __init__(self, params: TraceParams) -> None:
        self.params = params
        if params.path:
            # As the case id resolves it (relative to the working directory), so it hashes this file.
            self.path = input_path(params.path)
        else:
            self.path = Path(str(resources.files("distlab_migration").joinpath("data", EXAMPLE_TRACE)))
        times, self.pages, self.is_read, self.lines = load_trace(self.path)
        self.times = times * params.time_scale
        if not np.isfinite(self.times[-1]):
            raise ParameterError("workload.time_scale", params.time_scale,
                                 f"a factor that keeps the last time_s ({times[-1]:g}) finite")
        self.period = _period(self.path, times, params) * params.time_scale if params.loop else math.inf

    def start(self, guest: Guest) -> None:
        """Check that every page of the trace fits the VM."""
        bad = np.flatnonzero(self.pages >= guest.pages)
        if bad.size:
            i = int(bad[0])
            raise AccessLogError(
                f"{self.path}:{self.lines[i]}: page {self.pages[i]} is beyond the VM's memory "
                f"({guest.pages} pages of {guest.page_size_bytes} bytes)"
            )

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        """Issue the trace's accesses (and, with ``loop``, their repeats) in guest time [t0, t1)."""
        if not self.params.loop:
            self._replay(guest, t0, t1, 0.0)
            return
        # A repeat's accesses are picked by trace time, ``t0 - base <= time_s < t1 - base``: consecutive
        # intervals cut every repeat at the same points, so no access is lost or replayed twice at a
        # boundary. One more repeat on either side covers floor()'s rounding there.
        first = max(0, math.floor(t0 / self.period) - 1)
        for cycle in range(first, math.floor(t1 / self.period) + 2):
            self._replay(guest, t0, t1, cycle * self.period)

    def _replay(self, guest: Guest, t0: float, t1: float, base: float) -> None:
        lo = int(np.searchsorted(self.times, t0 - base, side="left"))
        hi = int(np.searchsorted(self.times, t1 - base, side="left"))
        if hi > lo:
            guest.accesses(self.pages[lo:hi], self.times[lo:hi] + base, read=self.is_read[lo:hi])


def _period(path: Path, times: np.ndarray, params: TraceParams) -> float:
    """The loop period in the trace's own seconds (before ``time_scale``)."""
    last = float(times[-1])
    if params.period_s is not None:
        if params.period_s <= last:
            raise ParameterError("workload.period_s", params.period_s,
                                 f"a period longer than the trace's last time_s ({last:g} s in {path}), "
                                 "or null for the last time_s plus the mean gap")
        return float(params.period_s)
    distinct = np.unique(times)
    if distinct.size < 2:
        raise ParameterError("workload.period_s", None,
                             f"a period > {last:g} s: every access of {path} has the same time_s, "
                             "so loop=true has no gap to infer a period from")
    return last + float(distinct[-1] - distinct[0]) / (distinct.size - 1)
