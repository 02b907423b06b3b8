"""The migration engine: runs one trial of one strategy against one workload in one world.

:func:`run_trial` is the study's runner (``distlab.migration.study.STUDY.runner``). :func:`simulate`
does the same with a check mode, for tests and notebooks.

Metrics (one value each per trial; documented in :mod:`distlab.migration.study`):
``total_time_s``, ``downtime_s``, ``bytes_sent``, ``pages_sent`` (page transmissions carrying data; a
zero page sent as a header is not counted), ``pages_resent``, ``rounds``, ``remote_faults`` (touches of
pages not yet arrived, in flight included), ``degraded_time_s`` (real time run throttled, plus post-copy
fault stalls), ``source_busy_s`` (until the last byte leaves the source), ``converged`` (false only when
a strategy gave up on a bound; true without a pre-copy phase).

Trace (a Polars frame, built when first read from rows the trial keeps, see
:class:`distlab.study.TraceRows`; one row per pre-copy round, per stop-and-copy or switch-over, and per post-copy
time step; consecutive post-copy steps in which no page moved share one row, so an idle guest under
on-demand paging leaves one row however long it waits): ``round``, ``phase``, ``start_time_s``,
``duration_s``, ``pages_sent`` (every page transmission, zero-page headers included, unlike the
metric), ``pages_dirty`` (still dirty, or for post-copy still at the source, at the row's end),
``bandwidth_mbit_s``, ``throttle``, ``guest_time_s`` (the guest's clock at the row's end), ``writes``
(guest writes during a pre-copy round; 0 in the other rows).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from distlab.errors import PluginError
from distlab.migration.errors import CheckFailedError, MigrationTimeoutError
from distlab.migration.guest import Guest
from distlab.migration.session import Round, Session
from distlab.migration.world import MigrationWorld
from distlab.study import TraceRows, TrialResult

__all__ = ["CheckFailedError", "MigrationTimeoutError", "Simulation", "Round", "Session", "check_case", "run_trial",
           "simulate"]


@dataclasses.dataclass
class Simulation:
    """What :func:`simulate` returns: the trial, and the session for inspection."""

    trial: TrialResult
    session: Session


def simulate(world: MigrationWorld, strategy: Any, workload: Any, seed: int, *, check: bool = False) -> Simulation:
    """Run one migration.

    Args:
        world: the world's parameters.
        strategy: a created strategy component (has ``migrate(session)``).
        workload: a created workload component (has ``run(guest, t0, t1)``).
        seed: the trial seed.
        check: also track a version per page at both ends and verify that the destination ends with
            the source's last version of every page.

    Returns:
        The trial (metrics and trace) and the finished session.

    Raises:
        MigrationTimeoutError: if the migration runs past ``world.max_time_s``.
        PluginError: if the strategy returns without ending the migration.
        CheckFailedError: in check mode, if a page was lost.
    """
    session = Session(world, workload, seed, check=check)
    strategy.migrate(session)
    if not session.done:
        raise PluginError(
            f"strategy {type(strategy).__name__} returned without ending the migration; "
            "it must call session.stop_and_copy() or session.postcopy()"
        )
    if check:
        lost = np.flatnonzero(session.dst_versions != session.src_versions)
        if lost.size:
            raise CheckFailedError(
                f"{lost.size} pages differ at the destination, e.g. page {lost[0]}: "
                f"source version {session.src_versions[lost[0]]}, destination {session.dst_versions[lost[0]]}"
            )
    # The trace as rows: the frame is built when the trial's ``trace`` is first read, and a sweep's
    # runner builds one for a whole case (a frame costs ~12 us however short, a tenth of a 1 GiB trial).
    trace = TraceRows(session.trace, _trace_schema())
    return Simulation(TrialResult(metrics=dict(session.metrics), trace=trace), session)


def run_trial(world: MigrationWorld, components: Mapping[str, Any], seed: int) -> TrialResult:
    """The migration study's runner: ``components`` holds a created ``strategy`` and ``workload``."""
    return simulate(world, components["strategy"], components["workload"], seed).trial


_TRACE_SCHEMA = {
    "round": "Int64",
    "phase": "String",
    "start_time_s": "Float64",
    "duration_s": "Float64",
    "pages_sent": "Int64",
    "pages_dirty": "Int64",
    "bandwidth_mbit_s": "Float64",
    "throttle": "Float64",
    "guest_time_s": "Float64",
    "writes": "Int64",
}


@functools.cache
def _trace_schema() -> dict[str, Any]:
    # Polars' dtypes for the trace, looked up once (Polars is imported only when a trial runs).
    import polars as pl

    return {name: getattr(pl, dtype)() for name, dtype in _TRACE_SCHEMA.items()}


def check_case(world: MigrationWorld, components: Mapping[str, Any]) -> None:
    """Preflight's check of a case: the workload meets the VM it will run on, without allocating it.

    A workload's ``start`` is where it learns the VM's size (e.g. an access log whose pages lie beyond
    the memory); calling it here, with a guest that has the VM's page count but no memory behind it
    (:meth:`Guest.for_check`), turns a case that would fail every trial into an error before any runs,
    in constant memory whatever the VM's size. The world's own cross-parameter rules (a page that
    divides the memory, a latency within ``max_time_s``) are checked when it is built.

    Raises:
        ConfigError: the workload does not fit the VM.
    """
    vm = world.vm
    start = getattr(components["workload"], "start", None)
    if start is not None:
        start(Guest.for_check((vm.memory_mib << 20) // vm.page_size_bytes, vm.page_size_bytes))
