"""The ``distlab`` command: Hydra runs and sweeps, plus the plugins, report, experiment, bench and new verbs.

The verbs are parsed here; a command line of overrides (a run, or a sweep with ``--multirun``) goes to
distlab's Hydra wing, :mod:`distlab.hydra`, which checks every case before any runs ("preflight"), so
that an unknown name or a bad parameter stops the command with exit status 2 and a one-paragraph
message, and nothing half-runs. The wing is imported only when a command needs Hydra.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from collections.abc import Sequence
from pathlib import Path

from distlab.errors import ConfigError, DistlabError

__all__ = ["VERBS", "main"]

VERBS = ("plugins", "report", "experiment", "plan", "reproduce", "bench", "new")
USAGE_EXIT = 2
INTERRUPTED_EXIT = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
DEBUG_FLAG = "--debug"
"""Anywhere on the command line: each failed trial's traceback is logged as it happens (also in a
launcher's worker processes, through ``DISTLAB_DEBUG``), and an error of distlab's shows its traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``distlab`` command line; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args
    if debug:
        import os

        args = [a for a in args if a != DEBUG_FLAG]
        os.environ["DISTLAB_DEBUG"] = "1"  # before any worker process is started, so they inherit it
    try:
        if args and args[0] in VERBS:
            return _verb(args[0], args[1:])
        if args and not args[0].startswith("-") and "=" not in args[0]:
            command = _command(args[0])
            if command is not None:
                return int(command(args[1:]))
        if args and args[0] in ("--version", "-V"):
            print(_versions())
            return 0
        if args and "=" not in args[0] and not args[0].startswith(("-", "+", "~")):
            from distlab.errors import nearest

            from distlab.host import get_registry
            from distlab.hydra.examples import override_example

            verbs = [*VERBS, *sorted(get_registry().commands)]
            guess = nearest(args[0], verbs)
            raise ConfigError(
                f"unknown command {args[0]!r}{f'; did you mean {guess!r}?' if guess else '.'} Commands: "
                f"{', '.join(verbs)}; or give overrides as key=value (e.g. {override_example(get_registry())}). "
                "See distlab --help."
            )
        from distlab.hydra.app import run as run_hydra

        return run_hydra(args)
    except ConfigError as err:
        _debug_traceback(debug)
        print(f"distlab: error: {err}", file=sys.stderr)
        return USAGE_EXIT
    except DistlabError as err:
        _debug_traceback(debug)
        print(f"distlab: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # A sweep says itself what finished and how to resume; this catches Ctrl-C anywhere else (a
        # preflight, a report, a verb) so that it ends with one line and the shell's status, not a traceback.
        _debug_traceback(debug)
        print("distlab: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT


def _debug_traceback(debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exc(file=sys.stderr)


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


# -- verbs ----------------------------------------------------------------------------------------


def _command(name: str) -> Any:
    """A verb a study or plugin added (``Study.commands``, ``Registrar.add_command``), or None."""
    from distlab.component import load_object
    from distlab.host import get_registry

    ref = get_registry().commands.get(name)
    return None if ref is None else load_object(ref, f"the command {name!r}")


def _verb(verb: str, args: list[str]) -> int:
    if verb == "plugins":
        from distlab.listing import print_plugins

        parser = argparse.ArgumentParser(prog="distlab plugins", description="List every study, kind and component.")
        parser.add_argument("--json", action="store_true", help="print the registry as JSON (for scripts)")
        if parser.parse_args(args).json:
            import json

            from distlab.listing import plugins_json

            print(json.dumps(plugins_json(), indent=2, default=str))
        else:
            print_plugins()
        return 0
    if verb == "report":
        parser = argparse.ArgumentParser(prog="distlab report", description="Report on a run or sweep directory.")
        parser.add_argument("dir", type=_path, nargs="+",
                            help="a run or sweep directory (searched recursively for results); several sweeps of one "
                                 "study make one report comparing them (the sweep as a column; --out required)")
        parser.add_argument("--compare", action="store_true",
                            help="say that several directories are compared (the default when several are given)")
        parser.add_argument("--json", action="store_true",
                            help="print the summary table (per case and metric) as JSON instead of the files written")
        parser.add_argument("--out", type=_path, default=None,
                            help="where to write the report (default: DIR for a sweep directory, DIR/report for a "
                                 "single run or one job directory; never over a job's own files)")
        parser.add_argument("--analysis", type=_path, default=None,
                            help="a Python file whose analyze(tables) adds a section to REPORT.md")
        opts = parser.parse_args(args)
        # Arguments that cannot be right whatever the directory holds are usage errors (exit 2); what the
        # report finds in the directory (no results, damaged files) is the report's to say (exit 1).
        for folder in opts.dir:
            if not folder.exists():
                raise ConfigError(f"{folder} does not exist; give a run or sweep directory (e.g. multirun/DATE/TIME)")
            if not folder.is_dir():
                raise ConfigError(f"{folder} is a file, not a directory; give a run or sweep directory "
                                  "(e.g. multirun/DATE/TIME)")
        if len(opts.dir) > 1 and opts.out is None:
            raise ConfigError("several directories make one report comparing them: give --out (where to write it)")
        if opts.compare and len(opts.dir) < 2:
            raise ConfigError("--compare needs two or more directories")
        if opts.out is not None and opts.out.exists() and not opts.out.is_dir():
            raise ConfigError(f"--out {opts.out} is a file; the report goes into a directory (its files and "
                              "figures/)")
        if opts.analysis is not None and not opts.analysis.is_file():
            what = "is a directory, not a file" if opts.analysis.is_dir() else "no such file"
            raise ConfigError(f"--analysis {opts.analysis}: {what}; give a Python file defining "
                              "analyze(tables, figures_dir)")
        from distlab.report import make_report

        files = make_report(opts.dir if len(opts.dir) > 1 else opts.dir[0], opts.out, analysis=opts.analysis)
        if opts.json:
            import polars as pl

            summary = next(f for f in files if f.name == "summary.parquet")
            print(pl.read_parquet(summary).write_json())
            return 0
        for path in files:
            print(path)
        return 0
    if verb == "experiment":
        return _experiment(args)
    if verb == "plan":
        return _plan(args)
    if verb == "reproduce":
        return _reproduce(args)
    if verb == "bench":
        from distlab.bench import main as bench_main

        return int(bench_main(args))
    if verb == "new":
        # Written apart from the command line (templates of a plugin package); imported only here.
        from distlab.scaffold import main as scaffold_main

        return int(scaffold_main(args))
    raise AssertionError(verb)


def _path(text: str) -> Path:
    """A path argument: not empty, and without a NUL byte (no file system has such a name)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path; give a directory or file name")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r} holds a NUL byte, which no path can")
    return Path(text)


def _experiment(args: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="distlab experiment",
        description="Run an experiment folder's sweep (DIR/sweep.yaml) into DIR/runs and write its report "
        "(REPORT.md, report.html, figures/) into DIR.",
    )
    parser.add_argument("dir", type=_path, help="the experiment folder, e.g. experiments/migration_tradeoffs")
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
    if opts.report_only and not runs.is_dir():
        raise ConfigError(f"--report-only: {runs} does not exist; run the experiment first (without --report-only)")
    if not opts.report_only:
        # Check every case before touching runs/: a typo in an override must not cost the last sweep.
        from distlab.hydra.app import run as run_hydra
        from distlab.hydra.preflight import preflight

        checked = preflight([f"hydra.sweep.dir={runs}", *opts.overrides], multirun=True, config_name="sweep",
                            config_dir=str(folder))  # the sweep below then runs in this process, unchecked again
        if runs.exists() and not opts.resume:
            # A report must show exactly this sweep: results of an earlier, different sweep would mix in.
            import shutil

            shutil.rmtree(runs)
        code = run_hydra(["--multirun", "--config-dir", str(folder), "--config-name", "sweep",
                          f"hydra.sweep.dir={runs}", *opts.overrides], checked=checked,
                         report=f"{folder / 'REPORT.md'} (written next, with report.html)")
        if code != 0:
            return code
    from distlab.report import make_report
    from distlab.reproduce import write_results_csv

    for path in make_report(runs, folder, analysis=analysis if analysis.is_file() else None):
        print(path)
    print(write_results_csv(runs, folder))  # the numbers distlab reproduce compares with
    return 0


def _plan(args: list[str]) -> int:
    from distlab.host import get_registry
    from distlab.hydra.examples import override_example

    parser = argparse.ArgumentParser(
        prog="distlab plan",
        usage="distlab plan [--json] [--history DIR] [--resume] [EXPERIMENT_DIR] [OVERRIDE ...]",
        description="Say what a sweep would do, without running it: its cases (each checked as the sweep checks "
        "it), how many are done or failed in the sweep directory, and how long the others would take, from the "
        "durations earlier runs recorded. Nothing runs and nothing is written; a sweep the preflight refuses "
        "exits with status 2 and its message.",
        epilog=f"e.g. distlab plan {override_example(get_registry())} 'seed=range(0,100)' "
        "hydra.sweep.dir=multirun/mine; distlab plan experiments/NAME +subset=reproduce",
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON (for scripts)")
    parser.add_argument("--history", type=_path, action="append", default=[], metavar="DIR",
                        help="a run or sweep directory (or a folder of them) whose recorded durations inform the "
                             "estimate, besides the sweep directory's own (repeatable)")
    parser.add_argument("--resume", action="store_true",
                        help="with EXPERIMENT_DIR: plan distlab experiment DIR --resume, which keeps DIR/runs and "
                             "skips the cases done there (without it, distlab experiment starts afresh and every "
                             "case runs); a plain sweep always skips the cases done in its sweep directory")
    # The sweep itself (an experiment folder, overrides, Hydra's flags) is left in order for Hydra's reader.
    opts, words = parser.parse_known_args(args)
    for folder in opts.history:
        # History only informs the estimate: a folder not made yet (an experiment not run on this machine,
        # as in the README's example on a fresh clone) leaves the plan true, so it is said, not refused.
        if not folder.exists():
            print(f"distlab: warning: --history {folder}: no such directory, so no earlier runs there; estimating "
                  "without them", file=sys.stderr)
        elif not folder.is_dir():
            raise ConfigError(f"--history {folder} is a file; give a run or sweep directory (or a folder of them)")
    from distlab.hydra.flags import split

    config_dir: str | None
    fresh = False
    first = words[0] if words else ""
    if first and not first.startswith(("-", "+", "~")) and "=" not in first:
        if not Path(first).is_dir():
            raise ConfigError(f"{first!r} is neither an experiment folder nor an override; give experiments/NAME "
                              "and/or overrides as key=value")
        folder = _experiment_folder(Path(first))
        line = split(["--multirun", *words[1:]])
        overrides = [f"hydra.sweep.dir={folder / 'runs'}", *line.overrides]
        config_name, config_dir = "sweep", str(folder)
        fresh = not opts.resume  # distlab experiment deletes DIR/runs unless --resume: nothing there is skipped
    else:
        if opts.resume:
            raise ConfigError("--resume is for an experiment folder (distlab plan --resume experiments/NAME plans "
                              "distlab experiment experiments/NAME --resume); a plain sweep always skips the cases "
                              "done in its sweep directory, so leave --resume out")
        line = split(["--multirun", *words])
        overrides, config_name, config_dir = line.overrides, line.config_name, line.config_dir
    if not line.runs:
        raise ConfigError("distlab plan takes a sweep's overrides, not flags that only print (--cfg, --info, --help)")
    from distlab.plan import format_plan, plan_sweep_dir

    plan = plan_sweep_dir(overrides, config_name=config_name, config_dir=config_dir, history=opts.history,
                          fresh=fresh)
    if opts.json:
        import json

        print(json.dumps(plan.as_json(), indent=2))
    else:
        print(format_plan(plan))
    return 0


def _experiment_folder(path: Path) -> Path:
    """An experiment folder given on the command line, resolved; a ConfigError if it has no sweep.yaml."""
    if not (path / "sweep.yaml").is_file():
        raise ConfigError(f"{path} has no sweep.yaml; an experiment folder holds its sweep config there")
    return path.resolve()


def _reproduce(args: list[str]) -> int:
    from distlab.reproduce import BAND, RESULTS_CSV, SUBSETS

    parser = argparse.ArgumentParser(
        prog="distlab reproduce",
        description=f"Run a committed experiment again in a temporary directory and compare every number with its "
        f"committed results (DIR/{RESULTS_CSV}): metrics computed by the simulation exactly, metrics the study "
        "declares measured (timed) per case within a band. Prints each difference (case, metric, committed, "
        "reproduced); exit status 1 if any, 0 when every number reproduced.",
    )
    parser.add_argument("dir", type=_path, help="the experiment folder, e.g. experiments/NAME")
    parser.add_argument("overrides", nargs="*", default=[], help="extra overrides, e.g. hydra/launcher=basic")
    parser.add_argument("--subset", default=None, metavar="NAME",
                        help=f"run the reduced sweep DIR/{SUBSETS}/NAME.yaml instead of the whole sweep and compare "
                             "the trials it runs (e.g. --subset reproduce)")
    parser.add_argument("--band", type=float, default=BAND, metavar="FACTOR",
                        help=f"a measured metric's case mean must lie within this factor of the committed mean "
                             f"(default {BAND:g})")
    parser.add_argument("--keep", action="store_true", help="keep the reproduced sweep directory (its path is printed)")
    opts = parser.parse_intermixed_args(args)
    if not opts.dir.is_dir():
        raise ConfigError(f"{opts.dir} is not a directory; give an experiment folder, e.g. experiments/NAME")
    from distlab.reproduce import format_differences, reproduce

    result = reproduce(_experiment_folder(opts.dir), subset=opts.subset, overrides=opts.overrides, band=opts.band,
                       keep=opts.keep)
    print(format_differences(result, band=opts.band))
    return 1 if result.differences else 0
