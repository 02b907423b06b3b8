"""Preflight: every case a command would run is resolved once, before any runs.

An unknown name or a bad parameter then stops the command with one paragraph (exit status 2) and
nothing half-runs. Three steps, each its own function:

1. :func:`parse`: read the overrides with Hydra's grammar and check every name chosen for a group;
2. :func:`expand`: the sweep's axes (from the command line and the config's ``hydra.sweeper.params``)
   and the combinations to check;
3. :func:`check`: resolve each combination into a case (:func:`cases`, which composes it with Hydra),
   then make each distinct component once and run the study's own case check (:func:`check_cases`).

:func:`cases` is where a faster resolution can slot in (composing with Hydra costs tens of
milliseconds per case); :func:`check_cases` only needs cases.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from hydra.core.override_parser.types import ChoiceSweep, Override, RangeSweep
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from yaml import YAMLError

from distlab.case import Case
from distlab.errors import ConfigError, ParameterError, UnknownComponentError
from distlab.hydra.compose import CONFIG_MODULE, Composer, composing
from distlab.hydra.config_store import stored_registry
from distlab.hydra.errors import explain
from distlab.hydra.resolve import case_from_config
from distlab.registry import Registry

__all__ = ["FULL_PREFLIGHT_LIMIT", "Checked", "Plan", "cases", "check", "check_cases", "expand", "parse", "preflight"]

FULL_PREFLIGHT_LIMIT = 2000
"""Past this many cases, preflight checks each swept value once instead of every combination."""

MAX_SWEEP_CASES = 1_000_000
"""The most cases a sweep may have. Hydra lists every value of a ``range(...)`` before anything runs, so
``seed=range(0,1e20)`` would fill the memory; a sweep of a million cases is past what one machine runs."""


@dataclasses.dataclass(frozen=True)
class Checked:
    """What preflight found a command would run.

    Attributes:
        total: how many cases (combinations of the sweep; 1 for a single run).
        case_ids: the distinct case ids, in sweep order, when every combination was resolved (None past
            :data:`FULL_PREFLIGHT_LIMIT`, where each swept value is checked once instead).
        sweep_dir: the sweep directory as resolved now (``hydra.sweep.dir``), for a sweep; passing it to
            Hydra explicitly keeps a ``${now:...}`` in it from resolving to another second.
    """

    total: int
    case_ids: tuple[str, ...] | None
    sweep_dir: str | None

    def __int__(self) -> int:
        return self.total

    def __eq__(self, other: object) -> bool:
        # Compared with a number, it is its count of cases (as preflight returned before it said more).
        if isinstance(other, int):
            return self.total == other
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a command would run: the overrides every case shares, and the sweep's axes.

    Attributes:
        fixed: the overrides of every case, e.g. ``("world.vm.memory_mib=16",)``.
        axes: one tuple per swept key, of its overrides, e.g. ``(("seed=0", "seed=1"),)``.
        overrides: every override read, parsed (a boolean parameter's values are checked against them).
    """

    fixed: tuple[str, ...]
    axes: tuple[tuple[str, ...], ...]
    overrides: tuple[Override, ...]

    @property
    def total(self) -> int:
        """How many cases the command would run."""
        total = 1
        for axis in self.axes:
            total *= len(axis)
        return total

    def combinations(self, limit: int = FULL_PREFLIGHT_LIMIT) -> list[tuple[str, ...]]:
        """The swept overrides of each case to check: all of them up to ``limit``, else each value once.

        Past the limit, each swept value is checked once with the other axes at their first value.
        """
        if self.total <= limit:
            return list(itertools.product(*self.axes))
        combos = [tuple(a[0] for a in self.axes)]
        for i, axis in enumerate(self.axes):
            combos += [tuple(v if j == i else a[0] for j, a in enumerate(self.axes)) for v in axis[1:]]
        return combos


def preflight(overrides: Sequence[str], *, multirun: bool, config_name: str = "config",
              config_dir: str | None = None) -> Checked:
    """Compose and resolve every case a command would run, before any runs.

    Args:
        overrides: the command line's overrides.
        multirun: whether the command is a sweep.
        config_name: the primary config's name.
        config_dir: an extra config directory (``--config-dir``), e.g. an experiment's folder.

    Returns:
        What the command would run: how many cases (each was checked, or past
        :data:`FULL_PREFLIGHT_LIMIT` each swept value was), their ids, and the resolved sweep directory.

    Raises:
        ConfigError: an unknown name (with "did you mean") or an invalid parameter, in one paragraph.
    """
    registry = stored_registry()
    try:
        with composing(config_name, config_dir) as composer:
            parsed = parse(composer, overrides, registry, multirun=multirun)
            plan = expand(composer, parsed, registry, multirun=multirun)
            ids = check(composer, plan, registry)
            first_cfg = composer.compose([*plan.fixed, *(axis[0] for axis in plan.axes)])
            _check_output_dir(first_cfg, multirun)
            sweep_dir = OmegaConf.select(first_cfg, "hydra.sweep.dir") if multirun else None
            complete = plan.total <= FULL_PREFLIGHT_LIMIT
            return Checked(plan.total, tuple(ids) if complete else None, str(sweep_dir) if sweep_dir else None)
    except ConfigError:
        raise
    except YAMLError as err:
        where = f" ({config_dir or CONFIG_MODULE}/{config_name}.yaml or a file it includes)"
        raise ConfigError(f"a config file is not valid YAML{where}: {' '.join(str(err).split())}") from None
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(explain(err, registry, list(overrides))) from None


# -- 1. parse -------------------------------------------------------------------------------------


def parse(composer: Composer, overrides: Sequence[str], registry: Registry, *, multirun: bool) -> list[Override]:
    """Read the overrides and check each name chosen for the study or a kind.

    Args:
        composer: Hydra, set up for the command line.
        overrides: the command line's overrides.
        registry: the studies and kinds, whose groups hold names.
        multirun: whether the command is a sweep (else a swept value is an error).

    Returns:
        The parsed overrides.

    Raises:
        ConfigError: a name that is not an option of its group (with "did you mean"), something other
            than a name where one goes, or a sweep without ``--multirun``.
        HydraException: an override Hydra's grammar cannot read (:func:`preflight` explains it).
    """
    parsed = composer.parse(overrides)
    _check_sizes(parsed)
    _check_names(composer, parsed, registry)
    sweeps = [o for o in parsed if o.is_sweep_override()]
    if sweeps and not multirun:
        raise ConfigError(f"'{sweeps[0].input_line}' sweeps over several values; add --multirun (-m) to run a sweep")
    return parsed


def _check_names(composer: Composer, parsed: Iterable[Override], registry: Registry) -> None:
    groups = {"study", *(k.name for k in registry.kinds())}
    for o in parsed:
        if o.key_or_group not in groups or o.is_delete():
            continue
        options = set(composer.options(o.key_or_group))
        if not o.is_sweep_override() and not isinstance(o.value(), str):
            # null, a list or a number where a name goes: say so, not "Unknown KIND 'None'".
            raise ConfigError(
                f"'{o.input_line}': {o.key_or_group} takes one name; choose one of "
                f"{', '.join(sorted(options))} (a sweep is {o.key_or_group}=a,b with --multirun)"
            )
        values = _values_of(o) if o.is_sweep_override() else [str(o.value())]
        for value in values:
            if value not in options:
                raise UnknownComponentError(o.key_or_group, value, sorted(options))


def _check_sizes(parsed: Iterable[Override]) -> None:
    """Refuse a ``range(...)`` that never ends or is too long to list, before anything lists it."""
    total = 1
    for o in parsed:
        value = o.value() if o.is_sweep_override() else None
        if isinstance(value, RangeSweep):
            bounds = (value.start, value.stop, value.step)
            if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in bounds):
                raise ConfigError(f"'{o.input_line}': a range's start, stop and step must be finite numbers, "
                                  "e.g. range(0,10) or range(0,1,0.25)")
            start, stop, step = cast("tuple[float, float, float]", bounds)
            if step == 0:
                raise ConfigError(f"'{o.input_line}': a range's step cannot be 0 (it would never reach its stop); "
                                  "e.g. range(0,10,2)")
            count = max(0, math.ceil((stop - start) / step))
        elif isinstance(value, ChoiceSweep):
            count = len(value.list)
        else:
            continue
        total *= max(count, 1)
        if total > MAX_SWEEP_CASES:
            raise ConfigError(f"'{o.input_line}' makes the sweep more than {MAX_SWEEP_CASES:,} cases "
                              f"({count:,} values of {o.key_or_group}); narrow it, e.g. {o.key_or_group}=range(0,10)")


def _values_of(o: Override) -> list[str]:
    """The values a sweep override runs over, or a ConfigError saying why it has none."""
    try:
        values = [str(v) for v in o.sweep_string_iterator()]
    except (ValueError, TypeError) as err:
        raise ConfigError(f"cannot expand the sweep '{o.input_line}': {err}") from None
    if not values:
        raise ConfigError(f"'{o.input_line}' sweeps over no values; nothing would run")
    return values


# -- 2. expand ------------------------------------------------------------------------------------


def expand(composer: Composer, parsed: list[Override], registry: Registry, *, multirun: bool) -> Plan:
    """The sweep the overrides ask for, with the config's own sweep (``hydra.sweeper.params``) added.

    Args:
        composer: Hydra, set up for the command line.
        parsed: the overrides, from :func:`parse`.
        registry: the studies and kinds, to check names the config's sweep chooses.
        multirun: whether the command is a sweep.

    Returns:
        The plan: the shared overrides and the axes.

    Raises:
        ConfigError: a sweep with no values, or a name in the config's sweep that is no option.
    """
    fixed = [str(o.input_line) for o in parsed if not o.is_sweep_override()]
    sweeps = [o for o in parsed if o.is_sweep_override()]
    first = [f"{o.get_key_element()}={_values_of(o)[0]}" for o in sweeps]
    # Composed also for a single run: its errors are the same as the case's, and come first.
    base = composer.compose(fixed + first)
    typed = [o for o in parsed if not o.is_delete()]
    if multirun:
        swept_keys = {o.get_key_element() for o in sweeps}
        params = base.hydra.sweeper.get("params") or {}
        more = composer.parse([f"{k}={v}" for k, v in params.items() if k not in swept_keys])
        _check_names(composer, more, registry)
        fixed += [str(o.input_line) for o in more if not o.is_sweep_override()]
        sweeps += [o for o in more if o.is_sweep_override()]
        typed += [o for o in more if not o.is_delete()]
    axes = tuple(tuple(f"{o.get_key_element()}={v}" for v in _values_of(o)) for o in sweeps)
    return Plan(tuple(fixed), axes, tuple(typed))


# -- 3. check -------------------------------------------------------------------------------------


def check(composer: Composer, plan: Plan, registry: Registry) -> list[str]:
    """Resolve the plan's cases and check each, as :func:`cases` and :func:`check_cases` do.

    Returns:
        The distinct case ids, in the order of the combinations checked.

    Raises:
        ConfigError: a parameter a case cannot run with, said by distlab, the component or the study.
        HydraException, OmegaConfBaseException: for :func:`preflight` to explain.
    """
    return check_cases(cases(composer, plan, registry))


def cases(composer: Composer, plan: Plan, registry: Registry) -> Iterator[tuple[tuple[str, ...], Case]]:
    """Each combination of the plan, composed by Hydra and resolved into a case.

    Args:
        composer: Hydra, set up for the command line.
        plan: what to check, from :func:`expand`.
        registry: the studies and components.

    Yields:
        The combination's swept overrides, and its case.
    """
    for combo in plan.combinations():
        cfg = composer.compose([*plan.fixed, *combo])
        _check_booleans(cfg, plan.overrides)
        yield combo, case_from_config(cfg, cfg.hydra.runtime.choices, registry)


def check_cases(resolved: Iterable[tuple[tuple[str, ...], Case]]) -> list[str]:
    """Make each distinct component once and run each study's case check; warn of cases that coincide.

    Making each distinct component once lets its factory check what only it can (e.g. that a trace
    file exists and parses) before any case runs.

    Args:
        resolved: each combination's swept overrides and its case.

    Returns:
        The distinct case ids, in order.

    Raises:
        ConfigError: what a component's factory or the study's case check refuses.
    """
    created: dict[tuple[str, str, Any], Any] = {}
    checked: set[tuple[Any, ...]] = set()
    seen: dict[str, tuple[str, ...]] = {}
    for combo, case in resolved:
        first_combo = seen.setdefault(case.case_id, combo)
        if first_combo != combo:
            # Same resolved config: one case id, so the second is skipped as already run and its
            # label (e.g. a preset's name) never reaches the report.
            print(f"distlab: warning: {' '.join(combo)} resolves to the same case as {' '.join(first_combo)} "
                  "(identical parameters); it runs once and is reported under the first", file=sys.stderr)
        keys = tuple((kind, comp.name, params) for kind, (comp, params) in case.components.items())
        for key, (comp, params) in zip(keys, case.components.values()):
            if key not in created:
                created[key] = comp.create(params)
        if (case.world, keys) not in checked:
            case.study.check_case(case.world, {key[0]: created[key] for key in keys})
            checked.add((case.world, keys))
    return list(seen)


def _check_output_dir(cfg: DictConfig, multirun: bool) -> None:
    """Refuse a run or sweep directory, or Hydra's ``.hydra`` folder in it, that is a file (Hydra would stop
    with a traceback when it makes the folder)."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    values = {}
    # The hydra.* values Hydra reads before a job runs: a bad ${...} in them would stop Hydra with its own
    # words (and a line about "exception formatting"); said here, it names the key.
    for name in (key, "hydra.output_subdir", "hydra.job.chdir", "hydra.mode"):
        try:
            values[name] = OmegaConf.select(cfg, name)
        except OmegaConfBaseException as err:
            if "HydraConfig was not set" in str(err):  # ${hydra:...} resolves only in a running job
                return
            raise
    folder, subdir = values[key], values["hydra.output_subdir"]
    if not folder:
        raise ConfigError(f"{key} is empty; give a directory for the results, e.g. {key}=results/first")
    for path, what in ((str(folder), key), (os.path.join(str(folder), str(subdir)) if subdir else None,
                                            "hydra.output_subdir")):
        if path and os.path.lexists(path) and not os.path.isdir(path):
            raise ConfigError(f"{what} leads to {path}, which is a file, not a directory; distlab and Hydra "
                              f"write folders there. Give another {what}.")


def _check_booleans(cfg: DictConfig, overrides: Iterable[Override]) -> None:
    """Refuse "2", "yes" or "no" for a boolean parameter: OmegaConf would quietly read them as true/false."""
    for o in overrides:
        key = o.key_or_group
        if key.startswith("hydra.") or not isinstance(OmegaConf.select(cfg, key, default=None), bool):
            continue
        values = list(o.sweep_iterator()) if o.is_sweep_override() else [o.value()]
        for value in values:
            if not isinstance(value, bool):
                raise ParameterError(key, value, "true or false")
