"""Provenance: where a job's numbers came from, written beside them as provenance.json.

Everything machine-dependent is read in the process that ran the case (a launcher's worker, perhaps on
another host), when its provenance is written: the versions of the libraries that compute and store
the numbers, the CPU, core count and memory, the host's name (unless switched off with
``provenance.hostname=false``) and the Hydra launcher the job ran under.
"""

from __future__ import annotations

import functools
import os
import platform
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["LIBRARIES", "code_version", "distributions_of", "libraries", "machine", "module_code", "now",
           "package_code", "provenance"]

LIBRARIES = ("numpy", "numba", "scipy", "polars", "hydra-core", "omegaconf", "pluggy")
"""The distributions whose versions every provenance record holds: what computes, aggregates and
configures the numbers (distlab's own version and commit are under ``code``)."""

# Files that do not change what a plugin computes: caches that Python and Numba write beside it.
_NOT_CODE = {".pyc", ".pyo", ".nbi", ".nbc"}


def now() -> str:
    """The current time in UTC, ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@functools.cache
def code_version() -> dict[str, Any]:
    """distlab's version, and its git commit and dirty flag when it runs from a checkout."""
    from distlab.version import __version__

    info: dict[str, Any] = {"distribution": "distlab", "version": __version__, "git_commit": None, "git_dirty": None}
    source = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if commit.returncode == 0:
            info["git_commit"] = commit.stdout.strip()
            status = subprocess.run(
                ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            info["git_dirty"] = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass  # no git on this machine: the package version is all we know
    return info


def module_code(module: str) -> dict[str, Any]:
    """The identity of the code a top-level module or package runs, for provenance and case ids.

    A version number alone does not identify code: a plugin edited in its source tree keeps its version.
    So the files of the package (every file below its folder but caches, or the module's one file) are
    hashed, in path order, into ``sha256``; a package in a git checkout also records ``git_commit`` and
    ``git_dirty``. Computed once per process.

    Args:
        module: an import name; only its top-level part counts (``my_plugin.components`` hashes
            all of ``my_plugin``).

    Returns:
        ``{"module", "sha256", "git_commit", "git_dirty"}``; ``sha256`` is None when the module cannot
        be found (a callable registered from ``__main__``, say).
    """
    return package_code(module.split(".")[0])


@functools.cache
def package_code(name: str) -> dict[str, Any]:
    """The identity of the code of the package (or module) ``name`` itself, subpackage or not.

    As :func:`module_code`, without going up to the top level: ``my_study.engine`` hashes the files
    below ``my_study/engine/`` only (a study's engine, see :meth:`distlab.study.Study.engine_code`).
    Finding it imports its parent packages, never the package itself.

    Returns:
        ``{"module", "sha256", "git_commit", "git_dirty"}``; ``sha256`` is None when it cannot be found.
    """
    import hashlib
    import importlib.util

    top = name
    info: dict[str, Any] = {"module": top, "sha256": None, "git_commit": None, "git_dirty": None}
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return info
    if spec.submodule_search_locations:
        roots = [Path(p) for p in spec.submodule_search_locations]
        files = sorted(
            (f for root in roots for f in root.rglob("*")
             if f.is_file() and f.suffix not in _NOT_CODE and "__pycache__" not in f.parts),
            key=lambda f: f.as_posix(),
        )
        base = roots[0]
    elif spec.origin and Path(spec.origin).is_file():
        files, base = [Path(spec.origin)], Path(spec.origin).parent
    else:  # a built-in or frozen module: nothing to hash
        return info
    digest = hashlib.sha256()
    for f in files:
        rel = f.relative_to(base).as_posix() if f.is_relative_to(base) else f.as_posix()
        digest.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
    info["sha256"] = digest.hexdigest()
    info.update(_git(base))
    return info


def _git(folder: Path) -> dict[str, Any]:
    """The commit of the checkout holding ``folder`` and whether it has uncommitted changes there."""
    out: dict[str, Any] = {}
    try:
        commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10)
        if commit.returncode == 0:
            out["git_commit"] = commit.stdout.strip()
            status = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                                    capture_output=True, text=True, timeout=10)
            out["git_dirty"] = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass  # no git here: the hash of the files is what identifies the code
    return out


@functools.cache
def libraries() -> dict[str, str | None]:
    """The installed version of each of :data:`LIBRARIES` (None for one that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


@functools.cache
def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        # What this process may use (a container's or taskset's share), which can be fewer.
        "cpu_count_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_bytes": _memory_bytes(),
    }
    return info


def machine(*, hostname: bool = True) -> dict[str, Any]:
    """The machine this process runs on: CPU model, core counts, memory, and its host name.

    Args:
        hostname: record the host's name (``provenance.hostname=false`` leaves it out, e.g. before
            results are published); when False the key ``hostname`` is None.

    Returns:
        ``{"hostname", "cpu_model", "cpu_count", "cpu_count_usable", "memory_bytes"}``; a value the
        platform does not tell is None.
    """
    return {"hostname": socket.gethostname() if hostname else None, **_machine()}


def _cpu_model() -> str | None:
    """The CPU's model name: Linux's /proc/cpuinfo, else what the platform module says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Processor", "cpu model"):
                    return value.strip()
    except OSError:
        pass  # not Linux: below
    return platform.processor() or None


def _memory_bytes() -> int | None:
    """The machine's physical memory in bytes (None where the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


@functools.cache
def distributions_of(module: str) -> dict[str, str]:
    """The installed distribution that ships ``module``, with its version and its requirements' versions.

    Found by file, not by top-level name: a namespace package (``hydra_plugins``) is shared by many
    distributions, so the one whose file list holds the module's file is the one that runs it.

    Args:
        module: a dotted module name, e.g. the module of a Hydra launcher's class.

    Returns:
        ``{distribution: version}`` for the distribution and each requirement installed (its extras'
        requirements left out); empty when no installed distribution lists the module's file (e.g. a
        module of the standard library or a folder on ``sys.path``).
    """
    import importlib.util
    from importlib.metadata import PackageNotFoundError, distributions, version

    from packaging.requirements import InvalidRequirement, Requirement

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return {}
    origin = spec.origin if spec is not None else None
    if not origin:
        return {}
    target = os.path.realpath(origin)
    # The module's path relative to each import root that holds it, as a wheel's RECORD lists it; the
    # RECORD is read as text (cheap) rather than as file objects resolved one by one (about 0.5 s).
    relative = {os.path.relpath(target, os.path.realpath(root)).replace(os.sep, "/")
                for root in sys.path if root and target.startswith(os.path.realpath(root) + os.sep)}
    for dist in distributions():
        listed = "\n" + (dist.read_text("RECORD") or dist.read_text("SOURCES.txt") or "") + "\n"
        if not any(f"\n{rel}," in listed or f"\n{rel}\n" in listed for rel in relative):
            continue
        found = {dist.metadata["Name"]: dist.version}
        for text in dist.requires or []:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.marker is not None and "extra" in str(req.marker):
                continue
            try:
                found[req.name] = version(req.name)
            except PackageNotFoundError:
                pass  # a requirement not installed (its marker excludes this platform)
        return found
    return {}


def provenance(*, hostname: bool = True, launcher: str | None = None, launcher_module: str | None = None,
               **fields: Any) -> dict[str, Any]:
    """A provenance record: the given fields plus code version, libraries, Python, platform and machine.

    Call it in the process that ran the case: the libraries and the machine are this process's.

    The runner's fields include ``config`` (the resolved config, input files by the path given) and
    ``input_files`` (``{key: {"path": absolute path, "sha256": hex}}`` for each input file the config names,
    see :meth:`distlab.case.Case.input_files`): the config says what was asked for, the hashes what was read.

    Args:
        hostname: record the host's name (see :func:`machine`).
        launcher: the Hydra launcher the job ran under (``basic``, ``joblib``, ...), as the job's Hydra
            config names it; None outside Hydra (a case run from Python).
        launcher_module: the module of the launcher's class: the versions of the distribution that ships
            it and of its requirements are recorded as ``launcher_versions`` (see :func:`distributions_of`).
        **fields: the case's own fields.
    """
    return {
        **fields,
        "code": code_version(),
        "libraries": libraries(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "host": machine(hostname=hostname),
        "launcher": launcher,
        "launcher_versions": distributions_of(launcher_module) if launcher_module else None,
    }
