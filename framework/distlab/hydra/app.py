"""The Hydra application: one Hydra job is one case, and a command line is preflight, then Hydra.

Exit status (README, "Exit status"): 0 when everything ran, 2 for a usage error (raised as a
:class:`~distlab.errors.ConfigError` for the command line to report), and 1 when a single run had a
failed trial. In a sweep, failures are data: the sweep goes on and exits 0. Ctrl-C (SIGINT) stops the
command with one line, what finished and the command that resumes the sweep, and exit status 130
(128 + SIGINT, as a shell reports a command the signal ended).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from distlab.case import Case
from distlab.errors import ConfigError
from distlab.host import get_registry
from distlab.hydra.compose import CONFIG_MODULE
from distlab.hydra.config_store import stored_registry
from distlab.hydra.errors import explain
from distlab.hydra.flags import split
from distlab.hydra.preflight import Checked, preflight
from distlab.hydra.progress import Progress, tracking
from distlab.hydra.resolve import case_from_config
from distlab.hydra.sweeper import preflighted
from distlab.hydra.workers import (SWEEP_PID_ENV, LauncherError, guarded_launchers, job_finished, job_started,
                                   launcher_module)
from distlab.runner import run_case, run_options
from distlab.status import FAILED, OK

__all__ = ["run", "task"]

log = logging.getLogger("distlab")

USAGE_EXIT = 2
INTERRUPTED_EXIT = 130
"""The exit status after Ctrl-C: 128 + SIGINT, as a shell reports a command that signal ended."""


def run(args: Sequence[str], *, checked: Checked | None = None, report: str | None = None) -> int:
    """Run a Hydra command line (a case, or a sweep with ``--multirun``): preflight, then Hydra.

    Args:
        args: Hydra's flags and the overrides, as given after ``distlab``.
        checked: what :func:`~distlab.hydra.preflight.preflight` found, if the caller ran it on these
            already (else it runs here).
        report: what a sweep's last line says after ``report:``, for a caller that makes the report itself
            or deletes the sweep directory (``""``: nothing); None suggests ``distlab report SWEEP_DIR``.

    Returns:
        The exit status: 1 if a single run had a failed trial, else Hydra's (0 when all ran).

    Raises:
        ConfigError: an unknown name, an invalid parameter or flags that do not go together.
    """
    with _one_ctrl_c():
        return _run(args, checked, report)


def _run(args: Sequence[str], checked: Checked | None, report: str | None) -> int:
    """:func:`run`, with Ctrl-C delivered once (:func:`_one_ctrl_c`)."""
    began = time.monotonic()
    stored_registry()  # Hydra composes from the ConfigStore, in this process and its launcher's workers
    _register_sweeper()
    line = split(args)
    try:
        if checked is None and line.runs:
            checked = preflight(line.overrides, multirun=line.multirun, config_name=line.config_name,
                                config_dir=line.config_dir)
    except KeyboardInterrupt:
        print("distlab: interrupted while checking the cases; nothing ran", file=sys.stderr)
        return INTERRUPTED_EXIT
    package = line.flag("--package", "-p")
    if package and not line.runs:
        _check_package(package, line.overrides, line.config_name, line.config_dir)
    if checked is not None and line.multirun and checked.sweep_dir:
        args = _plan(args, checked)
    statuses: list[str] = []  # each single run's case status, as the task returned it

    @functools.wraps(task)  # Hydra names the job after the task's module
    def job(cfg: DictConfig) -> str:
        status = task(cfg)
        if HydraConfig.get().mode != RunMode.MULTIRUN:
            statuses.append(status)
        return status

    hydra_main = hydra.main(version_base=None, config_path=f"pkg://{CONFIG_MODULE}", config_name="config")(job)
    saved = sys.argv
    sys.argv = ["distlab", *args]  # Hydra reads its command line from sys.argv
    progress: Progress | None = None
    try:
        total = checked.total if checked is not None and line.multirun else None
        # A launcher's lost worker fails its case, not the sweep (see workers.py); one line per finished job
        # (progress.py); the sweeper does not compose again the cases preflight checked (sweeper.py).
        with tracking(total, began) as progress, guarded_launchers(), \
                (preflighted() if checked is not None else contextlib.nullcontext()):
            hydra_main()
    except KeyboardInterrupt:
        print(_interrupted(progress, args, line.multirun, checked, line.config_name, line.config_dir), file=sys.stderr)
        return INTERRUPTED_EXIT
    except LauncherError as err:  # before any job: the launcher could not start (a Ray cluster that refuses)
        raise err.error from None
    except SystemExit as exit_:
        code = int(exit_.code or 0) if isinstance(exit_.code, int) else 1
        # With --cfg, --info or --help nothing runs: what Hydra refuses there (a --package the config lacks)
        # is the command line's mistake.
        return USAGE_EXIT if code == 1 and not line.runs else code
    except (HydraException, OmegaConfBaseException) as err:
        # Raised before any job ran (Hydra reports the errors of a running job itself, with exit status 1):
        # the hydra.* values preflight does not resolve, or the flags of --hydra-help and --help.
        raise ConfigError(explain(err, get_registry(), list(line.overrides))) from None
    except ValueError as err:  # Hydra's own checks of its flags
        raise ConfigError(f"{' '.join(str(err).split())} (see distlab --help)") from None
    except Exception as err:
        rerun = line.flag("--experimental-rerun")
        if rerun is None:
            raise
        # Hydra unpacks the file before any job runs: whatever it raises says the file is not one it saved.
        said = " ".join(str(err).split()) or type(err).__name__
        raise ConfigError(f"--experimental-rerun {rerun} is not a job's config as Hydra saves it ({said}); give "
                          "the file Hydra saved in a job directory's .hydra/ folder") from None
    finally:
        sys.argv = saved
    if progress is not None:
        print(progress.summary(checked.sweep_dir if checked is not None else None, report=report), file=sys.stderr)
    # A single run is one experiment a script may depend on: its failure is the command's.
    return 1 if FAILED in statuses else 0


REPEAT_S = 2.0
"""A SIGINT within this many seconds of the one that interrupted the command is the same Ctrl-C, delivered again."""


@contextlib.contextmanager
def _one_ctrl_c() -> Iterator[None]:
    """Within the block, a Ctrl-C raises ``KeyboardInterrupt`` once: a SIGINT again within :data:`REPEAT_S` is ignored.

    ``timeout -s INT`` sends SIGINT to the command, then to its process group, so the main process gets it twice,
    milliseconds apart (and a person may press Ctrl-C twice). A second ``KeyboardInterrupt`` would strike while the
    first one stops the launcher (joblib ends its workers, Hydra's launchers unwind) or while the line that says
    what finished is printed, or at the interpreter's exit: a traceback, an unprinted line, or the process killed
    by the signal instead of exit status 130. A SIGINT later than that raises again, so that a stop that hangs can
    still be interrupted. Only in the main thread and where SIGINT has Python's default handler; once the block
    is left without a Ctrl-C, the handler before it is back. Once it is left after one, SIGINT is ignored: the
    launcher has stopped and the line is printed, and what remains is the command's exit with status 130, which the
    same Ctrl-C arriving late must not turn into a death by the signal (Python puts back the default action of a
    signal it handles when the interpreter ends, not of one ignored).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    first: list[float] = []

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if first and now - first[0] < REPEAT_S:
            return
        first[:] = [now]
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN if first else signal.default_int_handler)


def _interrupted(progress: Progress | None, args: Sequence[str], multirun: bool, checked: Checked | None,
                 config_name: str, config_dir: str | None) -> str:
    """The one line after Ctrl-C: what finished, and the command that resumes (finished cases are skipped)."""
    if not multirun or checked is None:
        return "distlab: interrupted; the case did not finish (run the command again to run it)"
    resume = _resume_command(args, checked, config_name, config_dir)
    if progress is None:
        return f"distlab: interrupted; resume with: {resume}"
    return progress.interrupted(resume)


def _resume_command(args: Sequence[str], checked: Checked, config_name: str, config_dir: str | None) -> str:
    """The command that runs the sweep's cases not yet finished: the same one, in the same sweep directory.

    A case whose results are in the sweep directory is skipped, so the same command again resumes; the
    directory is pinned (a ``${now:...}`` in it would name another). An experiment's sweep (``distlab
    experiment DIR``, which runs ``--config-dir DIR --config-name sweep`` into ``DIR/runs``) resumes with
    its own verb's ``--resume``, which keeps ``DIR/runs``.
    """
    sweep_dir = checked.sweep_dir
    if config_dir and config_name == "sweep" and sweep_dir and Path(sweep_dir) == Path(config_dir) / "runs":
        flags = {"--multirun", "-m", "--config-dir", "-cd", "--config-name", "-cn", config_dir, config_name}
        extra = [a for a in args if a not in flags and not a.startswith(("hydra.sweep.dir=", "--config-"))]
        return shlex.join(["distlab", "experiment", config_dir, "--resume", *extra])
    pinned = [a for a in args if not a.startswith("hydra.sweep.dir=")]
    if sweep_dir:
        pinned.append(_sweep_dir_override(sweep_dir, plain=True))
    return shlex.join(["distlab", *pinned])


def _register_sweeper() -> None:
    """Make sure Hydra knows distlab's sweeper (``hydra/sweeper=distlab``, the default; see sweeper.py), also
    where its plugin discovery cannot list it.

    Hydra finds plugins by listing the ``hydra_plugins`` namespace's folders; an editable install of
    distlab maps the package by an import hook, which that listing does not see. Registering the class
    with Hydra's public ``Plugins.register`` gives the same result either way.
    """
    from hydra.core.plugins import Plugins

    from hydra_plugins.distlab_sweeper import DistlabSweeper

    Plugins.instance().register(DistlabSweeper)


def _check_package(package: str, overrides: Sequence[str], config_name: str, config_dir: str | None) -> None:
    """Refuse a ``--package`` the config does not have (Hydra prints a bare line and exits 1)."""
    from omegaconf import OmegaConf

    from distlab.hydra.compose import composing

    try:
        with composing(config_name, config_dir) as composer:
            cfg = composer.compose(overrides)
    except (HydraException, OmegaConfBaseException):
        return  # Hydra says what is wrong with the overrides, then
    if OmegaConf.select(cfg, package, default=None) is None:
        keys = ", ".join(str(k) for k in cfg.keys())
        raise ConfigError(f"--package {package}: the config has no key '{package}'; give one of its keys ({keys}) "
                          "or a key below one, e.g. --cfg job --package hydra.job")


def _plan(args: Sequence[str], checked: Checked) -> list[str]:
    """Record the sweep's cases in its directory before the first job (so a report of an interrupted
    sweep can say how many are missing), and pin the directory Hydra will use to the one preflight resolved.
    """
    from distlab.store import plan_sweep

    assert checked.sweep_dir is not None
    sweep_dir = Path(checked.sweep_dir)
    if checked.case_ids:
        plan_sweep(sweep_dir, list(checked.case_ids))
    # A later override wins in Hydra: this one repeats the user's own, or fixes ${now:...} to preflight's second.
    return [*args, _sweep_dir_override(str(sweep_dir))]


def _sweep_dir_override(sweep_dir: str, *, plain: bool = False) -> str:
    """``hydra.sweep.dir='DIR'``, quoted for Hydra's grammar: a comma or space in DIR must not split it.

    With ``plain``, a DIR of letters, digits and ``/._-~+:@%`` only goes unquoted (a command shown to a person).
    """
    if plain and re.fullmatch(r"[\w/.~+:@%-]+", sweep_dir):
        return f"hydra.sweep.dir={sweep_dir}"
    quoted = sweep_dir.replace("\\", "\\\\").replace("'", "\\'")
    return f"hydra.sweep.dir='{quoted}'"


def task(cfg: DictConfig) -> str:
    """Run one case: the task function Hydra calls once per job (in whichever process it likes).

    Args:
        cfg: the job's composed config.

    Returns:
        The case's status: ``ok``, ``failed``, or ``skipped`` when its results existed already.
    """
    hc = HydraConfig.get()
    registry = get_registry()  # built afresh in a launcher's worker process
    case = case_from_config(cfg, hc.runtime.choices, registry)
    job_dir = Path(hc.runtime.output_dir)
    root = Path(hc.sweep.dir) if hc.mode == RunMode.MULTIRUN else job_dir
    multirun = hc.mode == RunMode.MULTIRUN
    if multirun:
        _leave_ctrl_c_to_the_main_process()
        job_started(root, hc.job.num, case.case_id)  # in a launcher's worker: for the main process, if it dies
    began = time.monotonic()
    options = run_options(cfg)
    outcome = run_case(case, job_dir, root=root, overrides=list(hc.overrides.task), force=options.force,
                       retry_failed=options.retry_failed, trial_timeout_s=options.trial_timeout_s,
                       hostname=options.hostname, launcher=hc.runtime.choices.get("hydra/launcher"),
                       launcher_module=launcher_module(hc.launcher))
    if multirun:  # for the main process: a lost worker's jobs, and the progress lines
        job_finished(root, hc.job.num, str(outcome.status), case_id=outcome.case_id,
                     seconds=None if outcome.kept else time.monotonic() - began, kept=outcome.kept)
    log.info("case %s: %s (%s)", outcome.case_id, outcome.status, outcome.job_dir)
    if hc.mode != RunMode.MULTIRUN:
        print(_summary(outcome.job_dir, case))
    return str(outcome.status)


def _leave_ctrl_c_to_the_main_process() -> None:
    """In a launcher's worker, ignore SIGINT from now on.

    Ctrl-C reaches every process of the terminal's process group. The sweep's main process says what
    finished and stops its launcher, which ends the workers; a worker's own KeyboardInterrupt would only
    print a traceback (between two jobs, loky's worker loop has no handler for it).
    """
    import os
    import signal
    import threading

    main = os.environ.get(SWEEP_PID_ENV)
    if main and main != str(os.getpid()) and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _summary(job_dir: Path, case: Case) -> str:
    """A few lines for a person who ran one case: each metric's mean over the trials."""
    import polars as pl

    from distlab.store import RESULTS

    rows = pl.read_parquet(job_dir / RESULTS)
    ok = rows.filter(pl.col("status") == OK)
    lines = [f"{case.study.name} case {case.case_id}: {ok.height} of {rows.height} trials ok; results in {job_dir}"]
    for metric in case.study.metrics:
        if ok.height and metric.name in ok.columns:
            values = ok[metric.name].cast(pl.Float64)
            mean, low, high = (float(v) for v in (values.mean(), values.min(), values.max()))  # type: ignore[arg-type]
            lines.append(f"  {metric.name:<18} mean {mean:<14.6g} min {low:<14.6g} max {high:.6g}")
    for message in rows.filter(pl.col("status") != OK)["error_message"].unique().to_list():
        lines.append(f"  failed: {message}")
    return "\n".join(lines)
