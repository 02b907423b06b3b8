"""Launcher workers that die: one lost worker fails its case and the sweep goes on; workers die with their parent.

Under a launcher that runs jobs in worker processes (Hydra's joblib launcher, on loky), the kernel's
out-of-memory killer may SIGKILL the worker running a big case. loky then calls its pool broken,
SIGKILLs every other worker (their cases are lost too), and joblib raises ``TerminatedWorkerError``
out of the whole sweep: a traceback, and every case not yet run never runs. And a main process
killed by a signal leaves its workers computing their cases for minutes.

How distlab keeps the sweep going (:func:`guarded_launchers`, around Hydra in :func:`distlab.hydra.app.run`):

- Each job in a worker marks its start (the worker's pid and the case id) and its end in
  ``<sweep dir>/.distlab/jobs/<main pid>/`` (:func:`job_started`, :func:`job_finished`).
- The launcher Hydra makes is wrapped (:class:`GuardedLauncher`). When a launch raises
  ``BrokenProcessPool`` (loky's ``TerminatedWorkerError`` is one), the markers tell which jobs
  finished, which were running and which never started. The jobs that never started are launched
  again. Each job that was running is launched again *alone*: loky kills every worker once one dies,
  so a case that was running when its worker died cannot be told from a case loky killed afterwards
  (both die of SIGKILL, within milliseconds). Alone, a case whose worker dies again is the one: it is
  stored as a failed case (rows with ``status = failed`` and an error saying the worker died, by which
  signal) through the runner, so the report lists it and a re-run of the sweep retries it like any
  failed case; and a case that only died of its neighbours' memory gets to finish. A lost case is so
  run at most twice in one command, never in a loop.
- Ray's and submitit's launchers run each job in a process of its own and collect the results in job
  order; a worker that dies takes no other job with it, and their launch raises ``WorkerCrashedError``
  (Ray, after its own retries) or ``UncompletedJobError`` (submitit). The first job without an end
  marker is then the lost one, stored as failed at once; the jobs after it are launched again (a copy
  whose case the first launch finished meanwhile skips it).

Launchers whose workers the main process does not start (Ray's, whose workers a cluster's raylet starts,
perhaps on other hosts; submitit's, whose jobs SLURM starts) serialize the task function and run it
elsewhere; a worker there inherits nothing of the main process's environment. So the launcher gets the
task function wrapped in a :class:`SweepTask`, which carries the main process's pid and host with it and,
in the worker, sets distlab's environment variables as the main process has them (the sweep's pid
:data:`SWEEP_PID_ENV`, the plugins to load) before the job runs: jobs leave their markers wherever they
run (the sweep directory must then be on a file system the workers share, as their results must). The
plugin manager does not travel with it: :func:`distlab.host.get_registry` builds it afresh in the worker.

Why the wrapper sits on ``Plugins.instantiate_launcher``: Hydra admits launcher classes only from the
``hydra_plugins`` namespace, and distlab ships none; wrapping the launcher instance Hydra's sweeper
asks for is the one seam that keeps ``hydra/launcher=joblib`` (and any other launcher) as it is.

Workers die with their parent, in two ways:

- a worker running a job starts a daemon thread (:func:`watch_parent`) that checks every
  :data:`PARENT_POLL_S` whether its parent is still the sweep's main process (``os.getppid()``), and
  SIGKILLs its own process when not; this ends the busy workers, those that would compute for minutes;
- a worker that never ran a job (loky keeps an unused worker for 300 s), and loky's resource trackers, run no
  code of distlab's: a small guardian process (:data:`GUARDIAN`, one per sweep under a launcher other
  than Hydra's in-process one) notes the main process's descendants every :data:`PARENT_POLL_S` and,
  once the main process is gone, SIGKILLs those still alive (the same pid and start time). It reads
  ``/proc``, so it runs on Linux only; elsewhere the watchdog threads still end the busy workers.

Around the launchers, too (all in :func:`guarded_launchers`):

- Ctrl-C: submitit's local executor starts each job's controller in a session of its own, so that a terminal's
  SIGINT does not make each print a traceback; they and their jobs are SIGKILLed when the launch ends
  (:class:`_OwnSessionSubprocess`). Under joblib, loky ends its workers with psutil (a dependency of distlab's):
  without it loky runs ``pgrep`` children, which the SIGINT sent to the process group after the command's own
  (``timeout -s INT`` does so) kills, leaving loky's manager thread dead and the sweep hanging.
- A Ray cluster's address is tried (a TCP connection) before Ray's ``ray.init`` spends minutes on one that
  refuses; that, and a join Ray gives up on, is a :class:`LauncherError`: one line, exit status 2.
- While the main process shows its live progress display, a worker in another process takes its console log
  handlers off the terminal as a job starts (:func:`quiet_console`).

Why not ``prctl(PR_SET_PDEATHSIG)``: the death signal fires when the *thread* that forked the worker
exits, and loky forks its workers from whichever thread needs one (a management thread among them),
which may end long before the main process; a worker would then be killed mid-case for no reason. And
it would need code of distlab's at the worker's start, which loky gives no place for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from hydra._internal.core_plugins.basic_launcher import BasicLauncher
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

from distlab.errors import ConfigError, DistlabError
from distlab.status import FAILED

__all__ = ["GUARDIAN", "LOST_ERROR", "PARENT_POLL_S", "RAY_JOIN_TRIES", "RAY_JOIN_TRIES_ENV", "RAY_PROBE_S",
           "SWEEP_PID_ENV", "GuardedLauncher", "LauncherError", "SweepTask", "guarded_launchers", "job_finished",
           "job_started", "launcher_module", "quiet_console", "watch_parent"]

log = logging.getLogger("distlab")

SWEEP_PID_ENV = "DISTLAB_SWEEP_PID"
"""Set by the main process of a sweep to its pid, and inherited by its launcher's workers: a job that runs
in a process of another pid is in a worker, which marks its jobs and watches its parent."""

LOST_ERROR = "WorkerDied"
"""The ``error_type`` of a case whose worker process died while running it."""

PARENT_POLL_S = 0.5
"""How often a worker checks that the sweep's main process is still its parent."""

_JOBS = "jobs"
_watching = False
_elsewhere = False  # this process runs jobs of a sweep whose main process is on another host
_ENV_PREFIX = "DISTLAB_"  # the environment a sweep's workers get from its main process (SweepTask)

GUARDIAN = r"""
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the main process says it
main, me, poll = int(sys.argv[1]), os.getpid(), float(sys.argv[2])
def stat(pid):  # (parent pid, start time) of a process, or None once it is gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), fields[19]
    except (OSError, IndexError, ValueError):
        return None
known = {}
while os.getppid() == main:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != me:
            st = stat(int(name))
            if st:
                parents.setdefault(st[0], []).append((int(name), st[1]))
    stack = [main]
    while stack:
        for pid, start in parents.get(stack.pop(), []):
            if pid not in known:
                known[pid] = start
                stack.append(pid)
    known = {pid: start for pid, start in known.items() if (stat(pid) or (0, None))[1] == start}
    time.sleep(poll)
for pid, start in known.items():
    if (stat(pid) or (0, None))[1] == start:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
"""
"""The guardian's program (``python -I -S -c GUARDIAN MAIN_PID POLL_S``): the main process's descendants,
SIGKILLed once the main process is gone. Plain Python without imports of distlab, so it starts in
milliseconds."""


# -- in the worker --------------------------------------------------------------------------------


def _markers(root: Path) -> Path | None:
    """This worker's marker folder for the sweep in ``root``, or None outside a launcher's worker."""
    main = os.environ.get(SWEEP_PID_ENV)
    if not main or (main == str(os.getpid()) and not _elsewhere):
        return None
    from distlab.store import STATE_DIR

    return root / STATE_DIR / _JOBS / main


def job_started(root: Path, num: int, case_id: str) -> None:
    """Mark job ``num`` of the sweep in ``root`` as running ``case_id`` in this process (in a worker only).

    Also starts this worker's parent watchdog (:func:`watch_parent`).
    """
    folder = _markers(root)
    if folder is None:
        return
    main = int(os.environ[SWEEP_PID_ENV])
    if os.getppid() == main and not _elsewhere:  # a worker the main process started (not a launcher's server)
        watch_parent(main)
    from distlab.store import write_json

    write_json(folder / f"{num}.started", {"pid": os.getpid(), "case_id": case_id})


def job_finished(root: Path, num: int, status: str, *, case_id: str | None = None,
                 seconds: float | None = None, kept: bool = False) -> None:
    """Mark job ``num`` of the sweep in ``root`` as finished with ``status``, for the main process.

    In a worker it writes the job's done marker (with ``case_id`` and ``seconds``, which the main process's
    progress lines show, :mod:`distlab.hydra.progress`); in the main process (Hydra's basic launcher) it
    tells the progress lines directly. ``kept``: a failed case kept from an earlier run, not run again.
    """
    folder = _markers(root)
    if folder is None:
        if case_id is not None:
            from distlab.hydra.progress import report

            report(num, case_id, status, seconds, kept=kept)
        return
    from distlab.store import write_json

    write_json(folder / f"{num}.done", {"pid": os.getpid(), "status": status, "case_id": case_id,
                                        "seconds": seconds, "kept": kept})


def watch_parent(parent: int) -> None:
    """End this process soon after ``parent`` (the sweep's main process) is no longer its parent.

    Starts one daemon thread per process (later calls do nothing). When the main process dies, however
    it dies, the worker is re-parented and ``os.getppid()`` changes; the thread then SIGKILLs its own
    process: its case is left unfinished, which the store's atomic writes allow (the next run of the
    sweep runs it).
    """
    global _watching
    if _watching:
        return
    _watching = True

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os.kill(os.getpid(), signal.SIGKILL)  # no handler or atexit: nothing of a half-run case to save

    threading.Thread(target=watch, name="distlab-parent-watchdog", daemon=True).start()


class SweepTask:
    """The task function as a launcher's workers get it: it tells each worker which sweep it serves.

    Serializable (launchers serialize the task function to run it in their workers), it carries the main
    process's distlab environment (every ``DISTLAB_*`` variable: the plugins to load, ``--debug``, the
    sweep's pid :data:`SWEEP_PID_ENV`) and host name, and sets that environment in the worker before the
    job runs. So, whatever started the worker (the main process under joblib or submitit's local
    executor; a Ray cluster's raylet; SLURM), jobs mark their start and end for the main process
    (:func:`job_started`, :func:`job_finished`), and the worker's registry loads the plugins the main
    process checked the cases against. A worker on another host may have the main process's pid; the
    host name tells them apart.

    Args:
        task: Hydra's task function (distlab's, :func:`distlab.hydra.app.task` behind ``hydra.main``).
        pid: the sweep's main process.
        host: the host name of the main process.
        env: the main process's ``DISTLAB_*`` environment variables (with :data:`SWEEP_PID_ENV`).
    """

    def __init__(self, task: TaskFunction, pid: int, host: str, env: dict[str, str]) -> None:
        self.task = task
        self.pid = pid
        self.host = host
        self.env = env

    def __call__(self, cfg: DictConfig) -> Any:
        """Run the job in this process, in the sweep's distlab environment."""
        global _elsewhere
        here = socket.gethostname()
        if self.pid != os.getpid() or self.host != here:
            _elsewhere = self.host != here
            mine = {key: value for key, value in os.environ.items() if key.startswith(_ENV_PREFIX)}
            if mine != self.env:
                for key in mine.keys() - self.env.keys():
                    del os.environ[key]
                os.environ.update(self.env)
                from distlab import host

                host.reset()  # a registry built in this worker before, from other variables, is not the sweep's
            from distlab.hydra.progress import LIVE_ENV

            if os.environ.get(LIVE_ENV) == "1":  # Hydra has configured the job's logging: take it off the terminal
                quiet_console()
        return self.task(cfg)


def quiet_console() -> None:
    """Remove this process's log handlers that write to the console (stdout or stderr); keep the others.

    In a launcher's worker while the main process shows its live progress display (``DISTLAB_PROGRESS_LIVE=1``,
    :mod:`distlab.hydra.progress`): a worker shares the terminal, and its log lines (Hydra's job logging prints
    each to stdout) would break the display's line. The job's log file (a ``FileHandler``) keeps them.
    """
    from distlab.hydra.progress import stream_handlers

    consoles = {id(stream) for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__) if stream is not None}
    for logger, handler in stream_handlers():
        if id(handler.stream) in consoles:
            logger.removeHandler(handler)


def _sweep_task(task: TaskFunction) -> SweepTask:
    """``task`` wrapped for the workers of a sweep whose main process is this one."""
    env = {key: value for key, value in os.environ.items() if key.startswith(_ENV_PREFIX)}
    return SweepTask(task, os.getpid(), socket.gethostname(), env)


# -- in the main process --------------------------------------------------------------------------


@contextlib.contextmanager
def guarded_launchers() -> Iterator[None]:
    """Within the block, every launcher Hydra makes is a :class:`GuardedLauncher`, and workers can tell
    the main process's pid (:data:`SWEEP_PID_ENV`)."""
    plugins = Plugins.instance()
    original = plugins.instantiate_launcher
    saved = os.environ.get(SWEEP_PID_ENV)
    os.environ[SWEEP_PID_ENV] = str(os.getpid())  # before any worker is started, so that they inherit it

    guardians: list[subprocess.Popen[bytes]] = []
    restore: list[Callable[[], None]] = []  # undo what was patched for a launcher

    def instantiate_launcher(*, hydra_context: HydraContext, task_function: TaskFunction,
                             config: DictConfig) -> Launcher:
        # A launcher's workers may be anywhere: they learn which sweep they serve from the task they get.
        inner = original(hydra_context=hydra_context, task_function=_sweep_task(task_function), config=config)
        _existing_ray_cluster(inner)
        if _ray_address(inner) is not None and RAY_JOIN_TRIES_ENV not in os.environ:
            # Something answers there: Ray's ray.init tries its GCS 20 times, each up to 40 s when the cluster does
            # not let it in (a token missing): 14 minutes of warnings. A cluster running when the sweep starts
            # answers the first try; Ray reads the variable as it joins (ray/_private/node.py, _init_gcs_client),
            # and a user's own value is kept (more tries for a head still recovering its GCS).
            os.environ[RAY_JOIN_TRIES_ENV] = str(RAY_JOIN_TRIES)
            restore.append(_unset_ray_join_tries)
        if _submitit_local(inner):
            restore.append(_controllers_in_own_session())
        if not _is_basic(inner) and not guardians and sys.platform.startswith("linux"):
            guardians.append(subprocess.Popen([sys.executable, "-I", "-S", "-c", GUARDIAN, str(os.getpid()),
                                               str(PARENT_POLL_S)], stdin=subprocess.DEVNULL))
        guarded = GuardedLauncher(inner)
        guarded.setup(hydra_context=hydra_context, task_function=task_function, config=config)
        return guarded

    plugins.instantiate_launcher = instantiate_launcher  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        plugins.instantiate_launcher = original  # type: ignore[method-assign]
        for undo in restore:
            undo()
        for guardian in guardians:  # the sweep is over: nothing left to guard
            guardian.kill()
            guardian.wait()
        if saved is None:
            os.environ.pop(SWEEP_PID_ENV, None)
        else:
            os.environ[SWEEP_PID_ENV] = saved


def _existing_ray_cluster(launcher: Launcher) -> None:
    """Let hydra-ray-launcher (1.2.2) join an existing cluster (``hydra.launcher.ray.init.address=...``).

    It passes ``object_store_memory`` (75 MiB) to every ``ray.init``, which Ray refuses when it joins a
    cluster ("When connecting to an existing cluster, object_store_memory must not be provided"; Hydra's
    issue 2893, fixed after 1.2.2). With an address and no ``object_store_memory`` of the user's, the key
    is set to None, which the launcher keeps and Ray reads as "not given", as the issue's workaround does.
    """
    if not type(launcher).__module__.startswith("hydra_plugins.hydra_ray_launcher."):
        return
    init = getattr(getattr(launcher, "ray_cfg", None), "init", None)
    if isinstance(init, DictConfig) and init.get("address") and "object_store_memory" not in init:
        with open_dict(init):
            init.object_store_memory = None
    address = _ray_address(launcher)
    if address is not None:
        refused = _ray_refusal(address)
        if refused is not None:
            raise LauncherError(ConfigError(
                f"hydra.launcher.ray.init.address={address}: no Ray cluster answers there ({refused}); nothing ran. "
                f"{_RAY_CHECK}"))


RAY_JOIN_TRIES_ENV = "RAY_gcs_server_port_wait_time_s"
"""Ray's variable for how many times (about a second apart) a process joining a cluster tries to reach its GCS."""

RAY_JOIN_TRIES = 3
"""Those tries when a sweep joins a cluster by address (Ray's default is 20), unless the variable is set."""

RAY_PROBE_S = 5.0
"""How long the main process waits for a TCP connection to a Ray cluster's address before it gives up on it
(Ray's own ``ray.init`` tries for minutes: 20 times, each up to 40 s with Ray 2.60, warning as it goes)."""

_RAY_CHECK = ("Check that the head node runs (`ray start --head --port=PORT` on it) and give the address it prints, "
              "the head's node IP and port (127.0.0.1 reaches only a head on this machine, which Ray then "
              "addresses by this machine's IP); a cluster with token authentication (what `ray start` turns on in "
              "recent Ray) needs RAY_AUTH_MODE=token and its RAY_AUTH_TOKEN (or the head's ~/.ray/auth_token) "
              "where the command runs, and the Ray here must be the cluster's version.")


class LauncherError(BaseException):
    """A launcher that cannot start its jobs (a Ray cluster that refuses), said in distlab's words.

    A ``BaseException``, so that it passes through Hydra, which prints the traceback of any ``Exception`` out of
    a sweep and exits 1; :func:`distlab.hydra.app.run` raises the :class:`~distlab.errors.DistlabError` it carries,
    which the command line prints as one line.

    Args:
        error: what to tell.
    """

    def __init__(self, error: DistlabError) -> None:
        super().__init__(str(error))
        self.error = error


def _ray_address(launcher: Launcher) -> str | None:
    """The address of the cluster a Ray launcher joins (``hydra.launcher.ray.init.address``), or None."""
    if not type(launcher).__module__.startswith("hydra_plugins.hydra_ray_launcher."):
        return None
    init = getattr(getattr(launcher, "ray_cfg", None), "init", None)
    address = init.get("address") if isinstance(init, DictConfig) else None
    return str(address) if address else None


def _ray_refusal(address: str) -> str | None:
    """Why no Ray cluster can answer at ``address`` (``HOST:PORT``), or None when a connection there succeeds.

    Tried as given and as Ray will (it replaces 127.0.0.1 and localhost by this machine's IP): the cluster
    may listen on either. Other forms (``auto``, ``ray://...``) are left to Ray.
    """
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address or not host:
        return None
    targets = [(host.strip("[]"), int(port))]
    with contextlib.suppress(Exception):  # Ray's own reading of the address, where this Ray has it
        from ray._private.services import canonicalize_bootstrap_address

        theirs = str(canonicalize_bootstrap_address(address))
        other, _, other_port = theirs.rpartition(":")
        if other_port.isdigit() and (other.strip("[]"), int(other_port)) not in targets:
            targets.append((other.strip("[]"), int(other_port)))
    reasons = []
    for target_host, target_port in targets:
        try:
            with socket.create_connection((target_host, target_port), timeout=RAY_PROBE_S):
                return None
        except TimeoutError:
            reasons.append(f"{target_host}:{target_port}: no answer within {RAY_PROBE_S:g} s")
        except OSError as err:
            reasons.append(f"{target_host}:{target_port}: {(err.strerror or str(err)).lower()}")
    return "; ".join(reasons)


def _ray_join_failed(launcher: Launcher, err: Exception) -> LauncherError | None:
    """The error to raise when a Ray launcher's launch raised ``err`` because Ray could not join its cluster."""
    address = _ray_address(launcher)
    if address is None:
        return None
    try:
        import ray
    except ImportError:
        return None
    if ray.is_initialized():
        return None  # joined: a job's error, not the cluster's
    said = " ".join(str(err).split("\n", 1)[0].split()) or "no message"
    return LauncherError(ConfigError(f"hydra.launcher.ray.init.address={address}: Ray could not join the cluster "
                                     f"({type(err).__name__}: {said}); nothing ran. {_RAY_CHECK}"))


def _unset_ray_join_tries() -> None:
    """Remove the variable :func:`guarded_launchers` set for Ray (:data:`RAY_JOIN_TRIES_ENV`)."""
    os.environ.pop(RAY_JOIN_TRIES_ENV, None)


def _submitit_local(launcher: Launcher) -> bool:
    """Whether ``launcher`` is hydra-submitit-launcher's local one (``hydra/launcher=submitit_local``)."""
    cls = type(launcher)
    return cls.__module__.startswith("hydra_plugins.hydra_submitit_launcher.") and cls.__name__ == "LocalLauncher"


class _OwnSessionSubprocess:
    """The ``subprocess`` module as submitit's local executor sees it in the main process: every process it starts
    (the controller of a job, ``python -m submitit.local._local``) begins a session of its own.

    A controller shares the main process's stderr and, started as it is, its process group: a Ctrl-C in the terminal
    reaches it too, and each prints the traceback of its ``KeyboardInterrupt`` (``submitit/local/local.py``, in
    ``time.sleep``) after distlab's line. In a session of its own it gets no terminal's signal, and the job's
    process it starts is in its process group: when the sweep's launch is over, however it ended (Ctrl-C among
    others), :meth:`stop` SIGKILLs the groups still running, as Ctrl-C would have ended them.
    """

    def __init__(self, module: Any) -> None:
        self.module = module
        self.started: list[Any] = []  # the controllers, each the leader of its process group

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)

    def Popen(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 (the name submitit calls)
        """``subprocess.Popen`` with ``start_new_session=True``."""
        kwargs.setdefault("start_new_session", True)
        process = self.module.Popen(*args, **kwargs)
        self.started.append(process)
        return process

    def stop(self) -> None:
        """SIGKILL the process group of every controller still running (it and its job), and reap them.

        After a sweep that finished they are gone or ending (every job's result was read); after Ctrl-C or an
        error they would run their jobs on. SIGKILL, not SIGINT or SIGTERM: a controller prints the traceback of
        its ``KeyboardInterrupt``, and a job's case left unfinished is what the store's atomic writes allow.
        """
        for process in self.started:
            if process.poll() is None:
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGKILL)
        for process in self.started:
            with contextlib.suppress(Exception):
                process.wait(timeout=5)
        self.started.clear()


def _controllers_in_own_session() -> Callable[[], None]:
    """Have submitit's local executor start its job controllers in sessions of their own (see
    :class:`_OwnSessionSubprocess`); returns what undoes it.

    submitit (1.5) starts them with ``subprocess.Popen`` in ``submitit.local.local.start_controller``, with no
    option for the session: the module's name ``subprocess`` is what is replaced, for the sweep only. In the main
    process that module starts nothing else (its ``Controller`` runs in the controller process, which imports it
    afresh).
    """
    import importlib

    local: Any = importlib.import_module("submitit.local.local")  # an optional extra's (slurm)
    saved = local.subprocess
    if isinstance(saved, _OwnSessionSubprocess):
        return lambda: None
    shim = _OwnSessionSubprocess(saved)
    local.subprocess = shim

    def undo() -> None:
        local.subprocess = saved
        shim.stop()

    return undo


class GuardedLauncher(Launcher):
    """A launcher around Hydra's: a worker lost in a launch fails its case, and the other jobs still run.

    Args:
        inner: the launcher Hydra made for the sweep (joblib's, or any other).
    """

    def __init__(self, inner: Launcher) -> None:
        self.inner = inner
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Remember the sweep's config (to compose a lost job's case); the inner launcher is set up already."""
        self.config = config
        self.hydra_context = hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        """Launch the jobs with the inner launcher; after a lost worker, run again what did not finish.

        Args:
            job_overrides: each job's overrides.
            initial_job_idx: the number of the first job.

        Returns:
            One return per job, in order; a job whose worker died returns the status ``failed``.
        """
        assert self.config is not None
        root = Path(str(self.config.hydra.sweep.dir))
        from distlab.store import STATE_DIR

        folder = root / STATE_DIR / _JOBS / str(os.getpid())
        shutil.rmtree(folder, ignore_errors=True)  # an earlier command of the same pid, long gone
        from distlab.hydra.progress import current

        progress = current()
        if progress is not None:  # its thread reads the jobs' done markers in this folder
            progress.launching(folder, self._parallel())
        results: dict[int, JobReturn] = {}
        todo = list(range(len(job_overrides)))
        alone: list[int] = []
        try:
            while todo or alone:
                if alone:
                    i = alone.pop(0)
                    try:
                        results[i] = self.inner.launch([job_overrides[i]], initial_job_idx + i)[0]
                    except Exception as err:
                        if not _lost_worker(err):
                            raise
                        results[i] = self._lost(job_overrides[i], initial_job_idx + i, err)
                    continue
                chunk = _first_run(todo)
                try:
                    returns = self.inner.launch([job_overrides[i] for i in chunk], initial_job_idx + chunk[0])
                    results.update(zip(chunk, returns))
                    todo = [i for i in todo if i not in set(chunk)]
                except Exception as err:
                    refused = _ray_join_failed(self.inner, err)
                    if refused is not None:
                        raise refused from None
                    if not _lost_worker(err):
                        raise
                    started, done = _read_markers(folder, initial_job_idx)
                    for i in chunk:
                        if i in done:
                            results[i] = JobReturn(overrides=list(job_overrides[i]), status=JobStatus.COMPLETED,
                                                   _return_value=done[i])
                    if not isinstance(err, BrokenProcessPool):
                        # Ray's or submitit's: jobs of their own processes, collected in order. Those before the
                        # first unfinished one returned; that one's worker died (after Ray's own retries) and
                        # took no other job with it; the later ones are launched again, and a copy that finds
                        # its case finished by the first launch skips it.
                        lost = next((i for i in chunk if i not in done), None)
                        if lost is None:
                            raise
                        results[lost] = self._lost(job_overrides[lost], initial_job_idx + lost, err, alone=False)
                        todo = [i for i in todo if i not in done and i != lost]
                        continue
                    running = [i for i in chunk if i in started and i not in done]
                    if not running and not any(i in done for i in chunk):
                        running = chunk[:1]  # died before any job began: run the first alone, to make progress
                    log.warning("a worker process died (%s) while jobs %s ran; each is run again alone, and the "
                                "jobs not yet started are launched again", _exit_codes(err),
                                ", ".join(f"#{initial_job_idx + i}" for i in running) or "(none)")
                    alone += running
                    todo = [i for i in todo if i not in done and i not in running]
        finally:
            if progress is not None:
                progress.poll(folder)  # the last jobs' markers, before they go
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                folder.parent.rmdir()  # unless another sweep into this directory is marking its jobs
        return [results[i] for i in range(len(job_overrides))]

    def _parallel(self) -> int | None:
        """How many jobs the inner launcher runs at once, if it says (``n_jobs`` as joblib reads it)."""
        if _is_basic(self.inner):
            return 1
        n_jobs = self.config.hydra.launcher.get("n_jobs") if self.config is not None else None
        if not isinstance(n_jobs, int) or n_jobs == 0:
            return None
        return n_jobs if n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + n_jobs)

    def _lost(self, overrides: Sequence[str], num: int, err: BaseException, *, alone: bool = True) -> JobReturn:
        """Store the case of job ``num`` as failed: its worker died (again, when it ran ``alone``)."""
        assert self.config is not None and self.hydra_context is not None
        if alone:
            codes = _exit_codes(err)
            oom = " (SIGKILL: likely the kernel's out-of-memory killer)" if "SIGKILL" in codes or "-9" in codes else ""
            message = (f"the worker process running this case died: killed by {codes}{oom}, and again when it "
                       "ran alone; its trials have no results. A re-run of the sweep runs it again; "
                       "give it more memory or fewer parallel jobs (hydra.launcher.n_jobs).")
        else:
            said = " ".join(str(err).split("\n", 1)[0].split())
            message = (f"the worker process running this case died ({type(err).__name__}: {said}); its trials "
                       "have no results. A re-run of the sweep runs it again; give it more memory (the "
                       "launcher's own setting, e.g. hydra.launcher.mem_gb under SLURM).")
        try:
            from distlab.host import get_registry
            from distlab.hydra.resolve import case_from_config
            from distlab.runner import record_lost_case, run_options

            cfg = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            with open_dict(cfg):
                cfg.hydra.job.num = num
                cfg.hydra.job.id = f"{cfg.hydra.job.name}_{num}"
            hydra_config = HydraConfig.instance()
            saved: Any = hydra_config.cfg
            hydra_config.set_config(cfg)  # the job's own ${hydra:...} values, as in its worker
            try:
                case = case_from_config(cfg, cfg.hydra.runtime.choices, get_registry())
                root = Path(str(cfg.hydra.sweep.dir))
                job_dir = root / str(cfg.hydra.sweep.subdir)
                record_lost_case(case, job_dir, root=root, overrides=list(overrides), error_type=LOST_ERROR,
                                 message=message, hostname=run_options(cfg).hostname,
                                 launcher=cfg.hydra.runtime.choices.get("hydra/launcher"),
                                 launcher_module=launcher_module(cfg.hydra.launcher))
                job_finished(root, num, FAILED, case_id=case.case_id)  # in the main process: its progress line
            finally:
                if saved is not None:
                    hydra_config.set_config(saved)
        except Exception as store_err:  # the sweep goes on; the case is missing, and the report says so
            log.error("job #%d: %s; and it could not be stored as failed: %s", num, message, store_err)
        return JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED, _return_value=FAILED)


def _first_run(indices: list[int]) -> list[int]:
    """The first run of consecutive numbers in ``indices`` (a launch numbers its jobs consecutively)."""
    run = indices[:1]
    for i in indices[1:]:
        if i != run[-1] + 1:
            break
        run.append(i)
    return run


def _read_markers(folder: Path, initial: int) -> tuple[set[int], dict[int, Any]]:
    """The jobs (as indices of the launch) that started, and those that finished with their status."""
    from distlab.hydra.markers import read_markers

    markers = read_markers(folder)
    return ({num - initial for num in markers.started},
            {num - initial: record.get("status") for num, record in markers.records.items()})


_LOST_WORKER = {"WorkerCrashedError", "UncompletedJobError"}
"""What a launcher other than joblib raises when the worker running a job died: Ray's (``ray.exceptions``, once
its own retries are spent) and submitit's (a job that ended without a result: killed, or past its time).
Known by name, so that distlab imports neither."""


def _lost_worker(err: BaseException) -> bool:
    """Whether ``err``, raised out of a launch, says that a worker died (not that a job raised)."""
    return isinstance(err, BrokenProcessPool) or any(c.__name__ in _LOST_WORKER for c in type(err).__mro__)


def _exit_codes(err: BaseException) -> str:
    """The signal or exit code loky reports for the dead worker(s), e.g. ``SIGKILL(-9)``."""
    m = re.search(r"exit codes of the workers are \{([^}]*)\}", str(err))
    return m.group(1) if m else "an unknown cause"


def _is_basic(launcher: Launcher) -> bool:
    """Whether ``launcher`` is Hydra's basic launcher (runs jobs one by one in this process).

    Compared by module and name, not ``isinstance``: Hydra's plugin scan imports its core plugin modules
    again, so the class the launcher was made from need not be the one imported here.
    """
    cls = type(launcher)
    return (cls.__module__, cls.__name__) == (BasicLauncher.__module__, BasicLauncher.__name__)


def launcher_module(launcher: Any) -> str | None:
    """The module of a launcher's class, from its config's ``_target_`` (None when it names none).

    Provenance records the versions of the distribution that ships it (a launcher is a Hydra plugin
    with a release of its own, and so is the engine under it: ray, submitit, joblib).
    """
    target = launcher.get("_target_") if launcher is not None else None
    return str(target).rpartition(".")[0] or None if target else None
