"""A workload that replays a recorded access log: the guest's page accesses, one per line.

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

An access log holds at least one access and at most :data:`MAX_ACCESSES` (2**24, about 16.8 million), in a
regular file of at most :data:`MAX_ACCESS_LOG_BYTES` (1 GiB); a device, a pipe or a larger file is refused
before anything is read. A Parquet file with the same three columns (``time_s`` float, ``page`` integer,
``op`` string) works too; its "line" in error messages is the row number + 2 (as if it had a header line).

``path`` is declared an input file (``param(..., file=True)``): the case id includes the SHA-256 of the
file's content, so editing an access log makes its cases run again rather than be skipped, and
provenance.json records the file's absolute path and hash. A relative path is taken from the working
directory of the command (not the experiment folder).

The file is read and checked when the workload is created (before the migration runs); a missing or
malformed file raises :class:`distlab.migration.AccessLogError` naming the file and the line. A process
parses a given file content once: preflight and every trial of the case then share the parsed log
(:func:`load_access_log` keeps the last few by path and SHA-256). Page indices are checked against the
VM's memory when the trial starts (and by preflight, without allocating the VM).
``data/example_access_log.csv`` in this package (used when ``path`` is empty) is a 2-second log over
the first 4096 pages (fits a 16 MiB VM).

With ``loop``, the log repeats every ``period_s``: the k-th replay of an access at ``time_s`` t happens at
``t + k * period_s``. By default the period is the last ``time_s`` plus the mean gap between consecutive
distinct times, so the accesses at the last time are replayed too and the next replay starts one
typical gap later, as if the recording had gone on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import re
import stat
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

import numpy as np

from distlab import ParameterError, input_path
from distlab.migration import AccessLogError

if TYPE_CHECKING:
    from distlab.migration import Guest

    from distlab_migration.workloads.params import ReplayParams

__all__ = ["EXAMPLE_ACCESS_LOG", "MAX_ACCESSES", "MAX_ACCESS_LOG_BYTES", "AccessLog", "Replay", "load_access_log"]

EXAMPLE_ACCESS_LOG = "example_access_log.csv"
MAX_ACCESS_LOG_BYTES = 1 << 30
"""The largest access log file read (1 GiB): a bound on the time and memory parsing may take."""
MAX_ACCESSES = 1 << 24
"""The most accesses an access log may hold (16,777,216). CSV parsing ran at about 1.4 s per million rows
on the reference machine (so about 25 s at the limit), holding 25 bytes per row while it reads and twice
that while it converts to arrays (under 1 GB at the limit)."""

_OPS = {"r": True, "read": True, "w": False, "write": False}
_HEADER = ["time_s", "page", "op"]
# A decimal integer (int() alone would also take "1_000", "+7" and non-ASCII digits), below the int64
# limit because the engine holds pages as int64.
_PAGE = re.compile(r"-?[0-9]+")
_PAGE_LIMIT = 2**63
_MIN_PERIOD_S = 1e-6
# Parsed logs by (resolved path, SHA-256): a case parses its log in preflight and in each trial, all in
# one process under the basic launcher. A few entries, so that a sweep over logs does not hoard memory.
_PARSED: OrderedDict[tuple[str, str], AccessLog] = OrderedDict()
_PARSED_MAX = 4


class AccessLog(NamedTuple):
    """A parsed access log, in file order. Shared between the workloads that replay it: never modify.

    Attributes:
        times: ``time_s`` of each access (float64).
        pages: page index of each access (int64).
        is_read: whether each access is a read (bool).
        lines: the file line of each access, for error messages (int64).
    """

    times: np.ndarray
    pages: np.ndarray
    is_read: np.ndarray
    lines: np.ndarray


def load_access_log(path: Path) -> AccessLog:
    """Read and check an access log file, or return the one parsed earlier from the same content.

    Args:
        path: a ``.csv`` or ``.parquet`` file in the format of this module's docstring.

    Returns:
        The accesses.

    Raises:
        AccessLogError: naming the file (and the line, for a bad row), including for a file that is not
            a regular file or is larger than :data:`MAX_ACCESS_LOG_BYTES`.
    """
    try:
        # Before opening: opening a named pipe waits for a writer, and /dev/zero would be read forever.
        _regular(path, os.stat(path))
        fh = path.open("rb")
    except FileNotFoundError:
        raise AccessLogError(f"{path}: access log file not found") from None
    except OSError as err:
        raise AccessLogError(f"{path}: cannot read the access log file ({err.strerror or err})") from None
    with fh:
        st = os.fstat(fh.fileno())
        _regular(path, st)  # again on the file opened, in case the path was replaced meanwhile
        if st.st_size > MAX_ACCESS_LOG_BYTES:
            raise AccessLogError(f"{path}: {st.st_size} bytes; an access log may have at most "
                                 f"{MAX_ACCESS_LOG_BYTES} bytes (1 GiB) and {MAX_ACCESSES} accesses")
        try:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
            key = (str(path.resolve()), digest)
            if key in _PARSED:
                _PARSED.move_to_end(key)
                return _PARSED[key]
            fh.seek(0)
            log = _load_parquet(path, fh) if path.suffix.lower() == ".parquet" else _load_csv(path, fh)
        except OSError as err:
            raise AccessLogError(f"{path}: cannot read the access log file ({err.strerror or err})") from None
    _PARSED[key] = log
    while len(_PARSED) > _PARSED_MAX:
        _PARSED.popitem(last=False)
    return log


def _regular(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise AccessLogError(f"{path}: not a regular file; an access log is a .csv or .parquet file")


def _load_csv(path: Path, fh: IO[bytes]) -> AccessLog:
    # array rather than list: 8 bytes per value instead of a Python object each (a 16M-row log in lists
    # would take about 2 GB while parsing).
    times, pages, lines = array("d"), array("q"), array("q")
    reads = bytearray()
    header_seen = False
    last = 0.0
    lineno = 1
    # utf-8-sig: spreadsheet programs start a CSV with a byte-order mark, which would stick to "time_s".
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
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
                if len(times) >= MAX_ACCESSES:
                    raise AccessLogError(f"{path}:{lineno}: more than {MAX_ACCESSES} accesses; an access log "
                                         f"may hold at most {MAX_ACCESSES}")
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
        raise AccessLogError(f"{path}: not a UTF-8 text access log ({err})") from None
    finally:
        text.detach()  # the caller closes the file
    if not header_seen:
        raise AccessLogError(f"{path}:1: empty access log; expected the header 'time_s,page,op'")
    if not times:
        raise AccessLogError(f"{path}:{lineno}: no access after the header (for a guest that touches nothing, "
                             "use workload=idle)")
    return _arrays(times, pages, reads, lines)


def _arrays(times: Iterable[float], pages: Iterable[int], reads: bytearray, lines: Iterable[int]) -> AccessLog:
    return AccessLog(
        np.array(times, dtype=np.float64),
        np.array(pages, dtype=np.int64),
        np.frombuffer(reads, dtype=np.uint8).astype(bool),
        np.array(lines, dtype=np.int64),
    )


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


def _load_parquet(path: Path, fh: IO[bytes]) -> AccessLog:
    import polars as pl

    try:
        # The row count from the footer first: a small file may decompress into many rows.
        rows = pl.scan_parquet(path).select(pl.len()).collect().item()
        if rows > MAX_ACCESSES:
            raise AccessLogError(f"{path}: {rows} rows; an access log may hold at most {MAX_ACCESSES} accesses")
        frame = pl.read_parquet(fh)
    except AccessLogError:
        raise
    except Exception as err:
        raise AccessLogError(f"{path}: not a readable Parquet file ({err})") from None
    missing = [c for c in _HEADER if c not in frame.columns]
    if missing:
        raise AccessLogError(f"{path}:1: missing columns {missing}; expected time_s, page, op")
    times, pages = array("d"), array("q")
    reads = bytearray()
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
    return _arrays(times, pages, reads, range(2, len(times) + 2))


class Replay:
    """Replays an access log (see the module docstring for its format and how a loop repeats it)."""

    def __init__(self, params: ReplayParams) -> None:
        self.params = params
        if params.path:
            # As the case id resolves it (relative to the working directory), so it hashes this file.
            self.path = input_path(params.path)
        else:
            self.path = Path(str(resources.files("distlab_migration").joinpath("data", EXAMPLE_ACCESS_LOG)))
        log = load_access_log(self.path)
        times, self.pages, self.is_read, self.lines = log
        self.times = times * params.time_scale
        if not np.isfinite(self.times[-1]):
            raise ParameterError("workload.time_scale", params.time_scale,
                                 f"a factor that keeps the last time_s ({times[-1]:g}) finite")
        self.period = _period(self.path, times, params) * params.time_scale if params.loop else math.inf
        if self.period < _MIN_PERIOD_S:
            # Each replay of the loop is issued separately, so a period of 1e-300 s would never end an interval.
            raise ParameterError("workload.time_scale", params.time_scale,
                                 f"a factor that keeps the loop period ({self.period:g} s) at least "
                                 f"{_MIN_PERIOD_S:g} s of guest time")

    def start(self, guest: Guest) -> None:
        """Check that every page of the access log fits the VM."""
        bad = np.flatnonzero(self.pages >= guest.pages)
        if bad.size:
            i = int(bad[0])
            raise AccessLogError(
                f"{self.path}:{self.lines[i]}: page {self.pages[i]} is beyond the VM's memory "
                f"({guest.pages} pages of {guest.page_size_bytes} bytes)"
            )

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        """Issue the log's accesses (and, with ``loop``, their repeats) in guest time [t0, t1)."""
        if not self.params.loop:
            self._replay(guest, t0, t1, 0.0)
            return
        # A repeat's accesses are picked by log time, ``t0 - base <= time_s < t1 - base``: consecutive
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


def _period(path: Path, times: np.ndarray, params: ReplayParams) -> float:
    """The loop period in the log's own seconds (before ``time_scale``)."""
    last = float(times[-1])
    if params.period_s is not None:
        if params.period_s <= last:
            raise ParameterError("workload.period_s", params.period_s,
                                 f"a period longer than the access log's last time_s ({last:g} s in {path}), "
                                 "or null for the last time_s plus the mean gap")
        return float(params.period_s)
    distinct = np.unique(times)
    if distinct.size < 2:
        raise ParameterError("workload.period_s", None,
                             f"a period > {last:g} s: every access of {path} has the same time_s, "
                             "so loop=true has no gap to infer a period from")
    return last + float(distinct[-1] - distinct[0]) / (distinct.size - 1)
