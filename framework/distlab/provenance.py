"""Provenance: where a job's numbers came from, written beside them as provenance.json."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["code_version", "now", "provenance"]


def now() -> str:
    """The current time in UTC, ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@functools.cache
def code_version() -> dict[str, Any]:
    """distlab's version, and its git commit and dirty flag when it runs from a checkout."""
    import distlab

    info: dict[str, Any] = {"distribution": "distlab", "version": distlab.__version__, "git_commit": None, "git_dirty": None}
    source = Path(distlab.__file__).resolve().parent
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
