"""Malformed command lines (issue 9, item 13): each gets a clear error and exit status 2, never a traceback.

:func:`malformed_commands` generates a few hundred malformed ``distlab`` command lines: bad overrides
(odd values of every type of key: empty, unicode, huge numbers, nan/inf, nested brackets, ``+``/``~``/``@``,
sweeps of bad values), bad flags and ``--cfg`` combinations, bad verbs and bad arguments of each verb,
paths that do not exist or are files. :func:`run_in_process` runs one through ``distlab.cli.main`` and
:func:`verdict` judges it: a Python traceback, an exit status other than 0, 1 or 2, or exit 1 where
nothing ran (a usage error) is a failure.

The regression tests run the commands that failed before the fix, a sample of the rest and a handful
through a real subprocess (to be sure the in-process run says what a user sees): about 12 s. The whole
set runs in-process in about 50 s with ``pytest -m slow tests/test_malformed_commands.py``, or as a
script that lists what fails: ``python tests/test_malformed_commands.py``.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# -- the generator --------------------------------------------------------------------------------

# Keys of every type the built-in studies have, with a key of another study and Hydra's own.
_KEYS = ["seed", "repeats", "force", "study", "strategy", "world.vm.memory_mib", "world.link.bandwidth_mbit_s",
         "world.link.precopy_rate_limit_mbit_s", "world.link.limit_stop_copy", "strategy.max_rounds",
         "strategy.stop_policy", "workload", "serializer", "hydra.job.chdir", "hydra.launcher.n_jobs"]
_VALUES = ["", "é", "名前", "🙂", "\x00", "2**70", "18446744073709551616", "1" * 400, "-0", "1e999", "-1e999",
           "nan", "inf", "-inf", "[[1]]", "[[", "]]", "{a:{b:1}}", "{", "[1,[2,[3]]]", "()", "'", '"', "''", "null",
           "${oc.env:NOPE}", "${nope}", "${", "\\", "a b", "0x10", "1__0", "true,false", "~", "+", "@", "=", "==",
           "%s", "../..", "/dev/zero", "choice()", "range(0)", "range(1,10,0)", "interval(1,0)", "glob()", "sort()",
           "shuffle(1,2)", "tag(a)", "int(x)", "str()", "extend_list(1)"]
# Overrides whose key or prefix is wrong.
_SHAPES = ["=1", "=", "==", "+seed=1", "++seed=1", "~seed", "~study", "~world", "~strategy", "~strategy.max_rounds",
           "~nope", "~seed=1", "+strategy=precopy", "+world=rpc", "+study=rpc", "strategy@x=precopy",
           "study@x=migration", "world@strategy=migration", "@=1", "a.=1", ".a=1", "a..b=1", "seed.x=1",
           "world.vm.memory_mib.x=1", "world=rpc", "world=", "world.nope=1", "world.vm=1", "world.vm=[1]",
           "strategy.nope=1", "strategy.max_rounds.x=1", "é=1", "名前=1", "seed =1", " seed=1", "seed= 1",
           "hydra=1", "hydra.nope=1", "hydra.run=1", "hydra.run.dir=", "hydra.sweep.dir=", "hydra/launcher=nope",
           "hydra/launcher=", "hydra/sweeper=nope", "hydra/help=nope", "hydra/nope=x", "hydra.job.env_set=1",
           "hydra.sweeper.params={seed:[1]}", "hydra.sweeper.params=1", "hydra.callbacks=1",
           "hydra.launcher.n_jobs=x", "hydra.verbose=[[", "hydra.mode=NOPE", "hydra.mode=RUN", "study=", "study=nope",
           "study=rpc,migration", "strategy=", "strategy=null", "strategy=[precopy]", "strategy=1",
           "workload=precopy", "serializer=xdr", "study=rpc strategy=precopy", "defaults=[]", "_self_=1",
           "hydra.output_subdir=/dev/null", "seed=1 seed=x"]
# Sweeps (with -m) of bad values.
_SWEEPS = ["seed=a,b", "seed=1,a", "seed=,", "seed=,,", "strategy=precopy,nope", "strategy=precopy,", "repeats=0,1",
           "seed=range(0)", "seed=range(1,2**70)", "seed=range(0,1e20)", "seed=range(a)", "seed=choice()",
           "seed=choice(a,b)", "repeats=interval(0,1)", "strategy=glob(*)", "strategy=glob(nope*)",
           "study=glob(*)", "seed=sort(b,a)", "seed=shuffle(a)", "seed=range(0,1e999)", "seed=range(0,10,0)", "seed=range(0,nan)", "seed=range(0,1000) repeats=range(0,1000) force=true,false", "force=true,2",
           "world.vm.memory_mib=1,0", "world.link.bandwidth_mbit_s=nan,1", "seed=[1,2],[3]",
           "strategy.max_rounds=1,2 strategy=postcopy", "workload=nope,uniform", "hydra.launcher.n_jobs=1,2"]
_FLAGS = [["--cfg"], ["--cfg", "nope"], ["--cfg", "job", "-m"], ["-m", "--cfg", "all"], ["--cfg", "job", "--info"],
          ["--cfg", "job", "seed=x"], ["--cfg", "hydra", "strategy=nope"], ["-c", "all", "--resolve", "seed=x"],
          ["--package", "nope", "--cfg", "job"], ["-p", "", "--cfg", "job"], ["--info", "nope"], ["--info", "-m"],
          ["--info", "searchpath", "seed=x"], ["-i", "all", "strategy=nope"], ["--config-name", "nope"],
          ["--config-name", ""], ["-cn", "../config"], ["--config-name", "config", "--config-name"],
          ["--config-dir", "/nonexistent/dir"], ["--config-dir", "FILE"], ["--config-dir", ""], ["-cd"],
          ["--config-path", "/nonexistent"], ["-cp", "nope"], ["--config-path", "FILE"], ["--hydra-help", "x=1"],
          ["--help", "seed=x"], ["--shell-completion"], ["-sc", "install=nope"], ["--experimental-rerun"],
          ["--experimental-rerun", "/nonexistent.pickle"], ["--experimental-rerun", "FILE"], ["--multirun", "--multirun"],
          ["-m", "-m", "seed=0,1", "--cfg", "job"], ["--resolve"], ["--run"], ["--nope"], ["-x"], ["--"], ["-"],
          ["---"], ["--=1"], ["-m", "--nope"], ["--version", "x"], ["-V", "seed=1"], ["--multirun=1"], ["--cfg=job", "seed=x"],
          ["--config-dir=FILE"], ["--info=nope"], ["-m", "seed=1", "--config-dir", "/nonexistent"]]
_VERBS = [["plugin"], ["reports"], ["run"], ["help"], ["é"], [""], ["list"], ["sweep", "seed=0"], ["plugins", "x"],
          ["plugins", "--nope"], ["plugins", "-m"], ["plugins", "seed=1"], ["report"], ["report", ""],
          ["report", "/nonexistent/dir"], ["report", "FILE"], ["report", "EMPTY"], ["report", "EMPTY", "--out"],
          ["report", "EMPTY", "--out", "FILE"], ["report", "EMPTY", "--out", "/nonexistent/deep/out"],
          ["report", "EMPTY", "--out", ""], ["report", "EMPTY", "--analysis"],
          ["report", "EMPTY", "--analysis", "/nonexistent.py"], ["report", "EMPTY", "--analysis", "EMPTY"],
          ["report", "EMPTY", "--analysis", "FILE"], ["report", "EMPTY", "EMPTY"], ["report", "--nope"],
          ["report", "EMPTY", "seed=1"], ["report", "é"], ["report", "\x00"], ["report", "/dev/null"],
          ["report", "/dev/zero"], ["report", "/proc/self"], ["report", "EMPTY", "--out", "/dev/null"],
          ["report", "EMPTY", "--out", "/proc"], ["experiment"], ["experiment", ""],
          ["experiment", "/nonexistent"], ["experiment", "FILE"], ["experiment", "EMPTY"],
          ["experiment", "EMPTY", "seed=x"], ["experiment", "/nonexistent", "--resume"],
          ["experiment", "/nonexistent", "--report-only"], ["experiment", "EMPTY", "--report-only"],
          ["experiment", "EMPTY", "--nope"], ["experiment", "BADSWEEP"], ["experiment", "BADSWEEP", "seed=x"],
          ["experiment", "BADYAML"], ["experiment", "BADYAML", "--report-only"], ["experiment", "EMPTYSWEEP"],
          ["experiment", "LISTSWEEP"], ["experiment", "\x00"], ["bench", "--nope"], ["bench", "x"],
          ["bench", "--quick", "x"], ["bench", "--quick=1"], ["bench", "-m"], ["bench", "seed=1"], ["new"],
          ["new", "plugin"], ["new", "plugin", ""], ["new", "plugin", "my-plug"], ["new", "plugin", "1plug"],
          ["new", "plugin", "class"], ["new", "plugin", "é"], ["new", "plugin", "名前"], ["new", "plugin", "a b"],
          ["new", "plugin", "../x"], ["new", "plugin", "/abs"], ["new", "plugin", "x" * 300],
          ["new", "plugin", "ok_name", "--kind"], ["new", "plugin", "ok_name", "--kind", "nope"],
          ["new", "plugin", "ok_name", "--kind", ""], ["new", "plugin", "ok_name", "--kind", "é"],
          ["new", "plugin", "ok_name", "--kind", "strategy", "--kind", "nope"], ["new", "plugin", "distlab"],
          ["new", "plugin", "precopy"], ["new", "plugin", "os"], ["new", "plugin", "NONEMPTY"],
          ["new", "plugin", "FILE"], ["new", "study", "x"], ["new", "nope"], ["new", "--nope"],
          ["new", "plugin", "ok_name", "extra"], ["new", "plugin", "ok_name", "--dir", "/nonexistent"],
          ["new", "plugin", "\x00"]]


def malformed_commands() -> list[tuple[str, ...]]:
    """A few hundred distinct malformed ``distlab`` command lines, in a fixed order.

    Placeholders the runner fills in per run: ``FILE`` (an existing regular file), ``EMPTY`` (an empty
    directory), ``NONEMPTY`` (a directory holding a file), ``BADSWEEP`` (an experiment folder whose
    sweep.yaml chooses an unknown strategy), ``BADYAML`` (one whose sweep.yaml is not YAML),
    ``EMPTYSWEEP`` (an empty sweep.yaml) and ``LISTSWEEP`` (a sweep.yaml holding a list).
    """
    commands: list[tuple[str, ...]] = []
    for key in _KEYS:
        for value in _VALUES:
            commands.append((f"{key}={value}",))
    for shape in _SHAPES:
        commands.append(tuple(shape.split(" ")))
    for sweep in _SWEEPS:
        commands.append(("-m", *sweep.split(" ")))
    for sweep in _SWEEPS[:8]:
        commands.append(tuple(sweep.split(" ")))  # a sweep without --multirun
    for value in ["", "é", "nan", "[[1]]", "2**70", "~", "@"]:
        commands.append(("-m", f"seed=0,{value}"))
        commands.append(("-m", f"strategy=precopy,{value}"))
    commands += [tuple(f) for f in _FLAGS]
    commands += [tuple(v) for v in _VERBS]
    seen: set[tuple[str, ...]] = set()
    return [c for c in commands if not (c in seen or seen.add(c))]  # type: ignore[func-returns-value]


# -- running one ----------------------------------------------------------------------------------


def _places(tmp: Path) -> dict[str, str]:
    """Make the files and folders the placeholders name, under ``tmp``."""
    (tmp / "file.txt").write_text("not a directory\n")
    (tmp / "empty").mkdir(exist_ok=True)
    (tmp / "nonempty").mkdir(exist_ok=True)
    (tmp / "nonempty" / "x.txt").write_text("x")
    sweeps = {"BADSWEEP": "defaults:\n  - config\n  - override strategy: nope\n  - _self_\n",
              "BADYAML": "defaults: [config\n  : :\n", "EMPTYSWEEP": "", "LISTSWEEP": "- 1\n- 2\n"}
    places = {"FILE": str(tmp / "file.txt"), "EMPTY": str(tmp / "empty"), "NONEMPTY": str(tmp / "nonempty")}
    for name, text in sweeps.items():
        (tmp / name.lower()).mkdir(exist_ok=True)
        (tmp / name.lower() / "sweep.yaml").write_text(text)
        places[name] = str(tmp / name.lower())
    return places


def _fill(command: tuple[str, ...], places: dict[str, str]) -> list[str]:
    return [places.get(arg, arg.replace("=FILE", "=" + places["FILE"])) for arg in command]


@contextlib.contextmanager
def _captured() -> Iterator[io.StringIO]:
    """Everything written to stdout and stderr (also through the file descriptors), into one buffer."""
    import tempfile

    out = io.StringIO()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as fd_file:
        os.dup2(fd_file.fileno(), 1)
        os.dup2(fd_file.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                yield out
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            fd_file.seek(0)
            out.write(fd_file.read().decode(errors="replace"))


def run_in_process(args: list[str], cwd: Path) -> tuple[int | str, str]:
    """Run ``distlab ARGS`` through ``distlab.cli.main`` in ``cwd``: (exit status or the escaped
    exception's name, everything printed)."""
    import logging

    from distlab.cli import main

    here = os.getcwd()
    os.chdir(cwd)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with _captured() as out:
            try:
                code: int | str = main(args)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            except BaseException as err:  # what a user would see as a traceback
                import traceback

                traceback.print_exc(file=out)
                code = type(err).__name__
    finally:
        os.chdir(here)
        # Hydra configures logging for the run; leave the test process as it was.
        root.handlers[:] = handlers
        root.setLevel(level)
    return code, out.getvalue()


def verdict(code: int | str, output: str, cwd: Path) -> str | None:
    """What is wrong with a malformed command's outcome, or None if it is fine.

    (``--debug`` shows the traceback of distlab's own errors by design: the generator leaves it out.)
    """
    if "Traceback (most recent call last)" in output or isinstance(code, str):
        return f"traceback (exit {code})"
    if code not in (0, 1, 2):
        return f"exit {code}"
    ran = any(cwd.rglob("case-*/results.parquet"))
    # A report on a directory that holds no results is a fault of the data (exit 1, like damaged results),
    # not of the command line: the same command reports once a sweep has written there.
    if code == 1 and not ran and "distlab: error: no results in " not in output:
        return "exit 1 but nothing ran (a usage error is 2)"
    return None


def check(command: tuple[str, ...], tmp: Path) -> tuple[str | None, int | str, str]:
    """Run one command in a fresh folder under ``tmp``: (what is wrong or None, exit, output)."""
    cwd = tmp / f"run{len(list(tmp.glob('run*')))}"
    cwd.mkdir()
    args = _fill(command, _places(cwd))
    code, output = run_in_process(args, cwd)
    return verdict(code, output, cwd), code, output


# -- the tests ------------------------------------------------------------------------------------

# Every command the generator found failing before the fix (issue 9, item 13), with what it did then.
FAILED_BEFORE: list[tuple[tuple[str, ...], str]] = [
    (("world.link.bandwidth_mbit_s=" + "1" * 400,), "OverflowError traceback"),
    (("world.link.precopy_rate_limit_mbit_s=" + "1" * 400,), "OverflowError traceback"),
    (("hydra.job.chdir=${oc.env:NOPE}",), "InterpolationResolutionError traceback"),
    (("hydra.job.chdir=${nope}",), "InterpolationKeyError traceback"),
    (("hydra.output_subdir=/dev/null",), "Hydra's FileExistsError traceback, exit 1"),
    (("-m", "seed=range(0,1e20)"), "filled the memory (17 GB) listing the range"),
    (("--package", "nope", "--cfg", "job"), "exit 1"),
    (("--info", "-m"), "ValueError traceback"),
    (("--config-name", ""), "exit 1"),
    (("--config-path", "/nonexistent"), "exit 1"),
    (("-cp", "nope"), "exit 1"),
    (("--config-path", "FILE"), "exit 1"),
    (("--hydra-help", "x=1"), "ConfigCompositionException traceback"),
    (("--shell-completion",), "ValueError traceback, exit 1"),
    (("-sc", "install=nope"), "traceback, exit 1"),
    (("--experimental-rerun", "/nonexistent.pickle"), "ValueError traceback"),
    (("--experimental-rerun", "FILE"), "UnpicklingError traceback"),
    (("--resolve",), "ValueError traceback"),
    (("-",), "exit 1"),
    (("report", ""), "reported on the working directory, exit 1"),
    (("report", "/nonexistent/dir"), "exit 1"),
    (("report", "FILE"), "exit 1, naming --out, which was not given"),
    (("report", "EMPTY", "--out", "FILE"), "exit 1"),
    (("report", "EMPTY", "--out", ""), "exit 1"),
    (("report", "EMPTY", "--analysis", "/nonexistent.py"), "exit 1"),
    (("report", "EMPTY", "--analysis", "EMPTY"), "exit 1"),
    (("report", "é"), "exit 1"),
    (("report", "\x00"), "exit 1"),
    (("report", "/dev/null"), "exit 1, naming --out"),
    (("report", "EMPTY", "--out", "/dev/null"), "exit 1"),
    (("experiment", "BADYAML", "--report-only"), "exit 1"),
    (("experiment", "\x00"), "ValueError traceback"),
]


def _assert_usage_error(command: tuple[str, ...], tmp_path: Path) -> None:
    wrong, code, output = check(command, tmp_path)
    assert wrong is None and code == 2, output[-2000:]
    message, in_usage = [], False
    for line in output.splitlines():
        # argparse's usage block (its first line, then indented continuation lines) is not the message.
        in_usage = line.startswith("usage:") or (in_usage and line.startswith(" "))
        if line.strip() and not in_usage and "UserWarning" not in line and not line.startswith("  warnings.warn"):
            message.append(line)
    assert len(message) == 1 and re.match(r"distlab( \w+)?: error: ", message[0]), output


@pytest.mark.parametrize("command", [c for c, _ in FAILED_BEFORE], ids=[did for _, did in FAILED_BEFORE])
def test_a_command_that_failed_before_is_a_usage_error(command: tuple[str, ...], tmp_path: Path) -> None:
    _assert_usage_error(command, tmp_path)


def test_the_generator_makes_hundreds_of_distinct_commands() -> None:
    commands = malformed_commands()
    assert len(commands) >= 400 and len(set(commands)) == len(commands)
    assert {c for c, _ in FAILED_BEFORE} <= set(commands)


_SAMPLE = random.Random(9).sample([c for c in malformed_commands() if c not in {f for f, _ in FAILED_BEFORE}
                                   and c not in {("repeats=1__0",), ("-m", "study=glob(*)")}], 40)


@pytest.mark.parametrize("command", _SAMPLE, ids=[" ".join(c)[:60] for c in _SAMPLE])
def test_a_sample_of_malformed_commands(command: tuple[str, ...], tmp_path: Path) -> None:
    wrong, code, output = check(command, tmp_path)
    assert wrong is None, f"{wrong}: {output[-2000:]}"


@pytest.mark.parametrize("command", [("hydra.job.chdir=${nope}",), ("--info", "-m"), ("-sc", "install=nope"),
                                     ("report", "/nonexistent/dir"), ("-m", "seed=range(0,1e20)")])
def test_through_a_real_process_too(command: tuple[str, ...], tmp_path: Path) -> None:
    from testkit import run_cli

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    done = run_cli(list(command), env=env, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().startswith("distlab: error: ") and "\n" not in done.stderr.strip(), done.stderr


@pytest.mark.slow
def test_every_generated_command(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The whole set, in-process (about 50 s): run with ``pytest -m slow tests/test_malformed_commands.py``.

    Skipped in a plain run of the suite, which the regression tests above cover in a few seconds.
    """
    if "slow" not in str(request.config.getoption("-m") or ""):
        pytest.skip("the whole generated set runs with -m slow")
    failures = []
    for command in malformed_commands():
        wrong, _, output = check(command, tmp_path)
        if wrong:
            failures.append(f"{list(command)!r}: {wrong}: {output.strip().splitlines()[-1:]}")
    assert not failures, "\n".join(failures)


if __name__ == "__main__":  # python tests/test_malformed_commands.py: the whole set, with what failed
    import tempfile
    import time

    sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
    commands = malformed_commands()
    print(f"{len(commands)} commands", file=sys.__stderr__)
    start = time.monotonic()
    progress = open(os.environ.get("MALFORMED_PROGRESS", os.devnull), "w")
    with tempfile.TemporaryDirectory() as tmpdir:
        for command in commands:
            t0 = time.monotonic()
            wrong, code, output = check(command, Path(tmpdir))
            took = time.monotonic() - t0
            print(f"{took:5.1f}s {list(command)!r}", file=progress, flush=True)
            if wrong or took > 2:
                tail = [ln for ln in output.strip().splitlines() if ln.strip()][-1:] or [""]
                print(f"{'FAIL' if wrong else 'SLOW'} {took:5.1f}s {list(command)!r}: {wrong} :: {tail[0][:300]}",
                      file=sys.__stderr__)
    print(f"done in {time.monotonic() - start:.0f} s", file=sys.__stderr__)
