"""A study: one world, its plugin kinds, its metrics, and how it runs one trial."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from distlab.component import Kind, load_object

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CaseCheck", "Figure", "Metric", "Study", "TraceRows", "TrialResult", "TrialRunner"]


@dataclasses.dataclass(frozen=True)
class Metric:
    """One metric column a study writes in every result row.

    Attributes:
        name: the column name, snake_case with its unit spelled in it (``downtime_s``).
        doc: one line saying what it measures.
        better: ``"lower"`` or ``"higher"`` if one direction is better, else ``None``.
        figure: whether ``distlab report`` draws a figure of it.
        log_scale: whether that figure must use a logarithmic axis; without it, the report chooses one
            from the data (when the values span more than about two decades).
        label: the metric in words for axes and tables (``"downtime"``); ``None``: from the name, its
            unit suffix dropped (``downtime_s`` reads "downtime").
        unit: its unit (``"s"``, ``"bytes"``, ``"/s"``, ``""`` for a count); ``None``: from the name's
            suffix (``_s``, ``_ms``, ``_us``, ``_bytes``, ``bytes_``, ``_per_s``, ...), see
            :mod:`distlab.report.units`.
        measured: whether the value is timed on the machine that runs the trial (a throughput, a real
            latency), so it varies from run to run and machine to machine; ``False``: computed (a
            simulated time, a byte count), the same on every run of the same case. ``distlab reproduce``
            compares measured metrics within a band and the others exactly.
    """

    name: str
    doc: str
    better: Literal["lower", "higher"] | None = "lower"
    figure: bool = True
    log_scale: bool = False
    label: str | None = None
    unit: str | None = None
    measured: bool = False


@dataclasses.dataclass(frozen=True)
class Figure:
    """A study's key figure: a metric against a metric or a swept parameter, drawn by ``distlab report``.

    Every case is one point (the mean over its successful trials, with the 95% confidence interval of
    each mean as error bars); the treatment sets the colour, the other swept parameters the marker, and
    ``panels`` one panel per value.

    Attributes:
        name: the file's stem (``figures/NAME.png``).
        x: the horizontal axis: a metric, or a config column (a swept parameter such as an offered load,
            whose value is exact: no error bar).
        y: the metric on the vertical axis.
        title: what the figure shows, in words.
        panels: the config column with one panel per value (``None``: one panel).
        kind: ``"scatter"`` (points), or ``"line"``: the points of one treatment and marker joined in
            the order of ``x``, the baseline treatment (:attr:`Study.baseline`) drawn as a thick black line.
        hline: an optional reference value of ``y`` drawn as a dashed line (e.g. a tolerated downtime).
        hline_label: what that line means, for the legend.
        where: only the cases whose config columns have these values, as ``(column, value)`` pairs
            (``None``: the column is null; the treatment column names a preset where one was chosen): a
            figure of one slice of a sweep whose cases differ in many columns at once. Only the columns
            that still vary within the slice set markers.
    """

    name: str
    x: str
    y: str
    title: str = ""
    panels: str | None = None
    kind: Literal["scatter", "line"] = "scatter"
    hline: float | None = None
    hline_label: str = ""
    where: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        # Recorded as JSON lists in provenance: pairs again, so the declaration and its record are equal.
        object.__setattr__(self, "where", tuple((str(k), v) for k, v in self.where))


@dataclasses.dataclass(frozen=True)
class TraceRows:
    """A trial's trace as rows not yet made a Polars frame (see :class:`TrialResult`).

    Attributes:
        rows: one dict per row, column name to value.
        schema: the Polars dtype of each column, in column order.
    """

    rows: list[dict[str, Any]]
    schema: Mapping[str, Any]

    def frame(self) -> pl.DataFrame:
        """The rows as a Polars frame of the schema."""
        import polars as pl

        return pl.DataFrame(self.rows, schema=dict(self.schema))


class TrialResult:
    """What one trial produced.

    Attributes:
        metrics: one value per metric the study declares (numbers or booleans).
        trace: optional per-step rows (per round, per epoch, per call) as a Polars frame.

    A study may pass the trace as :class:`TraceRows` instead of a frame: ``trace`` then builds the
    frame when first read, and the runner, which stores a case's traces together, builds one frame
    from the rows of all the case's trials (:attr:`trace_rows`) instead of one per trial. A Polars
    frame costs about 12 us to build however short it is, and the runner's per-trial columns as much
    again: a tenth of a trial that takes 100 us, a fixed cost a short trial should not pay.
    """

    __slots__ = ("metrics", "_frame", "_rows")

    def __init__(self, metrics: dict[str, Any], trace: pl.DataFrame | TraceRows | None = None) -> None:
        self.metrics = metrics
        self._rows = trace if isinstance(trace, TraceRows) else None
        self._frame = None if isinstance(trace, TraceRows) else trace

    @property
    def trace(self) -> pl.DataFrame | None:
        """The trace as a Polars frame (built on first read when the study gave rows), or None."""
        if self._frame is None and self._rows is not None:
            self._frame = self._rows.frame()
        return self._frame

    @trace.setter
    def trace(self, value: pl.DataFrame | None) -> None:
        self._frame = value
        self._rows = None

    @property
    def trace_rows(self) -> TraceRows | None:
        """The trace's rows when the study gave rows (None when it gave a frame or none)."""
        return self._rows

    def __repr__(self) -> str:
        return f"TrialResult(metrics={self.metrics!r}, trace={self._rows if self._frame is None else self._frame!r})"


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
        figures: the study's key figures, drawn by every report of it (see :class:`Figure`).
        baseline: the treatment the report's paired differences compare to (``None``: the first in order).
        code: the packages (import names) whose files are the study's engine, hashed into every case id
            (see :meth:`engine_code`); empty: the package holding ``runner``'s module.
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
    figures: tuple[Figure, ...] = ()
    baseline: str | None = None
    code: tuple[str, ...] = ()

    def engine_packages(self) -> tuple[str, ...]:
        """The packages whose code is the study's engine: :attr:`code`, else the package of the runner's module.

        ``"my_study.engine.trial:run"`` gives ``my_study.engine``; a runner in a top-level
        module (``"dice:run"``, or a callable defined in one) gives that module.
        """
        if self.code:
            return tuple(self.code)
        module = self.runner.partition(":")[0] if isinstance(self.runner, str) else self.runner.__module__
        return (module.rpartition(".")[0] or module,)

    def engine_code(self) -> dict[str, Any]:
        """The identity of the engine's code (:func:`distlab.provenance.package_code` of each engine package).

        Part of every case id of the study, as a component's code is of the cases it is in: a case run
        by an edited engine is a new case, never skipped as done nor pooled with the old engine's results.

        Returns:
            ``{"modules", "sha256", "parts"}``: the packages, one SHA-256 over theirs (None if one cannot be
            found, e.g. a runner defined in ``__main__``), and each package's own record.
        """
        import hashlib

        from distlab.provenance import package_code

        parts = [package_code(p) for p in self.engine_packages()]
        found = all(p["sha256"] for p in parts)
        joined = "".join(f"{p['module']}={p['sha256']};" for p in parts)
        return {"modules": [p["module"] for p in parts],
                "sha256": hashlib.sha256(joined.encode()).hexdigest() if found else None, "parts": parts}

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
