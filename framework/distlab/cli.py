"""The ``distlab`` command: Hydra runs and sweeps, plus the plugins, report, experiment and bench verbs.

Before Hydra runs anything, every case a command would run is composed and resolved once
("preflight"), so that an unknown name or a bad parameter stops the command with exit status 2 and
a one-paragraph message, and nothing half-runs.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from distlab.errors import ConfigError, DistlabError, ParameterError, ReportError, UnknownComponentError

__all__ = ["main", "preflight"]

VERBS = ("plugins", "report", "experiment", "bench")
USAGE_EXIT = 2

# Hydra's flags: those that take a value, and those after which nothing runs (so no preflight).
_VALUE_FLAGS = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn",
                "--config-dir", "-cd", "--experimental-rerun", "--shell-completion", "-sc", "--info", "-i"}
_NO_RUN_FLAGS = {"--help", "-h", "--hydra-help", "--version", "--cfg", "-c", "--shell-completion", "-sc",
                 "--info", "-i", "--experimental-rerun"}
# Past this many cases, preflight checks each swept value once instead of every combination.
_FULL_PREFLIGHT_LIMIT = 2000


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``distlab`` command line; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in VERBS:
            return _verb(args[0], args[1:])
        if args and args[0] in ("--version", "-V"):
            print(_versions())
            return 0
        if args and "=" not in args[0] and not args[0].startswith(("-", "+", "~")):
            from distlab.errors import nearest

            guess = nearest(args[0], list(VERBS))
            raise ConfigError(
                f"unknown command {args[0]!r}{f'; did you mean {guess!r}?' if guess else '.'} Commands: "
                f"{', '.join(VERBS)}; or give overrides as key=value (e.g. strategy=precopy). See distlab --help."
            )
        return _hydra(args)
    except ConfigError as err:
        print(f"distlab: error: {err}", file=sys.stderr)
        return USAGE_EXIT
    except DistlabError as err:
        print(f"distlab: error: {err}", file=sys.stderr)
        return 1


def _versions() -> str:
    """distlab's version and those of the libraries its numbers depend on."""
    from importlib import metadata

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    libs = ("hydra-core", "pluggy", "numba", "numpy", "polars")
    return f"distlab {version('distlab')} (" + ", ".join(f"{lib} {version(lib)}" for lib in libs) + ")"


def _split(args: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """Hydra's flags (with their values) and the overrides."""
    flags: dict[str, str | None] = {}
    overrides: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, inline = arg.partition("=")
        if arg.startswith("-") and name in _VALUE_FLAGS:
            if eq:
                flags[name] = inline
            elif i + 1 < len(args) and not (name in {"--info", "-i"} and "=" in args[i + 1]):
                flags[name] = args[i + 1]
                i += 1
            else:
                flags[name] = None
        elif arg.startswith("-"):
            flags[arg] = None
        else:
            overrides.append(arg)
        i += 1
    return flags, overrides


def _flag(flags: dict[str, str | None], *names: str) -> str | None:
    for name in names:
        if name in flags:
            return flags[name]
    return None


def _hydra(args: list[str], *, checked: bool = False) -> int:
    """Hand ``args`` to Hydra, after preflight unless the caller has ``checked`` them already."""
    from distlab.host import get_registry

    get_registry()  # fills Hydra's ConfigStore with every study and component
    flags, overrides = _split(args)
    modes = [f for f in flags if f in ("--multirun", "-m", "--cfg", "-c", "--info", "-i")]
    if len({m.lstrip("-")[0] for m in modes}) > 1:
        raise ConfigError(f"{' and '.join(modes)} do not go together: --multirun runs a sweep, --cfg prints the "
                          "config, --info prints Hydra's information; give one of them")
    if not checked and not any(f in _NO_RUN_FLAGS for f in flags):
        preflight(
            overrides,
            multirun=any(f in flags for f in ("--multirun", "-m")),
            config_name=_flag(flags, "--config-name", "-cn") or "config",
            config_dir=_flag(flags, "--config-dir", "-cd"),
        )
    from distlab.app import hydra_main, single_run_failed

    saved = sys.argv
    sys.argv = ["distlab", *args]
    single_run_failed[0] = False
    try:
        hydra_main()
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = saved
    return 1 if single_run_failed[0] else 0


def preflight(overrides: Sequence[str], *, multirun: bool, config_name: str = "config",
              config_dir: str | None = None) -> int:
    """Compose and resolve every case a command would run, before any runs.

    Args:
        overrides: the command line's overrides.
        multirun: whether the command is a sweep.
        config_name: the primary config's name.
        config_dir: an extra config directory (``--config-dir``), e.g. an experiment's folder.

    Returns:
        How many cases were checked.

    Raises:
        ConfigError: an unknown name (with "did you mean") or an invalid parameter.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException
    from yaml import YAMLError

    from distlab.app import CONFIG_MODULE, case_from_config
    from distlab.host import get_registry

    registry = get_registry()
    GlobalHydra.instance().clear()
    if config_dir:
        # As with `--config-dir`: the primary config comes from that folder, which may extend
        # distlab's own (`defaults: [config, ...]`) and add presets.
        context: Any = initialize_config_dir(config_dir=str(Path(config_dir).resolve()), version_base=None)
        extra = [f"hydra.searchpath=[pkg://{CONFIG_MODULE}]"]
    else:
        context = initialize_config_module(config_module=CONFIG_MODULE, version_base=None)
        extra = []
    try:
        with context:
            loader = GlobalHydra.instance().config_loader()
            parser = OverridesParser.create(config_loader=loader)  # with the loader, glob() expands

            def values_of(o: Any) -> list[str]:
                """The values a sweep override runs over, or a ConfigError saying why it has none."""
                try:
                    values = [str(v) for v in o.sweep_string_iterator()]
                except (ValueError, TypeError) as err:
                    raise ConfigError(f"cannot expand the sweep '{o.input_line}': {err}") from None
                if not values:
                    raise ConfigError(f"'{o.input_line}' sweeps over no values; nothing would run")
                return values

            def compose(name: str, overrides: list[str], return_hydra_config: bool) -> Any:
                try:
                    return hydra_compose(name, overrides=overrides, return_hydra_config=return_hydra_config)
                except (ValueError, AttributeError, AssertionError) as err:
                    # Hydra and OmegaConf raise bare errors for some overrides the grammar accepts
                    # ("=5", "hydra.sweeper.params={a:1}").
                    first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                    raise ConfigError(f"cannot apply the overrides {' '.join(overrides)!r}: {first_line}. Overrides "
                                      "are key=value, e.g. strategy=precopy strategy.max_rounds=20") from None

            def check_names(parsed: list[Any]) -> None:
                groups = {"study", *(k.name for k in registry.kinds())}
                for o in parsed:
                    if o.key_or_group not in groups or o.is_delete():
                        continue
                    options = set(loader.get_group_options(o.key_or_group))
                    if not o.is_sweep_override() and not isinstance(o.value(), str):
                        # null, a list or a number where a name goes: say so, not "Unknown strategy 'None'".
                        raise ConfigError(
                            f"'{o.input_line}': {o.key_or_group} takes one name; choose one of "
                            f"{', '.join(sorted(options))} (a sweep is {o.key_or_group}=a,b with --multirun)"
                        )
                    values = values_of(o) if o.is_sweep_override() else [str(o.value())]
                    for value in values:
                        if value not in options:
                            raise UnknownComponentError(o.key_or_group, value, sorted(options))

            parsed = parser.parse_overrides(list(overrides))
            check_names(parsed)
            fixed = [str(o.input_line) for o in parsed if not o.is_sweep_override()]
            sweeps = [o for o in parsed if o.is_sweep_override()]
            if sweeps and not multirun:
                raise ConfigError(
                    f"'{sweeps[0].input_line}' sweeps over several values; add --multirun (-m) to run a sweep"
                )
            first = [f"{o.get_key_element()}={values_of(o)[0]}" for o in sweeps]
            base = compose(config_name, overrides=fixed + first + extra, return_hydra_config=True)
            more_parsed: list[Any] = []
            if multirun:
                swept_keys = {o.get_key_element() for o in sweeps}
                params = base.hydra.sweeper.get("params") or {}
                more = [f"{k}={v}" for k, v in params.items() if k not in swept_keys]
                more_parsed = parser.parse_overrides(more)
                check_names(more_parsed)
                fixed += [str(o.input_line) for o in more_parsed if not o.is_sweep_override()]
                sweeps += [o for o in more_parsed if o.is_sweep_override()]
            axes = [[f"{o.get_key_element()}={v}" for v in values_of(o)] for o in sweeps]
            total = 1
            for axis in axes:
                total *= len(axis)
            if total <= _FULL_PREFLIGHT_LIMIT:
                combos: list[tuple[str, ...]] = list(itertools.product(*axes))
            else:  # each swept value once, the other axes at their first value
                combos = [tuple(a[0] for a in axes)]
                for i, axis in enumerate(axes):
                    combos += [tuple(v if j == i else a[0] for j, a in enumerate(axes)) for v in axis[1:]]
            created: dict[tuple[str, str, Any], Any] = {}
            checked: set[tuple[Any, ...]] = set()
            seen: dict[str, tuple[str, ...]] = {}
            typed = [o for o in parsed + (more_parsed if multirun else []) if not o.is_delete()]
            for combo in combos:
                cfg = compose(config_name, overrides=fixed + list(combo) + extra, return_hydra_config=True)
                _check_booleans(cfg, typed)
                case = case_from_config(cfg, cfg.hydra.runtime.choices, registry)
                first_combo = seen.setdefault(case.case_id, combo)
                if first_combo != combo:
                    # Same resolved config: one case id, so the second is skipped as already run and
                    # its label (e.g. a preset's name) never reaches the report.
                    print(f"distlab: warning: {' '.join(combo)} resolves to the same case as "
                          f"{' '.join(first_combo)} (identical parameters); it runs once and is reported "
                          "under the first", file=sys.stderr)
                # Making each distinct component once lets its factory check what only it can
                # (e.g. that a trace file exists and parses) before any case runs.
                keys = tuple((kind, comp.name, params) for kind, (comp, params) in case.components.items())
                for key, (comp, params) in zip(keys, case.components.values()):
                    if key not in created:
                        created[key] = comp.create(params)
                if (case.world, keys) not in checked:
                    case.study.check_case(case.world, {key[0]: created[key] for key in keys})
                    checked.add((case.world, keys))
            return total
    except ConfigError:
        raise
    except YAMLError as err:
        where = f" ({config_dir or 'distlab.conf'}/{config_name}.yaml or a file it includes)"
        raise ConfigError(f"a config file is not valid YAML{where}: {' '.join(str(err).split())}") from None
    except (HydraException, OmegaConfBaseException) as err:
        from distlab.hydra_errors import explain

        raise ConfigError(explain(err, registry, list(overrides))) from None
    finally:
        GlobalHydra.instance().clear()


def _check_booleans(cfg: Any, overrides: list[Any]) -> None:
    """Refuse "2", "yes" or "no" for a boolean parameter: OmegaConf would quietly read them as true/false."""
    from omegaconf import OmegaConf

    for o in overrides:
        key = o.key_or_group
        if key.startswith("hydra.") or not isinstance(OmegaConf.select(cfg, key, default=None), bool):
            continue
        values = list(o.sweep_iterator()) if o.is_sweep_override() else [o.value()]
        for value in values:
            if not isinstance(value, bool):
                raise ParameterError(key, value, "true or false")


# -- verbs ----------------------------------------------------------------------------------------


def _verb(verb: str, args: list[str]) -> int:
    if verb == "plugins":
        from distlab.listing import print_plugins

        argparse.ArgumentParser(prog="distlab plugins", description="List every study, kind and component.").parse_args(args)
        print_plugins()
        return 0
    if verb == "report":
        parser = argparse.ArgumentParser(prog="distlab report", description="Report on a run or sweep directory.")
        parser.add_argument("dir", type=Path, help="a run or sweep directory (searched recursively for results)")
        parser.add_argument("--out", type=Path, default=None, help="where to write the report (default: DIR)")
        parser.add_argument("--analysis", type=Path, default=None,
                            help="a Python file whose analyze(tables) adds a section to REPORT.md")
        opts = parser.parse_args(args)
        if opts.analysis is not None and not opts.analysis.is_file():
            raise ReportError(f"--analysis {opts.analysis}: no such file; give a Python file defining "
                              "analyze(tables, figures_dir)")
        from distlab.report import make_report

        files = make_report(opts.dir, opts.out, analysis=opts.analysis)
        for path in files:
            print(path)
        return 0
    if verb == "experiment":
        return _experiment(args)
    if verb == "bench":
        from distlab.bench import main as bench_main

        return int(bench_main(args))
    raise AssertionError(verb)


def _experiment(args: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="distlab experiment",
        description="Run an experiment folder's sweep (DIR/sweep.yaml) into DIR/runs and write its report "
        "(REPORT.md, report.html, figures/) into DIR.",
    )
    parser.add_argument("dir", type=Path, help="the experiment folder, e.g. experiments/migration_tradeoffs")
    parser.add_argument("overrides", nargs="*", default=[], help="extra overrides, e.g. hydra/launcher=joblib")
    parser.add_argument("--resume", action="store_true",
                        help="keep DIR/runs and skip the cases whose results exist (default: start afresh)")
    parser.add_argument("--report-only", action="store_true", help="only remake the report from DIR/runs")
    opts = parser.parse_intermixed_args(args)  # flags may come after the overrides too
    folder: Path = opts.dir.resolve()
    if not (folder / "sweep.yaml").is_file():
        raise ConfigError(f"{opts.dir} has no sweep.yaml; an experiment folder holds its sweep config there")
    runs = folder / "runs"
    analysis = folder / "analysis.py"
    if not opts.report_only:
        # Check every case before touching runs/: a typo in an override must not cost the last sweep.
        from distlab.host import get_registry

        get_registry()
        preflight([f"hydra.sweep.dir={runs}", *opts.overrides], multirun=True, config_name="sweep",
                  config_dir=str(folder))  # the sweep below then runs in this process, unchecked again
        if runs.exists() and not opts.resume:
            # A report must show exactly this sweep: results of an earlier, different sweep would mix in.
            import shutil

            shutil.rmtree(runs)
        code = _hydra(["--multirun", "--config-dir", str(folder), "--config-name", "sweep",
                       f"hydra.sweep.dir={runs}", *opts.overrides], checked=True)
        if code != 0:
            return code
    from distlab.report import make_report

    for path in make_report(runs, folder, analysis=analysis if analysis.is_file() else None):
        print(path)
    return 0
