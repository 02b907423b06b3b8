"""Contract checks of the migration study's kinds: run a strategy or a workload through them.

The kinds ``strategy`` and ``workload`` declare these checks (:attr:`distlab.component.Kind.check`),
so :func:`distlab.testing.check_component` runs them too. Each check takes a component in any of
the forms of :func:`distlab.testing.make_factory` (a registered name, a Component, a factory, or a
made component) and raises :class:`AssertionError` saying which part broke, on which workload and
seed; so a plugin's own tests are one line each::

    from distlab.migration.testing import check_strategy
    from my_plugin.component import MyStrategy, MyParams

    def test_contract():
        check_strategy(MyStrategy, MyParams())

The contracts (the kinds' Protocol docstrings say them in full):

- **strategy** (:func:`check_strategy`): in a small world, against workloads from idle to faster
  than the link, the strategy ends the migration within ``world.max_time_s``, and the destination
  then holds the source's last version of every page (the engine's check mode); it cannot spin
  without simulated time advancing: thousands of uses of the session while the clock stands still,
  or a wall-clock budget spent, fail the check instead of hanging the test.
- **workload** (:func:`check_workload`): the same seed gives the same accesses, however guest time
  is cut into intervals, at the source (dirty pages and write counts) and at the destination (pages
  and times); whole migrations with it give the same metrics twice.

No test library is needed. The checks run in the calling process.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from distlab.migration.world import VM, Link, MigrationWorld
from distlab.testing import make_factory

__all__ = ["check_strategy", "check_workload", "small_world"]


def small_world(**link: Any) -> MigrationWorld:
    """The world the migration checks run in: a 16 MiB VM (4096 pages, a quarter of them zero) on a
    1 Gbit/s link, with a 60 s horizon, so that a full copy takes about 0.13 s of simulated time.

    Args:
        **link: overrides of :class:`distlab.migration.world.Link` fields.

    Returns:
        The world.

    Examples:
        >>> small_world(latency_ms=5.0).vm.memory_mib
        16
    """
    return MigrationWorld(vm=VM(memory_mib=16, zero_page_fraction=0.25), link=Link(**link), max_time_s=60.0)


# -- strategies -------------------------------------------------------------------------------------


def _workloads() -> list[tuple[str, Any]]:
    from distlab.migration.fakes import ConstantWorkload, ConstantWorkloadParams

    # The link moves about 30,500 pages/s: the last guest writes faster than that, so pre-copy
    # alone never empties the bitmap and the strategy must end the migration on its own bound.
    rates = {"idle": (0.0, 0.0), "moderate": (2000.0, 2000.0), "faster than the link": (200_000.0, 20_000.0)}
    return [(name, ConstantWorkload(ConstantWorkloadParams(w, r))) for name, (w, r) in rates.items()]


class _Spinning(BaseException):
    """Raised into a strategy that spins; a BaseException, so that ``except Exception`` in it cannot
    swallow the guard."""


class _GuardedSession:
    """A session that fails a strategy using it ``budget`` times in a row while the clock stands still."""

    def __init__(self, session: Any, budget: int) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_budget", budget)
        object.__setattr__(self, "_clock", session.clock_s)
        object.__setattr__(self, "_idle", 0)

    def __getattr__(self, name: str) -> Any:
        session = self._session
        if session.clock_s != self._clock:
            object.__setattr__(self, "_clock", session.clock_s)
            object.__setattr__(self, "_idle", 0)
        else:
            object.__setattr__(self, "_idle", self._idle + 1)
            if self._idle > self._budget:
                raise _Spinning(
                    f"it used the session {self._budget} times while simulated time stood still at "
                    f"{session.clock_s:.6g} s (after {session.rounds} pre-copy rounds): every loop must "
                    "call a verb that moves time (precopy_round with pages to send), or end the migration"
                )
        return getattr(session, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._session, name, value)


class _Guarded:
    """The strategy under test, handed the guarded session instead of the engine's."""

    def __init__(self, strategy: Any, budget: int) -> None:
        self.strategy = strategy
        self.budget = budget

    def migrate(self, session: Any) -> None:
        self.strategy.migrate(_GuardedSession(session, self.budget))
        if not session.done:
            raise _NotEnded("it returned without ending the migration; end it with exactly one of "
                            "session.stop_and_copy() or session.postcopy()")


class _NotEnded(Exception):
    """The strategy returned with the migration still running."""


@contextlib.contextmanager
def _wall_clock(seconds: float) -> Iterator[None]:
    """Raise :class:`_Spinning` into the running code after ``seconds`` (main thread on Unix only; a
    strategy that loops without touching the session is caught only this way)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise _Spinning(f"it ran for more than {seconds:g} s of wall-clock time on a 16 MiB VM")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_strategy(
    strategy: Any,
    params: Any = None,
    *,
    seeds: Sequence[int] = (0, 1),
    world: MigrationWorld | None = None,
    budget: int = 10_000,
    wall_clock_s: float = 60.0,
) -> None:
    """Check the strategy contract: it ends every migration, loses no page, and never spins.

    Every trial runs in the engine's check mode, which tracks a version of each page at both ends.

    Args:
        strategy: a registered strategy name, a Component, a factory, or a strategy object.
        params: for a name or Component, a mapping of parameter overrides or a parameter instance;
            for a factory, the one argument it is called with (None: called with none).
        seeds: trial seeds, each run against every check workload (idle, moderate, faster than the link).
        world: the world to run in (default :func:`small_world`).
        budget: how many uses of the session in a row, while simulated time stands still, count as spinning.
        wall_clock_s: wall-clock seconds one trial may take before it counts as spinning.

    Raises:
        AssertionError: naming the broken part of the contract, the workload and the seed.

    Examples:
        >>> check_strategy("stop_and_copy")  # doctest: +SKIP
    """
    from distlab.errors import PluginError
    from distlab.migration.engine import simulate
    from distlab.migration.errors import CheckFailedError, MigrationTimeoutError

    make = make_factory("strategy", strategy, params, method="migrate")
    world = world or small_world()
    for seed in seeds:
        for label, workload in _workloads():
            made = make()
            name = type(made).__name__
            where = f"strategy {name} against the {label} workload (seed {seed})"
            try:
                with _wall_clock(wall_clock_s):
                    simulate(world, _Guarded(made, budget), workload, seed, check=True)
            except _NotEnded as err:
                raise AssertionError(f"{where}: {err}") from None
            except _Spinning as err:
                raise AssertionError(f"{where} spins without simulated time advancing: {err}") from None
            except MigrationTimeoutError as err:
                raise AssertionError(f"{where} did not end the migration within world.max_time_s: {err}") from err
            except CheckFailedError as err:
                raise AssertionError(
                    f"{where} left the destination without the source's last version of every page: {err}"
                ) from err
            except PluginError as err:
                raise AssertionError(f"{where} broke the session's rules: {err}") from err
            except Exception as err:
                raise AssertionError(f"{where} raised {type(err).__name__}: {err}") from err



# -- workloads --------------------------------------------------------------------------------------


def _cuts(duration_s: float, how: str) -> list[tuple[float, float]]:
    if how == "whole":
        return [(0.0, duration_s)]
    if how == "even":
        edges = [duration_s * i / 10 for i in range(11)]
    else:  # uneven, with a very short interval and one that ends on an odd time
        edges = [0.0, 1e-6, duration_s / 7, duration_s / 3 + 1e-9, duration_s * 0.9, duration_s]
    return list(zip(edges, edges[1:]))


def _observe(workload: Any, pages: int, seed: int, duration_s: float, how: str, mode: str) -> tuple[Any, ...]:
    """What a workload does to a fresh guest over ``[0, duration_s)``, time cut ``how``."""
    import numpy as np

    from distlab.migration.guest import Guest, dirty_bitmap

    bitmap = dirty_bitmap(pages)
    versions = np.zeros(pages, dtype=np.int64)
    guest = Guest(pages, 4096, seed, bitmap, versions)
    start = getattr(workload, "start", None)
    if start is not None:
        start(guest)
    if mode == "destination":
        guest.at_destination()
    taken_pages, taken_times = [], []
    for t0, t1 in _cuts(duration_s, how):
        workload.run(guest, t0, t1)
        if mode == "destination":
            p, t = guest.take_accesses()
            taken_pages.append(p)
            taken_times.append(t)
    if mode == "source":
        return (guest.writes, bitmap.tobytes(), versions.tobytes())
    p_all = np.concatenate(taken_pages) if taken_pages else np.zeros(0, dtype=np.int64)
    t_all = np.concatenate(taken_times) if taken_times else np.zeros(0)
    order = np.lexsort((p_all, t_all))  # accesses at one time may come in any order
    return (guest.writes, guest.reads, p_all[order].tobytes(), t_all[order].tobytes())


def check_workload(
    workload: Any,
    params: Any = None,
    *,
    seeds: Sequence[int] = (0, 1),
    world: MigrationWorld | None = None,
    duration_s: float = 1.0,
) -> None:
    """Check the workload contract: deterministic under its seed, whatever the intervals.

    For each seed, fresh workloads run over ``[0, duration_s)`` of guest time cut three ways (whole,
    ten even intervals, uneven ones) must give the same writes and dirty pages at the source, and the
    same accesses (pages and guest times) at the destination; then two whole migrations (pre-copy with
    the fake strategy, and a post-copy) in check mode must give the same metrics twice.

    Args:
        workload: a registered workload name, a Component, a factory, or a workload object (which must
            then keep no state between runs; pass a factory otherwise).
        params: for a name or Component, a mapping of overrides or a parameter instance; for a
            factory, the argument it is called with (None: called with none).
        seeds: the seeds to try.
        world: the world of the whole migrations and of the guest's size (default :func:`small_world`).
        duration_s: guest time to observe.

    Raises:
        AssertionError: naming the seed and what differed.
    """
    from distlab.migration.engine import simulate
    from distlab.migration.fakes import FixedRoundsParams, FixedRoundsStrategy

    make = make_factory("workload", workload, params, method="run")
    world = world or small_world()
    pages = (world.vm.memory_mib << 20) // 4096
    for seed in seeds:
        name = type(make()).__name__
        for mode in ("source", "destination"):
            first = _observe(make(), pages, seed, duration_s, "whole", mode)
            for how in ("whole", "even", "uneven"):
                again = _observe(make(), pages, seed, duration_s, how, mode)
                if again != first:
                    what = "with the same intervals" if how == "whole" else f"with time cut into {how} intervals"
                    raise AssertionError(
                        f"workload {name} is not deterministic under seed {seed}: at the {mode}, a second run "
                        f"{what} issued other accesses (writes {first[0]} then {again[0]}); draw every "
                        "random choice from the guest's verbs or guest.rng, and place accesses by guest time"
                    )
        for strategy in (FixedRoundsStrategy(FixedRoundsParams(rounds=2)), _PostcopyAfterOneRound()):
            runs = [simulate(world, strategy, make(), seed, check=True).trial.metrics
                    for _ in range(2)]
            if runs[0] != runs[1]:
                diff = {k: (runs[0][k], runs[1][k]) for k in runs[0] if runs[0][k] != runs[1].get(k)}
                raise AssertionError(f"workload {name} gave two migrations with seed {seed} different metrics: {diff}")


class _PostcopyAfterOneRound:
    """One pre-copy round, then post-copy: runs a workload at the destination too."""

    def migrate(self, session: Any) -> None:
        session.precopy_round()
        session.postcopy(prepage_pages=2)

