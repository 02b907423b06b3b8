"""The job markers workers leave in a sweep's state folder, read in one place.

A worker writes ``<num>.started`` when a job begins and ``<num>.done`` (JSON: status, case id, seconds)
when it ends (:mod:`distlab.hydra.workers`); the launcher wrapper reads them to tell which jobs a dead
worker took with it, and the progress thread reads them to print each finished job.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Container
from pathlib import Path
from typing import Any

__all__ = ["Markers", "read_markers"]


@dataclasses.dataclass(frozen=True)
class Markers:
    """What a marker folder says.

    Attributes:
        started: the job numbers that started.
        done: the job numbers that finished (a ``.done`` file exists, readable or not yet).
        records: the readable ``.done`` records, by job number (those asked to be skipped left out).
    """

    started: frozenset[int]
    done: frozenset[int]
    records: dict[int, dict[str, Any]]


def read_markers(folder: Path, skip: Container[int] = ()) -> Markers:
    """Read the markers in ``folder`` (none if it is gone), parsing the ``.done`` records not in ``skip``."""
    from distlab.store import read_json

    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    started: set[int] = set()
    done: set[int] = set()
    records: dict[int, dict[str, Any]] = {}
    for name in names:
        num, _, what = name.partition(".")
        if not num.isdigit():
            continue
        if what == "started":
            started.add(int(num))
        elif what == "done":
            done.add(int(num))
            if int(num) in skip:
                continue
            try:
                record = read_json(folder / name)
            except (OSError, ValueError):
                continue  # being written, or a worker killed while writing it: not finished yet
            records[int(num)] = record if isinstance(record, dict) else {}
    return Markers(frozenset(started), frozenset(done), records)
