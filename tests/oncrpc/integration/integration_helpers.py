"""Helpers of the integration tests: C peers built with rpcgen and libtirpc, run and stopped."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy
import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "oncrpc"
C_SOURCES = FIXTURES / "integration"
EVERYTHING_X = FIXTURES / "everything.x"
RSTAT_X = Path("/usr/include/rpcsvc/rstat.x")
TIRPC = Path("/usr/include/tirpc")


def require_c_tools() -> None:
    """Skip the calling test unless rpcgen, gcc and libtirpc's headers are here."""
    missing = [tool for tool in ("rpcgen", "gcc") if shutil.which(tool) is None]
    if not (TIRPC / "rpc" / "rpc.h").is_file():
        missing.append("libtirpc-dev (/usr/include/tirpc)")
    if missing:
        pytest.skip(f"C peers need rpcgen, gcc and libtirpc-dev (apt-get install rpcsvc-proto gcc libtirpc-dev); "
                    f"missing: {', '.join(missing)}")


def build(work: Path, x_file: Path, program: str, rpcgen: list[tuple[str, str]]) -> Path:
    """Build ``C_SOURCES/<program>.c`` with the ``rpcgen -N`` outputs of ``x_file`` in ``work``.

    ``rpcgen`` lists (flag, output) pairs; the ``.c`` ones are compiled in. rpcgen runs in ``work`` on
    copies of the ``.x`` files, so ``#include "everything_common.x"`` resolves as it does for distlab.
    """
    require_c_tools()
    for source in x_file.parent.glob("*.x"):
        shutil.copy(source, work)
    shutil.copy(C_SOURCES / f"{program}.c", work)
    for flag, out in rpcgen:
        if not (work / out).exists():
            subprocess.run(["rpcgen", "-N", flag, x_file.name, "-o", out], cwd=work, check=True, capture_output=True)
    sources = [f"{program}.c"] + [out for _, out in rpcgen if out.endswith(".c")]
    done = subprocess.run(["gcc", "-O1", "-I", str(TIRPC), "-I", str(FIXTURES), "-o", program, *sources, "-ltirpc"],
                          cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"gcc failed building {program}:\n{done.stderr}")
    return work / program


@contextlib.contextmanager
def running(binary: Path) -> Iterator[tuple[int, int]]:
    """Run a C server that prints "TCP UDP" ports when ready; its ports. It is killed on exit."""
    proc = subprocess.Popen([str(binary)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert len(line) == 2, f"{binary.name} did not print its ports"
        yield int(line[0]), int(line[1])
    finally:
        proc.kill()
        proc.wait()


def plain(value: Any) -> Any:
    """``value`` with dataclasses as dicts, arrays and tuples as lists: comparable with ``==``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
