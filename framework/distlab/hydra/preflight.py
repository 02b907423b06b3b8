"""Preflight: every case a command would run is resolved once, before any runs.

An unknown name or a bad parameter then stops the command with one paragraph (exit status 2) and
nothing half-runs. Three steps, each its own function:

1. :func:`parse`: read the overrides with Hydra's grammar and check every name chosen for a group;
2. :func:`expand`: the sweep's axes (from the command line and the config's ``hydra.sweeper.params``)
   and the combinations to check;
3. :func:`check`: resolve each combination into a case (:func:`cases`), then make each distinct
   component once and run the study's own case check (:func:`check_cases`).

Every combination is checked, however many (up to :data:`MAX_SWEEP_CASES`). Composing with Hydra costs
about 75 ms a case, so :func:`cases` composes once per distinct choice of config groups (study, kinds,
presets, ``hydra.*``) and applies each case's remaining swept ``key=value`` overrides to a copy of that
composition with Hydra's own override code, which is what a full composition does last. A case the fast
path refuses is composed in full, so what preflight says about it is word for word what Hydra and
:func:`composed_cases` (the reference the differential test compares with) say.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.override_parser.types import ChoiceSweep, Override, RangeSweep
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException
from yaml import YAMLError

from distlab.case import Case
from distlab.errors import ConfigError, ParameterError, UnknownComponentError
from distlab.hydra.compose import CONFIG_MODULE, Composer, composing
from distlab.hydra.config_store import stored_registry
from distlab.hydra.errors import explain
from distlab.hydra.resolve import case_from_config
from distlab.registry import Registry

__all__ = ["Checked", "Plan", "cases", "check", "check_cases", "composed_cases", "expand", "parse", "preflight"]

MAX_SWEEP_CASES = 1_000_000
"""The most cases a sweep may have. Hydra lists every value of a ``range(...)`` before anything runs, so
``seed=range(0,1e20)`` would fill the memory; a sweep of a million cases is past what one machine runs."""


@dataclasses.dataclass(frozen=True)
class Checked:
    """What preflight found a command would run.

    Attributes:
        total: how many cases (combinations of the sweep; 1 for a single run).
        case_ids: the distinct case ids, in sweep order (every combination is resolved).
        sweep_dir: the sweep directory as resolved now (``hydra.sweep.dir``), for a sweep; handing it to
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

    def combinations(self) -> Iterator[tuple[str, ...]]:
        """The swept overrides of each case, in the order Hydra's basic sweeper runs them."""
        return itertools.product(*self.axes)


def preflight(overrides: Sequence[str], *, multirun: bool, config_name: str = "config",
              config_dir: str | None = None, full: bool = False) -> Checked:
    """Compose and resolve every case a command would run, before any runs.

    Args:
        overrides: the command line's overrides.
        multirun: whether the command is a sweep.
        config_name: the primary config's name.
        config_dir: an extra config directory (``--config-dir``), e.g. an experiment's folder.
        full: compose every case with Hydra (:func:`composed_cases`) instead of once per choice of
            config groups; the same answer, slower (for the differential test and the benchmark).

    Returns:
        What the command would run: how many cases (each was checked), their ids, and the resolved
        sweep directory.

    Raises:
        ConfigError: an unknown name (with "did you mean") or an invalid parameter, in one paragraph.
    """
    registry = stored_registry()
    try:
        with composing(config_name, config_dir) as composer:
            parsed = parse(composer, overrides, registry, multirun=multirun)
            plan = expand(composer, parsed, registry, multirun=multirun)
            ids = check_cases(composed_cases(composer, plan, registry)) if full else check(composer, plan, registry)
            first_cfg = composer.compose([*plan.fixed, *(axis[0] for axis in plan.axes)])
            _check_output_dir(first_cfg, multirun)
            sweep_dir = OmegaConf.select(first_cfg, "hydra.sweep.dir") if multirun else None
            return Checked(plan.total, tuple(ids), str(sweep_dir) if sweep_dir else None)
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
        # As Hydra's sweeper merges them: the config's params first, then the command line, a later
        # value of a key replacing an earlier one, so a key given on the command line (swept or not)
        # takes nothing from the params.
        given = {o.get_key_element() for o in parsed}
        params = base.hydra.sweeper.get("params") or {}
        more = composer.parse([f"{k}={v}" for k, v in params.items() if k not in given])
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


def composed_cases(composer: Composer, plan: Plan, registry: Registry) -> Iterator[tuple[tuple[str, ...], Case]]:
    """Each combination of the plan, composed in full by Hydra and resolved into a case (the reference).

    Args:
        composer: Hydra, set up for the command line.
        plan: what to check, from :func:`expand`.
        registry: the studies and components.

    Yields:
        The combination's swept overrides, and its case.
    """
    for combo in plan.combinations():
        yield combo, _composed_case(composer, plan, combo, registry)


def _composed_case(composer: Composer, plan: Plan, combo: tuple[str, ...], registry: Registry) -> Case:
    cfg = composer.compose([*plan.fixed, *combo])
    _check_booleans(cfg, plan.overrides)
    return case_from_config(cfg, cfg.hydra.runtime.choices, registry)


def cases(composer: Composer, plan: Plan, registry: Registry) -> Iterator[tuple[tuple[str, ...], Case]]:
    """Each combination of the plan resolved into a case, as :func:`composed_cases` does but faster.

    A swept override of a config group (the study, a kind, a preset, ``hydra/...``) or of ``hydra.*``
    changes what Hydra composes; any other is a ``key=value`` that Hydra applies to the composed config
    last, in order, with :meth:`ConfigLoaderImpl._apply_overrides_to_config`. So each distinct choice of
    the first is composed once, without the ``hydra`` node (its copy would cost as much as a composition),
    and each case applies its values to a copy of that with the same Hydra function: the same OmegaConf
    typing rules ("1e3" is no int, "yes" no bool), the same interpolations, the same case ids.

    Whatever the fast path refuses is composed in full and resolved as :func:`composed_cases` does, so
    that a refusal is Hydra's and distlab's usual one, word for word (and a value that only a full
    composition can resolve, e.g. ``${hydra.job.name}``, is still accepted).

    Args:
        composer: Hydra, set up for the command line.
        plan: what to check, from :func:`expand`.
        registry: the studies and components.

    Yields:
        The combination's swept overrides, and its case.
    """
    structural = [i for i, axis in enumerate(plan.axes) if _composes(composer, axis)]
    values = [i for i in range(len(plan.axes)) if i not in structural]
    # Each swept value is parsed once: Hydra's grammar costs about a millisecond an override.
    parsed = {i: dict(zip(plan.axes[i], composer.parse(plan.axes[i]))) for i in values}
    bases: dict[tuple[str, ...], tuple[DictConfig, dict[str, str | None]] | None] = {}
    for combo in plan.combinations():
        choice = tuple(combo[i] for i in structural)
        if choice not in bases:
            bases[choice] = _base(composer, plan, choice)
        base = bases[choice]
        case = None
        if base is not None:
            app, choices = base
            try:
                cfg = copy.deepcopy(app)
                ConfigLoaderImpl._apply_overrides_to_config([parsed[i][combo[i]] for i in values], cfg)
                _check_booleans(cfg, plan.overrides)
                case = case_from_config(cfg, choices, registry)
            except Exception:  # noqa: BLE001 - said again by a full composition, in its own words
                case = None
        yield combo, case if case is not None else _composed_case(composer, plan, combo, registry)


def _composes(composer: Composer, axis: tuple[str, ...]) -> bool:
    """Whether a swept key changes what Hydra composes (a config group, or Hydra's own config)."""
    key = axis[0].split("=", 1)[0].lstrip("+~")
    return key.startswith("hydra") or "@" in key or "/" in key or bool(composer.options(key))


def _base(composer: Composer, plan: Plan, choice: tuple[str, ...]) -> tuple[DictConfig, dict[str, str | None]] | None:
    """One choice of config groups composed, without its ``hydra`` node, and Hydra's choices; None if it
    does not compose (each of its cases then composes in full, to say why)."""
    try:
        cfg = composer.compose([*plan.fixed, *choice])
    except Exception:  # noqa: BLE001 - said by the full composition of the first case
        return None
    choices = {str(k): (None if v is None else str(v)) for k, v in cfg.hydra.runtime.choices.items()}
    with open_dict(cfg):
        # Ours alone, so no copy. A value that reads the hydra node (``${hydra.job.name}``) then fails to
        # resolve, and its case is composed in full (accepted, as Hydra would).
        del cfg["hydra"]
    return cfg, choices


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
