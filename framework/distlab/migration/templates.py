"""What ``distlab new plugin NAME --kind strategy|workload`` writes: a working component and its test.

The kinds declare these (:attr:`distlab.component.Kind.template`); :mod:`distlab.scaffold` fills
them in (``${name}``, ``${cls}``, ``${kind}``: see :class:`distlab.scaffold.KindTemplate`) and adds
the package around them. The generated test runs the component through the kind's contract check
from :mod:`distlab.migration.testing`.
"""

from __future__ import annotations

from distlab.scaffold import KindTemplate

__all__ = ["STRATEGY", "TEMPLATES", "WORKLOAD"]

_STRATEGY_COMPONENT = '''\
"""The strategy ``${name}``: pre-copy until few pages are dirty (or a round bound), then stop and copy.

Edit :meth:`${cls}.migrate`: it decides through the session's verbs (``precopy_round``,
``stop_and_copy``, ``postcopy``, ``set_throttle``, ``configure``) and must end every migration with
exactly one of ``stop_and_copy()`` or ``postcopy()``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from distlab import param

if TYPE_CHECKING:
    from distlab.migration import Session


@dataclasses.dataclass(frozen=True)
class ${cls}Params:
    """Pre-copy until at most ``stop_below_pages`` are dirty, at most ``max_rounds`` rounds."""

    max_rounds: int = param(10, "pre-copy rounds before giving up and stopping anyway", ge=1)
    stop_below_pages: int = param(64, "stop and copy once at most this many pages are dirty", ge=0)


class ${cls}:
    """The strategy: made afresh for every trial from its parameters."""

    def __init__(self, params: ${cls}Params) -> None:
        self.params = params

    def migrate(self, session: Session) -> None:
        """Drive one migration."""
        for _ in range(self.params.max_rounds):
            done = session.precopy_round()
            if done.pages_dirty <= self.params.stop_below_pages:
                session.stop_and_copy(converged=True)
                return
        session.stop_and_copy(converged=False)  # the bound hit: say so in the results
'''

_STRATEGY_TEST = '''\
"""${name} keeps the strategy contract (distlab.migration.testing) and registers itself."""

from __future__ import annotations

from distlab.migration.testing import check_strategy

from ${name}.component import ${cls}, ${cls}Params


def test_contract() -> None:
    check_strategy(${cls}, ${cls}Params())
    check_strategy(${cls}, ${cls}Params(max_rounds=1, stop_below_pages=0))
'''

_WORKLOAD_COMPONENT = '''\
"""The workload ``${name}``: uniform writes to a window of memory at a seeded offset.

Edit :meth:`${cls}.run`: it issues the accesses of guest time ``[t0, t1)`` through the guest's verbs
(``uniform``, ``hotset``, ``zipf``, ``sequential``, ``accesses``), which place the k-th access of a
rate-r stream at guest time k/r, so the result does not depend on how time is cut into intervals.
Draw set-up choices from ``guest.rng`` in ``start``: then the same seed gives the same accesses.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from distlab import param

if TYPE_CHECKING:
    from distlab.migration import Guest


@dataclasses.dataclass(frozen=True)
class ${cls}Params:
    """Uniform writes to a window of ``window_fraction`` of memory."""

    write_rate_pages_s: float = param(5000.0, "page writes per second of guest time", gt=0.0)
    window_fraction: float = param(0.25, "share of memory the writes fall in", gt=0.0, le=1.0)


class ${cls}:
    """The workload: made afresh for every trial from its parameters."""

    def __init__(self, params: ${cls}Params) -> None:
        self.params = params
        self.lo = 0
        self.span = 1

    def start(self, guest: Guest) -> None:
        """Place the window (once per trial, from the trial's seed)."""
        self.span = max(1, round(self.params.window_fraction * guest.pages))
        self.lo = int(guest.rng.integers(0, guest.pages - self.span + 1))

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        """Issue the writes of guest time [t0, t1)."""
        guest.uniform(self.params.write_rate_pages_s, t0, t1, self.lo, self.span)
'''

_WORKLOAD_TEST = '''\
"""${name} keeps the workload contract (distlab.migration.testing) and registers itself."""

from __future__ import annotations

from distlab.migration.testing import check_workload

from ${name}.component import ${cls}, ${cls}Params


def test_contract() -> None:
    check_workload(${cls}, ${cls}Params())
    check_workload(${cls}, ${cls}Params(window_fraction=1.0, write_rate_pages_s=50.0))
'''

STRATEGY = KindTemplate(_STRATEGY_COMPONENT, _STRATEGY_TEST)
"""A strategy that pre-copies until few pages are dirty (or a round bound), then stops and copies."""

WORKLOAD = KindTemplate(_WORKLOAD_COMPONENT, _WORKLOAD_TEST)
"""A workload of uniform writes to a window of memory at a seeded offset."""

TEMPLATES: dict[str, KindTemplate] = {"strategy": STRATEGY, "workload": WORKLOAD}
"""The templates of the study's kinds, by kind."""
