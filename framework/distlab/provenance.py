"""Provenance: where a job's numbers came from, written beside them as provenance.json."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["code_version", "module_code", "now", "provenance"]

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


@functools.cache
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
    import hashlib
    import importlib.util

    top = module.split(".")[0]
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


def provenance(**fields: Any) -> dict[str, Any]:
    """A provenance record: the given fields plus code version, Python and platform.

    The runner's fields include ``config`` (the resolved config, input files by the path given) and
    ``input_files`` (``{key: {"path": absolute path, "sha256": hex}}`` for each input file the config names,
    see :meth:`distlab.case.Case.input_files`): the config says what was asked for, the hashes what was read.
    """
    return {
        **fields,
        "code": code_version(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
