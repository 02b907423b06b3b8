"""A study: one world, its plugin kinds, its metrics, and how it runs one trial."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from distlab.component import Kind, load_object

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CaseCheck", "Metric", "Study", "TrialResult", "TrialRunner"]


@dataclasses.dataclass(frozen=True)
class Metric:
    """One metric column a study writes in every result row.

    Attributes:
        name: the column name, snake_case with its unit spelled in it (``downtime_s``).
        doc: one line saying what it measures.
        better: ``"lower"`` or ``"higher"`` if one direction is better, else ``None``.
        figure: whether ``distlab report`` draws a figure of it.
        log_scale: whether that figure uses a logarithmic axis (for metrics spanning decades).
    """

    name: str
    doc: str
    better: Literal["lower", "higher"] | None = "lower"
    figure: bool = True
    log_scale: bool = False


@dataclasses.dataclass
class TrialResult:
    """What one trial produced.

    Attributes:
        metrics: one value per metric the study declares (numbers or booleans).
        trace: optional per-step rows (per round, per epoch, per call) as a Polars frame.
    """

    metrics: dict[str, Any]
    trace: pl.DataFrame | None = None


TrialRunner = Callable[[Any, Mapping[str, Any], int], TrialResult]
"""``run(world, components, seed) -> TrialResult``: the world's parameters, the created component of each
kind, and the trial's seed."""

CaseCheck = Callable[[Any, Mapping[str, Any]], None]
"""``check(world, components) -> None``: raise a :class:`distlab.errors.ConfigError` if the components
do not fit the world (e.g. an input file that names more than the world holds)."""


@dataclasses.dataclass(frozen=True)
class Study:
    """One of distlab's domains: the world it simulates and the kinds that plug into it.

    Attributes:
        name: the study's name, chosen with ``study=NAME``.
        doc: one line saying what it studies.
        world: the frozen dataclass of the world's parameters (``world.*`` in the config).
        kinds: the plugin kinds of the study, each a Hydra config group.
        defaults: the default component name of each kind.
        metrics: the metric columns every result row has.
        runner: ``"module:function"`` (imported lazily) or a :data:`TrialRunner`.
        treatment: the kind being compared. Trial seeds do not depend on it,
            so every treatment meets the same random world (common random numbers).
        check: optional ``"module:function"`` or :data:`CaseCheck`, run by preflight on every case
            before anything runs, for what only the world and the components together can tell.
        bench: optional ``"module:function"``, ``run(quick: bool) -> list[dict]``: the study's speed
            benchmarks (rows as :mod:`distlab.bench` describes), run by ``distlab bench``.
        commands: the study's own verbs of the command line, ``{"name": "module:main"}``, where
            ``main(args: list[str]) -> int`` returns the exit status (``distlab NAME ARGS...``).
    """

    name: str
    doc: str
    world: type
    kinds: tuple[Kind, ...]
    defaults: Mapping[str, str]
    metrics: tuple[Metric, ...]
    runner: str | TrialRunner
    treatment: str | None = None
    check: str | CaseCheck | None = None
    bench: str | None = None
    commands: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def check_case(self, world: Any, components: Mapping[str, Any]) -> None:
        """Check that a case's components fit its world (a no-op for a study without a check).

        Raises:
            ConfigError: what does not fit, naming the parameter or file.
        """
        if self.check is None:
            return
        check: CaseCheck = load_object(self.check, f"study '{self.name}' check")
        check(world, components)

    def run_trial(self, world: Any, components: Mapping[str, Any], seed: int) -> TrialResult:
        """Run one trial of the study."""
        run: TrialRunner = load_object(self.runner, f"study '{self.name}'")
        return run(world, components, seed)

    def kind(self, name: str) -> Kind:
        """The kind named ``name``."""
        for kind in self.kinds:
            if kind.name == name:
                return kind
        raise KeyError(name)
