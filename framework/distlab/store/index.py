"""The sweep's row index: every committed case's rows, gathered in a few files, so a report reads a few files.

Reading 100,000 small results files costs about 0.2 ms each however they are read (one lazy Polars
scan, or decoding each from its bytes: measured, issue 15), so a report of 100,000 cases would spend
most of its 20 seconds there. So when a case is committed, its rows also go into
``<root>/.distlab/index/``: first as a segment of their own, and once 64 segments of one schema (one
set of columns and types) have gathered, merged into one, and 64 of those again into one (at most
three levels: a merge never holds the sweep lock for more than 64 x 64 cases' rows).

The index is a cache, never the record: every segment row carries the case directory's name and
the SHA-256 of the results file it was decoded from, and the report takes a case's rows from the
index only where that hash is the one the case's provenance records and the file on disk still
has (it checks every file, as before). A case committed by a process killed before its segment was
written, swapped by a later re-run, or whose segment cannot be read, is read from its own files.
Segments are written under a temporary name (``.<segment name>...tmp``) and renamed into place, so a
segment is whole or absent; a merge killed between writing its result and removing its inputs leaves
rows twice, which the reader counts once. A temporary left by a process killed before its rename is
removed by a later merge: a merged segment's at once (only a merge writes one, under the sweep lock
the cleaning merge holds), a case's own one once its inode has not changed for an hour (it is written
without the lock, and held for well under a second).

A case has one own segment: writing it removes any other of the same case directory (an earlier run's
rows, whose replaced results file the segment's hard link would keep on disk), and a merge leaves out
and removes a case's own segment whose bytes are not the case's results file now, so a re-run case's
old rows never enter a merged segment.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

from distlab.store.lock import STATE_DIR, sweep_lock

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CASE_DIR_COLUMN", "FANOUT", "INDEX_DIR", "SHA256_COLUMN", "index_case", "read_index"]

INDEX_DIR = "index"
"""The index's folder, in ``<root>/.distlab/``."""
CASE_DIR_COLUMN = "__distlab_case_dir"
"""The segment column naming the case directory (``case-<id>``) a row belongs to."""
SHA256_COLUMN = "__distlab_results_sha256"
"""The segment column holding the SHA-256 of the results file the row was decoded from."""
FANOUT = 64
"""How many segments of one schema and level are merged into one of the next level."""
_TOP_LEVEL = 2
# A case's own segment: its results file itself (a hard link, else a copy), named for the schema key,
# the SHA-256 and the case directory; a merged one: level, schema key, writer's pid and a random token.
_CASE_SEGMENT = re.compile(r"0-([0-9a-f]{16})-([0-9a-f]{64})-(.+)\.parquet")
_MERGED = re.compile(r"[1-9]-([0-9a-f]{16})-[0-9a-f]+-[0-9a-f]+\.parquet")
# Their temporaries (see index_case and _write): a dot, the segment's name, a token for a case's own.
_CASE_TEMPORARY = re.compile(r"\.0-[0-9a-f]{16}-[0-9a-f]{64}-.+\.parquet\.[0-9a-f]{12}\.tmp")
_MERGED_TEMPORARY = re.compile(r"\.[1-9]-[0-9a-f]{16}-[0-9a-f]+-[0-9a-f]+\.parquet\.tmp")
# A case's own temporary is abandoned once its inode has not changed for this long (seconds). Its writer
# holds it from os.link (or the copy) to os.replace, well under a second, so an hour leaves a margin of
# thousands for a stopped or starved process; one stopped even longer only fails its rename, and that
# case is read from its files. The age is the inode's change time, not its modification time: a hard
# link shares its results file's mtime (the case's, possibly days old), while making the link sets the
# ctime to now, and anything later (a write, another link) only sets it later still, so the age read is
# never more than the temporary's own. (POSIX ctime semantics, as on Linux and macOS, the platforms the
# store's flock supports.)
_ABANDONED_AFTER = 3600.0
_clock = time.time  # the wall clock ctimes are compared with (tests move it on)


def schema_key(columns: dict[str, str]) -> str:
    """16 hex digits naming a results file's columns and types, in order (``{column: dtype}`` as recorded)."""
    return hashlib.sha256(json.dumps(list(columns.items())).encode()).hexdigest()[:16]


def _write(folder: Path, level: int, key: str, frame: pl.DataFrame) -> None:
    """Write a merged segment under a temporary name and rename it into place (no fsync: a cache)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, statistics=False)
    path = folder / f"{level}-{key}-{os.getpid():x}-{secrets.token_hex(6)}.parquet"
    tmp = folder / f".{path.name}.tmp"
    try:
        with open(tmp, "xb") as handle:
            handle.write(buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def index_case(root: Path, case_dir: Path, sha256: str, columns: dict[str, str]) -> None:
    """Add a committed case's rows to the index of the run or sweep directory ``root``.

    Call it once the case is in place, without holding the sweep lock (a merge takes it). The case's
    own segment is a hard link to its results file (a copy where links are refused): no decoding at
    commit time but in a merge, 64 files in one scan. A failure here loses nothing but speed: the
    report reads a case the index lacks from its files.

    Args:
        root: the run or sweep directory.
        case_dir: the case directory, directly under ``root``, holding results.parquet.
        sha256: the results file's SHA-256, as its provenance records it.
        columns: its columns, as its provenance records them (see :func:`distlab.store.parquet_columns`).

    Raises:
        OSError: the index cannot be written.
    """
    key = schema_key(columns)
    folder = root / STATE_DIR / INDEX_DIR
    folder.mkdir(parents=True, exist_ok=True)
    segment = folder / f"0-{key}-{sha256}-{case_dir.name}.parquet"
    source = case_dir / "results.parquet"
    # Under a temporary name, then over any segment of that name: one left by an earlier commit of the
    # same bytes may be a link to a file changed in place since.
    tmp = folder / f".{segment.name}.{secrets.token_hex(6)}.tmp"
    try:
        try:
            os.link(source, tmp)
        except OSError:  # a file system without hard links: a copy
            tmp.write_bytes(source.read_bytes())
        os.replace(tmp, segment)
    finally:
        tmp.unlink(missing_ok=True)
    pending = 0
    for name in os.listdir(folder):
        if (match := _CASE_SEGMENT.fullmatch(name)) is None:
            continue
        if match.group(3) == case_dir.name and name != segment.name:
            # An earlier run's rows of this case (any schema, any bytes): its results file is replaced, and
            # this hard link is all that keeps those bytes on disk.
            (folder / name).unlink(missing_ok=True)
        elif match.group(1) == key:
            pending += 1
    if pending >= FANOUT:
        with sweep_lock(root):
            _clean_temporaries(folder, _clock())
            for level in range(_TOP_LEVEL):
                _merge(folder, level, key)


def _clean_temporaries(folder: Path, now: float) -> None:
    """Remove the temporaries of writers killed before their rename (under the sweep lock; see _ABANDONED_AFTER)."""
    for name in os.listdir(folder):
        path = folder / name
        if _MERGED_TEMPORARY.fullmatch(name):
            # Only a merge writes one, and merges hold the sweep lock we hold: its writer is dead.
            path.unlink(missing_ok=True)
        elif _CASE_TEMPORARY.fullmatch(name):
            try:
                abandoned = now - os.lstat(path).st_ctime > _ABANDONED_AFTER
            except OSError:  # renamed into place meanwhile
                continue
            if abandoned:
                path.unlink(missing_ok=True)


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _current(folder: Path, name: str) -> bool:
    """Whether a case's own segment holds the bytes its name records, and its case's results file still does.

    False for a case re-run since (its results file replaced: the segment links the old one), changed in
    place since (the hard link sees the change), or gone. Call it under the sweep lock: cases are put in
    place and swapped under it, so the answer holds until the lock is released.
    """
    match = _CASE_SEGMENT.fullmatch(name)
    if match is None:
        return False
    segment = folder / name
    results = folder.parent.parent / match.group(3) / "results.parquet"
    try:
        linked = os.path.samestat(os.stat(segment), os.stat(results))
    except OSError:
        return False
    sha = _sha256(segment)
    # A hard link is the case's file itself: one hash. A copy (no links on this file system) is compared.
    return sha == match.group(2) and (linked or _sha256(results) == sha)


def _case_rows(folder: Path, names: list[str]) -> pl.DataFrame:
    """The rows of cases' own segments (one schema), with the case directory and SHA-256 their names carry."""
    import polars as pl

    frame = pl.scan_parquet([str(folder / n) for n in names], include_file_paths="__path").collect()
    parts = pl.col("__path").str.extract_groups(r"0-[0-9a-f]{16}-(?<sha>[0-9a-f]{64})-(?<dir>.+)\.parquet$")
    return frame.with_columns(parts.struct.field("dir").alias(CASE_DIR_COLUMN),
                              parts.struct.field("sha").alias(SHA256_COLUMN)).drop("__path")


def _merge(folder: Path, level: int, key: str) -> None:
    """Merge the segments of ``key`` at ``level`` into one of the next level, once there are FANOUT (under the lock)."""
    import polars as pl

    names = sorted(n for n in os.listdir(folder) if n.startswith(f"{level}-{key}-") and n.endswith(".parquet"))
    if len(names) < FANOUT:
        return
    if level == 0:
        # A case's own segment shares its file with the case (a hard link): bytes changed in place since
        # must not enter a merged segment under the hash of the bytes the case wrote; nor the rows of a
        # case re-run since (whose own new segment, if written yet, is the one current).
        stale = {n for n in names if not _current(folder, n)}
        for name in stale:
            (folder / name).unlink(missing_ok=True)
        names = [n for n in names if n not in stale]
        if not names:
            return
    try:
        if level == 0:
            frame = _case_rows(folder, names)
        else:
            frame = pl.concat([pl.read_parquet(folder / n) for n in names], how="vertical")
    except Exception:  # a damaged segment: leave them unmerged (each still read alone, or its case from its files)
        return
    _write(folder, level + 1, key, frame)
    for name in names:
        (folder / name).unlink(missing_ok=True)


def read_index(root: Path, wanted: dict[str, str]) -> list[pl.DataFrame]:
    """The index rows of the cases in ``wanted`` (case directory name to its results SHA-256), one frame per schema.

    A case whose recorded hash is not in the index (never indexed, replaced since, or in a segment that
    cannot be read) is simply absent: read it from its files. Each case's rows come from one segment
    (a merge killed halfway leaves them in two). The index columns are dropped but for
    :data:`CASE_DIR_COLUMN`.

    Args:
        root: the run or sweep directory.
        wanted: case directory name (``case-<id>``) to the SHA-256 of its results file, as its checked
            provenance records it.

    Returns:
        Frames of the wanted rows, each of one schema (the case's own columns, then the case dir column).
    """
    import polars as pl

    folder = root / STATE_DIR / INDEX_DIR
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    want = pl.DataFrame({CASE_DIR_COLUMN: list(wanted), SHA256_COLUMN: list(wanted.values())},
                        schema={CASE_DIR_COLUMN: pl.String, SHA256_COLUMN: pl.String})
    own: dict[str, list[str]] = {}  # schema key -> its wanted cases' own segments
    merged: dict[str, list[str]] = {}
    for name in names:
        if (match := _CASE_SEGMENT.fullmatch(name)) is not None:
            if wanted.get(match.group(3)) == match.group(2):
                own.setdefault(match.group(1), []).append(name)
        elif (match := _MERGED.fullmatch(name)) is not None:
            merged.setdefault(match.group(1), []).append(name)
    out = []
    for key in dict.fromkeys([*merged, *own]):
        frames = []
        for number, name in enumerate(merged.get(key, [])):
            try:
                rows = pl.read_parquet(folder / name).join(want, on=[CASE_DIR_COLUMN, SHA256_COLUMN], how="semi")
            except Exception:  # vanished (merged meanwhile) or damaged: those cases are read from their files
                continue
            frames.append(rows.with_columns(pl.lit(number).alias("__segment")))
        if own.get(key):
            try:
                frames.append(_case_rows(folder, own[key]).with_columns(pl.lit(-1).alias("__segment")))
            except Exception:  # one vanished (merged meanwhile) or damaged: those cases are read from their files
                pass
        if not frames:
            continue
        # A case's rows are in one schema's segments; where a killed merge left them twice, keep one segment's.
        rows = pl.concat(frames, how="vertical")
        first = pl.col("__segment") == pl.col("__segment").min().over(CASE_DIR_COLUMN)
        out.append(rows.filter(first).drop("__segment", SHA256_COLUMN))
    return [rows for rows in out if rows.height]
