"""The sweep plan: which cases a run or sweep directory is meant to hold, written before any case runs.

A sweep killed halfway leaves a directory whose report would read as complete; the plan lets the report
say how many cases were planned and how many have results. Several sweeps into one directory each add
their cases (the plan is their union), under the sweep directory's lock.
"""

from __future__ import annotations

from pathlib import Path

from distlab.store.cases import valid_case_id
from distlab.store.files import read_json, write_json
from distlab.store.lock import STATE_DIR, sweep_lock

__all__ = ["PLAN", "plan_sweep", "read_plan"]

PLAN = "plan.json"
"""The plan's file name, in ``<root>/.distlab/``."""


def plan_sweep(root: Path, case_ids: list[str]) -> None:
    """Record that the run or sweep directory ``root`` is to hold ``case_ids``.

    Call it once a sweep's cases are known and before the first one runs. Earlier plans in the same
    directory (other sweeps into it) are kept: the plan becomes the union, in first-planned order. The
    file is replaced atomically.

    Args:
        root: the run or sweep directory (Hydra's ``hydra.sweep.dir``, or a single run's directory).
        case_ids: the case id of every job of the sweep (repeats of one id count once).

    Raises:
        ValueError: an entry is not a case id.
        StoreError: ``root`` cannot be written.

    Examples:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> plan_sweep(root, ["a1", "b2"]); plan_sweep(root, ["b2", "c3"])
        >>> read_plan(root)
        ['a1', 'b2', 'c3']
    """
    bad = [c for c in case_ids if not valid_case_id(c)]
    if bad:
        raise ValueError(f"not case ids: {bad[:3]}")
    with sweep_lock(root):
        planned = read_plan(root) or []
        seen = set(planned)
        for case_id in case_ids:
            if case_id not in seen:
                planned.append(case_id)
                seen.add(case_id)
        write_json(root / STATE_DIR / PLAN, {"case_ids": planned})


def read_plan(root: Path) -> list[str] | None:
    """The case ids planned for ``root``, or None if no plan was recorded (or the plan is unreadable).

    A malformed plan is ignored rather than trusted: the report then says nothing about missing cases.
    """
    try:
        record = read_json(root / STATE_DIR / PLAN)
    except (OSError, ValueError):
        return None
    ids = record.get("case_ids") if isinstance(record, dict) else None
    if not isinstance(ids, list) or not all(valid_case_id(c) for c in ids):
        return None
    return [str(c) for c in ids]
