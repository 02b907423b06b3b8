"""``distlab plan``: what a sweep would do, without running it.

Every case of the sweep is resolved and checked by the fast preflight (:mod:`distlab.hydra.preflight`),
so a plan refuses what the sweep would refuse, in the same words (exit status 2). Then the sweep
directory is read the way a re-run reads it: a case whose results are complete there
(:func:`distlab.store.find_case`) would be skipped, a case whose directory holds a failed run would run
again. The time the cases to run would take is estimated from the durations earlier runs recorded in
their provenance (``started_at`` to ``finished_at``), per trial:

1. a case that ran before (and failed, or ran in another directory given as history): its own time;
2. else the median time per trial of the cases with the same study and choice of components;
3. else the median per trial of the study's cases;

times the case's number of trials. Parameters change how long a case takes too (a bigger world is
slower), so the estimate is a guide, and the plan says on what it rests. The sum is the time one
process would take; a launcher with several workers divides it.

This is not the sweep plan the store records (:mod:`distlab.store.plan`): that one is written when a
sweep starts, this one is only printed.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distlab import store
from distlab.report.units import counted
from distlab.status import FAILED

if TYPE_CHECKING:
    from distlab.case import Case

__all__ = ["CasePlan", "Estimate", "SweepPlan", "estimate", "format_plan", "past_durations", "plan_sweep_dir",
           "resolve_sweep"]

Choice = tuple[str, tuple[tuple[str, str], ...]]
"""A case's study and its choice of components, ``(study, ((kind, component), ...))``."""


@dataclasses.dataclass(frozen=True)
class CasePlan:
    """One distinct case of the sweep, as far as planning needs it.

    Attributes:
        case_id: the case id.
        choice: its study and choice of components.
        trials: how many trials it runs (``repeats``).
    """

    case_id: str
    choice: Choice
    trials: int


@dataclasses.dataclass(frozen=True)
class Estimate:
    """How long the cases to run would take one process, and on what the figure rests.

    Attributes:
        seconds: the sum of the estimated times, or None when no case could be estimated.
        own: cases estimated from their own earlier run.
        by_components: cases estimated from earlier cases with the same choice of components.
        by_study: cases estimated from earlier cases of the same study only.
        unknown: cases nothing earlier says anything about (not in ``seconds``).
        earlier: how many earlier case runs were read.
    """

    seconds: float | None
    own: int
    by_components: int
    by_study: int
    unknown: int
    earlier: int


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """What a sweep would do.

    Attributes:
        combinations: the sweep's combinations (a combination that resolves to the same case as an
            earlier one runs once).
        cases: its distinct cases, in sweep order.
        sweep_dir: the sweep directory, as the sweep would resolve it now.
        done: case ids with complete results in the sweep directory (a re-run skips them).
        failed_before: case ids whose earlier run there failed.
        failed_kept: those of them that failed deterministically (every failed trial raised an error of
            its own making, as the runner records it): a re-run keeps them unless ``retry_failed=true``;
            the others (a time limit, a lost worker) run again.
        force: whether the sweep runs every case even if it is done (``force=true``).
        retry_failed: whether it runs again the cases that failed deterministically (``retry_failed=true``).
        estimate: the time estimate for the cases to run.
        fresh: whether the sweep directory is deleted before the sweep runs (``distlab experiment DIR``
            without ``--resume``): then nothing in it is skipped, and its runs only inform the estimate.
    """

    combinations: int
    cases: tuple[CasePlan, ...]
    sweep_dir: Path | None
    done: frozenset[str]
    failed_before: frozenset[str]
    failed_kept: frozenset[str]
    force: bool
    retry_failed: bool
    estimate: Estimate
    fresh: bool = False

    @property
    def skipped(self) -> frozenset[str]:
        """The case ids a re-run would not run: done, and failed deterministically unless retried."""
        if self.force or self.fresh:
            return frozenset()
        return self.done if self.retry_failed else self.done | self.failed_kept

    @property
    def to_run(self) -> list[CasePlan]:
        """The cases the sweep would run."""
        skipped = self.skipped
        return [c for c in self.cases if c.case_id not in skipped]

    def as_json(self) -> dict[str, Any]:
        """The plan as plain values (what ``distlab plan --json`` prints)."""
        est = self.estimate
        return {
            "combinations": self.combinations,
            "cases": len(self.cases),
            "sweep_dir": None if self.sweep_dir is None else str(self.sweep_dir),
            "done": len(self.done),
            "failed_before": len(self.failed_before),
            "failed_kept": len(self.failed_kept),
            "skipped": len(self.skipped),
            "to_run": len(self.to_run),
            "trials_to_run": sum(c.trials for c in self.to_run),
            "force": self.force,
            "retry_failed": self.retry_failed,
            "fresh": self.fresh,
            "estimate_s": est.seconds,
            "estimate_basis": {"own": est.own, "by_components": est.by_components, "by_study": est.by_study,
                               "unknown": est.unknown, "earlier_runs": est.earlier},
        }


def resolve_sweep(overrides: Sequence[str], *, config_name: str = "config",
                  config_dir: str | None = None) -> tuple[int, list[CasePlan], Path | None, dict[str, bool]]:
    """Resolve and check every case of a sweep with the fast preflight, keeping what planning needs.

    Args:
        overrides: the sweep's overrides (as after ``distlab --multirun``).
        config_name: the primary config (``sweep`` for an experiment folder).
        config_dir: an extra config directory (an experiment folder).

    Returns:
        The number of combinations, the distinct cases in sweep order, the sweep directory (None if
        the config names none) and the run options that decide what a re-run skips (``force``,
        ``retry_failed``: whether each is true).

    Raises:
        ConfigError: what preflight refuses, in its words.
    """
    from distlab.errors import ConfigError
    from distlab.hydra.compose import composing
    from distlab.hydra.config_store import stored_registry
    from distlab.hydra.preflight import cases, check_cases, expand, parse, preflight

    registry = stored_registry()
    seen: list[Case] = []

    def keep(resolved: Iterable[tuple[tuple[str, ...], Case]]) -> Iterator[tuple[tuple[str, ...], Case]]:
        for combo, case in resolved:
            seen.append(case)
            yield combo, case

    try:
        with composing(config_name, config_dir) as composer:
            parsed = parse(composer, overrides, registry, multirun=True)
            plan = expand(composer, parsed, registry, multirun=True)
            ids = check_cases(keep(cases(composer, plan, registry)))
            first = composer.compose([*plan.fixed, *(axis[0] for axis in plan.axes)])
            folder = first.hydra.sweep.dir
            options = {key: first.get(key) is True for key in ("force", "retry_failed")}
    except ConfigError:
        raise
    except Exception:
        # Hydra's and OmegaConf's errors are put in distlab's words by preflight alone: let it say this
        # one (it fails the same way), so a plan's error reads exactly as the sweep's would.
        preflight(overrides, multirun=True, config_name=config_name, config_dir=config_dir)
        raise
    # A case id costs about half a millisecond (it hashes the config): when no two combinations coincide,
    # the i-th distinct id is the i-th case's and none is computed again.
    found = {i: _case_plan(case, i) for i, case in zip(ids, seen)} if len(ids) == len(seen) else \
        {case.case_id: _case_plan(case, case.case_id) for case in reversed(seen)}
    return plan.total, [found[i] for i in ids], Path(str(folder)) if folder else None, options


def _case_plan(case: Case, case_id: str) -> CasePlan:
    choice = tuple(sorted((kind, comp.name) for kind, (comp, _) in case.components.items()))
    return CasePlan(case_id, (case.study.name, choice), case.repeats)


def past_durations(folders: Iterable[Path]) -> list[tuple[str, Choice, float]]:
    """The recorded time per trial of every case run found under ``folders``.

    Reads each ``case-*/provenance.json`` (the store's case directories) below each folder, however
    deep (a folder of sweeps works), ok or failed. A record without both times, or with times that do
    not parse, is left out.

    Args:
        folders: run or sweep directories, or folders holding them.

    Returns:
        ``(case id, study and choice of components, seconds per trial)`` of each record read.
    """
    out = []
    seen: set[Path] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob(f"{store.CASE_PREFIX}*/{store.PROVENANCE}")):
            real = path.resolve()
            if real in seen or store.STATE_DIR in path.parts:
                continue  # read once (the sweep directory may be given as history too); staging is no run
            seen.add(real)
            try:
                record = store.read_provenance(path)
            except (OSError, store.ProvenanceError):
                continue
            seconds = _seconds(record)
            if seconds is not None:
                out.append((str(record["case_id"]), _recorded_choice(record), seconds))
    return out


def _seconds(record: dict[str, Any]) -> float | None:
    """Seconds per trial of one provenance record, or None."""
    try:
        began = datetime.fromisoformat(str(record["started_at"]))
        ended = datetime.fromisoformat(str(record["finished_at"]))
    except (KeyError, ValueError):
        return None
    trials = record.get("trials")
    count = sum(int(v) for v in trials.values()) if isinstance(trials, dict) else 0
    if count <= 0:
        config = record.get("config")
        count = int(config.get("repeats", 1)) if isinstance(config, dict) else 1
    seconds = (ended - began).total_seconds()
    return seconds / max(count, 1) if seconds >= 0 else None


def _recorded_choice(record: dict[str, Any]) -> Choice:
    components = record.get("components")
    pairs = ((str(k), str(v.get("name"))) for k, v in components.items() if isinstance(v, dict)) \
        if isinstance(components, dict) else ()
    return str(record.get("study")), tuple(sorted(pairs))


def estimate(to_run: Sequence[CasePlan], past: Sequence[tuple[str, Choice, float]]) -> Estimate:
    """Estimate how long ``to_run`` takes from ``past`` runs (see the module's docstring for the rules).

    Args:
        to_run: the cases to estimate.
        past: earlier runs, from :func:`past_durations`.

    Returns:
        The estimate.

    Examples:
        >>> choice = ("s", (("k", "a"),))
        >>> e = estimate([CasePlan("x", choice, 4)], [("y", choice, 0.5), ("z", choice, 1.5)])
        >>> e.seconds, e.by_components
        (4.0, 1)
    """
    own: dict[str, list[float]] = {}
    by_choice: dict[Choice, list[float]] = {}
    by_study: dict[str, list[float]] = {}
    for case_id, choice, seconds in past:
        own.setdefault(case_id, []).append(seconds)
        by_choice.setdefault(choice, []).append(seconds)
        by_study.setdefault(choice[0], []).append(seconds)
    medians_choice = {k: statistics.median(v) for k, v in by_choice.items()}
    medians_study = {k: statistics.median(v) for k, v in by_study.items()}
    total, counts = 0.0, {"own": 0, "choice": 0, "study": 0, "unknown": 0}
    for case in to_run:
        if case.case_id in own:
            per_trial, how = statistics.median(own[case.case_id]), "own"
        elif case.choice in medians_choice:
            per_trial, how = medians_choice[case.choice], "choice"
        elif case.choice[0] in medians_study:
            per_trial, how = medians_study[case.choice[0]], "study"
        else:
            counts["unknown"] += 1
            continue
        counts[how] += 1
        total += per_trial * case.trials
    known = len(to_run) - counts["unknown"]
    return Estimate(total if known else None, counts["own"], counts["choice"], counts["study"], counts["unknown"],
                    len(past))


def plan_sweep_dir(overrides: Sequence[str], *, config_name: str = "config", config_dir: str | None = None,
                   history: Sequence[Path] = (), fresh: bool = False) -> SweepPlan:
    """What the sweep of ``overrides`` would do: its cases, those done, and the time the others would take.

    Args:
        overrides: the sweep's overrides.
        config_name: the primary config (``sweep`` for an experiment folder).
        config_dir: an extra config directory (an experiment folder).
        history: more run or sweep directories whose recorded durations inform the estimate (the sweep
            directory's own are always read).
        fresh: the sweep directory is deleted before the sweep runs (``distlab experiment DIR`` without
            ``--resume``): every case runs; its earlier runs still inform the estimate.

    Returns:
        The plan.

    Raises:
        ConfigError: what preflight refuses (an unknown name, a bad parameter), before anything is read.
    """
    combinations, case_plans, folder, options = resolve_sweep(overrides, config_name=config_name,
                                                              config_dir=config_dir)
    done: set[str] = set()
    failed: set[str] = set()
    kept: set[str] = set()
    if folder is not None and folder.is_dir():
        for case in case_plans:
            if store.find_case(folder, case.case_id) is not None:
                done.add(case.case_id)
                continue
            how = _failed_before(folder, case.case_id)
            if how is not None:
                failed.add(case.case_id)
                if how:
                    kept.add(case.case_id)
    plan = SweepPlan(combinations, tuple(case_plans), folder, frozenset(done), frozenset(failed), frozenset(kept),
                     options["force"], options["retry_failed"], Estimate(None, 0, 0, 0, 0, 0), fresh)
    past = past_durations([*([folder] if folder is not None else []), *history])
    return dataclasses.replace(plan, estimate=estimate(plan.to_run, past))


def _failed_before(root: Path, case_id: str) -> bool | None:
    """Whether the case's directory under ``root`` holds a failed run: None if not, else whether it failed
    deterministically with intact files (what a re-run keeps; the store's rule, read here so that a plan
    only reads)."""
    folder = store.case_dir(root, case_id)
    try:
        record = store.read_provenance(folder / store.PROVENANCE)
    except (OSError, store.ProvenanceError):
        return None
    if record.get("case_id") != case_id or record.get("status") != FAILED:
        return None
    return record.get("failed_deterministically") is True and store.case_problem(folder, record) is None


def format_plan(plan: SweepPlan) -> str:
    """The plan in a few lines, for a person.

    Args:
        plan: the plan.

    Returns:
        The text, without a final newline.

    Examples:
        >>> one = SweepPlan(1, (CasePlan("x", ("s", ()), 1),), None, frozenset(), frozenset(), frozenset(),
        ...                 False, False, Estimate(None, 0, 0, 0, 1, 0))
        >>> print(format_plan(one).splitlines()[2])
          to run:   1 case, 1 trial
    """
    n = len(plan.cases)
    coincide = plan.combinations - n
    lines = [f"{counted(plan.combinations, 'combination')}, {counted(n, 'distinct case')}"
             + (f" ({coincide:,} {'resolves' if coincide == 1 else 'resolve'} to a case listed already)"
                if coincide else "")
             + (f"; sweep directory {plan.sweep_dir}" if plan.sweep_dir is not None else "")]
    if plan.sweep_dir is None or not plan.sweep_dir.is_dir():
        lines.append("  done:     0 (the sweep directory does not exist yet)")
    elif plan.fresh:
        lines.append(f"  done:     {len(plan.done):,} (complete results in the sweep directory; but distlab experiment "
                     "starts afresh, deleting the sweep directory and running every case: with --resume it keeps "
                     "the directory and skips the done cases)")
    else:
        lines.append(f"  done:     {len(plan.done):,} (complete results in the sweep directory; "
                     + ("but force=true runs every case again)" if plan.force else "a re-run skips them)"))
    if plan.failed_before:
        failed = len(plan.failed_before)
        again = failed - len(plan.failed_kept)
        if plan.fresh:
            lines.append(f"  failed:   {failed:,} (failed before; starting afresh runs them again)")
        elif plan.force or plan.retry_failed or not plan.failed_kept:
            lines.append(f"  failed:   {failed:,} (failed before; a re-run runs them again)")
        else:
            lines.append(f"  failed:   {failed:,} (failed before: {len(plan.failed_kept):,} "
                         f"deterministically, kept unless retry_failed=true; {again:,} "
                         f"{'runs' if again == 1 else 'run'} again)")
    to_run = plan.to_run
    lines.append(f"  to run:   {counted(len(to_run), 'case')}, {counted(sum(c.trials for c in to_run), 'trial')}")
    lines.append("  estimate: " + _format_estimate(plan.estimate, len(to_run)))
    return "\n".join(lines)



def _format_estimate(est: Estimate, to_run: int) -> str:
    hint = "give --history DIR with earlier runs of these components"
    if to_run == 0:
        return "nothing to run"
    if est.seconds is None:
        if est.earlier:
            return (f"no earlier runs of this study to estimate from ({counted(est.earlier, 'earlier case run')} "
                    f"read, none of it; {hint})")
        return f"no earlier runs to estimate from ({hint})"
    # Each number counts cases to run, each sentence says by which rule they were estimated; the runs
    # read are counted apart, since one earlier run can inform many cases.
    parts = [f"{counted(n, 'case')} {how}" for n, how in (
        (est.own, "by their own earlier run" if est.own != 1 else "by its own earlier run"),
        (est.by_components, "by the median of earlier cases with the same components"),
        (est.by_study, "by the median of the study's earlier cases (no earlier case with the same components)"))
        if n]
    text = (f"about {_duration(est.seconds)} in one process (a launcher's workers divide it), estimated from "
            f"{counted(est.earlier, 'earlier case run')}: {'; '.join(parts)}")
    if est.unknown:
        text += f"; {counted(est.unknown, 'case')} not estimated (no earlier run of the same study)"
    return text


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 20 s``, ``2 h 05 min``.

    Examples:
        >>> _duration(0.04), _duration(200), _duration(7500)
        ('0.04 s', '3 min 20 s', '2 h 05 min')
    """
    if seconds < 10:
        return f"{seconds:.2g} s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
    hours, rest = divmod(round(seconds) // 60, 60)
    return f"{hours} h {rest:02d} min"
