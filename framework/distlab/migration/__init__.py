"""The live-migration study: a VM's memory, the link it moves over, and the clock they share.

The public surface for plugin authors: everything a strategy or a workload needs is importable from
here (``from distlab.migration import Session, Round, Strategy``). Importing this package is cheap:
the names whose modules load Numba kernels (:class:`Session`, :class:`Guest`, :class:`Round`) are
imported on first use, so a plugin's registration module may import from here freely. The contract
checks of the study's kinds are in the submodule :mod:`distlab.migration.testing`, for tests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from distlab.migration.errors import AccessLogError, CheckFailedError, MigrationTimeoutError
from distlab.migration.fakes import ConstantWorkload, ConstantWorkloadParams, FixedRoundsParams, FixedRoundsStrategy
from distlab.migration.kinds import Strategy, Workload
from distlab.migration.world import MAX_PAGES, VM, Link, MigrationWorld

if TYPE_CHECKING:
    from distlab.migration.guest import Guest, ZipfTable
    from distlab.migration.engine import Simulation, run_trial, simulate
    from distlab.migration.session import ZERO_PAGE_BYTES, Round, Session

__all__ = [
    "MAX_PAGES",
    "VM",
    "ZERO_PAGE_BYTES",
    "AccessLogError",
    "CheckFailedError",
    "ConstantWorkload",
    "ConstantWorkloadParams",
    "FixedRoundsParams",
    "FixedRoundsStrategy",
    "Guest",
    "Link",
    "MigrationTimeoutError",
    "MigrationWorld",
    "Round",
    "Session",
    "Simulation",
    "Strategy",
    "Workload",
    "ZipfTable",
    "run_trial",
    "simulate",
]

# Names whose modules import numba: loaded when first asked for (PEP 562), not with the package.
_LAZY = {
    "Guest": "distlab.migration.guest",
    "ZipfTable": "distlab.migration.guest",
    "Round": "distlab.migration.session",
    "Session": "distlab.migration.session",
    "ZERO_PAGE_BYTES": "distlab.migration.session",
    "Simulation": "distlab.migration.engine",
    "run_trial": "distlab.migration.engine",
    "simulate": "distlab.migration.engine",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'distlab.migration' has no attribute {name!r}")
