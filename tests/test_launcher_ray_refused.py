"""hydra/launcher=ray with the address of no cluster (issue 15, "Beyond one machine"): one distlab error, at once.

Ray's own ``ray.init`` tries a refused address for minutes, printing warnings, and ends in a ``ConnectionError``
traceback. distlab tries a TCP connection to the address first (as given, and as Ray reads it) and says what is
wrong and what to check, with the exit status of a command that ran nothing for a mistake in it (2).

Needs the ``ray`` extra (``pip install -e '.[ray]'``); skipped without it. No cluster is started.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest
from testkit import run_cli

pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[ray]')")
if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
    pytest.skip("hydra-ray-launcher is not installed (pip install -e '.[ray]')", allow_module_level=True)


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_address_is_one_error_before_ray_tries(tmp_path: Path, toy_env: dict[str, str]) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    done = run_cli(["-m", "study=toy", "seed=0,1", "repeats=1", "hydra/launcher=ray",
                    f"hydra.launcher.ray.init.address={address}", f"hydra.sweep.dir={tmp_path / 'sweep'}"], env=toy_env)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-3000:]
    # Ray never tried: none of its connection warnings.
    assert "Connecting to existing Ray cluster" not in done.stderr and "GCS" not in done.stderr, done.stderr[-3000:]
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("distlab: error: ")]
    assert line.startswith(f"distlab: error: hydra.launcher.ray.init.address={address}: no Ray cluster answers "
                           f"there ({address}: connection refused"), line
    for hint in ("ray start --head", "node IP", "RAY_AUTH_MODE=token", "RAY_AUTH_TOKEN", "nothing ran"):
        assert hint in line, line
    assert not list((tmp_path / "sweep").glob("case-*")), "a job ran"


def test_a_refused_address_in_other_forms_is_left_to_ray() -> None:
    from distlab.hydra.workers import _ray_refusal

    for address in ("auto", "ray://head:10001", "head", "head:port"):
        assert _ray_refusal(address) is None
    port = _closed_port()
    assert "connection refused" in (_ray_refusal(f"localhost:{port}") or "")
