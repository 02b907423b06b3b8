"""hydra/launcher=ray (issue 15, "Beyond one machine"): a sweep on a Ray cluster gives the basic launcher's rows.

The module starts a Ray cluster of 2 CPUs on this machine (``ray start --head``, loopback only) and the sweeps
join it as an existing cluster, the way a user's do with ``hydra.launcher.ray.init.address=HOST:PORT``. The
cluster's workers do not share the sweep's environment: they lack ``DISTLAB_PLUGINS`` (the main process's
distlab environment travels with the task, :class:`distlab.hydra.workers.SweepTask`), and they import the
toy plugin from a copy that differs by one comment, so that a provenance record computed in the worker can
be told from one computed in the main process.

Needs the ``ray`` extra (``pip install -e '.[ray]'``); skipped without it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from launcherkit import PROGRESS, SWEEP, assert_lost_worker, assert_same_rows, identity, provenances
from testkit import FIXTURES, run_cli


pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[ray]')")
if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
    pytest.skip("hydra-ray-launcher is not installed (pip install -e '.[ray]')", allow_module_level=True)

# Ray on loopback only (it would take the host's address for its own connections), with a token of the test's.
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}
COPY_NOTE = "\n# The Ray cluster's copy of the toy plugin: same behaviour, other code.\n"


class Cluster:
    """A Ray head node started for the tests, and what a sweep needs to join it."""

    def __init__(self, address: str, env: dict[str, str], plugin_copy: Path) -> None:
        self.address = address
        self.env = env  # the RAY_* variables a driver needs to join
        self.plugin_copy = plugin_copy


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # A short folder: Ray's socket paths under it must stay below the 107 bytes of a Unix socket address.
    root = Path(tempfile.mkdtemp(prefix="dl-ray-", dir="/tmp"))
    copy = root / "plugins"
    copy.mkdir()
    (copy / "toy_plugin.py").write_text((FIXTURES / "toy_plugin.py").read_text() + COPY_NOTE)
    ray_env = {**RAY_ENV, "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTLAB_")}
    env.update(ray_env, PYTHONPATH=str(copy))
    port = _free_port()
    exe = Path(sys.executable).with_name("ray")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ray.scripts.scripts"]
    log = root / "ray.log"
    with log.open("w") as out:
        head = subprocess.Popen([*command, "start", "--head", "--num-cpus=2", f"--port={port}", "--include-dashboard=false",
                                 "--disable-usage-stats", "--object-store-memory=100000000", f"--temp-dir={root / 'ray'}", "--block"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # its own process group: the teardown ends all of it
    try:
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None and time.monotonic() < deadline, f"ray start failed:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield Cluster(f"127.0.0.1:{port}", ray_env, copy)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)  # the raylet, GCS and workers left in the group
        head.wait()
        shutil.rmtree(root, ignore_errors=True)


def test_a_ray_sweep_gives_the_rows_of_the_basic_launcher(tmp_path: Path, cluster: Cluster) -> None:
    env = {**os.environ, **cluster.env}
    basic = run_cli(["-m", *SWEEP, f"hydra.sweep.dir={tmp_path / 'basic'}"], env=env)
    assert basic.returncode == 0, basic.stderr[-3000:]
    ray = run_cli(["-m", *SWEEP, "hydra/launcher=ray", f"hydra.launcher.ray.init.address={cluster.address}",
                   f"hydra.sweep.dir={tmp_path / 'ray'}"], env=env)
    assert ray.returncode == 0, ray.stderr[-3000:]
    assert "Connecting to existing Ray cluster" in ray.stderr, ray.stderr[-3000:]

    rows = assert_same_rows(tmp_path / "basic", tmp_path / "ray")
    assert rows.height == 4 and rows["case_id"].n_unique() == 2
    # The cluster's workers marked their jobs for the main process: one progress line per job.
    assert sorted(int(k) for k, *_ in PROGRESS.findall(ray.stderr)) == [1, 2], ray.stderr[-3000:]

    # Each case's provenance names the versions and code of what ran it, the same as under the basic launcher.
    here, there = provenances(tmp_path / "basic"), provenances(tmp_path / "ray")
    assert set(here) == set(there)
    for case_id, record in there.items():
        assert record["status"] == "ok" and record["code"]["version"] and record["launcher"] == "ray"
        assert record["launcher_versions"]["hydra-ray-launcher"] and record["launcher_versions"]["ray"]
        for kind, comp in record["components"].items():
            assert comp["code"]["sha256"] and comp["version"], (kind, comp)
        assert identity(record) == identity(here[case_id])


def test_provenance_is_computed_in_the_worker_that_ran_the_case(tmp_path: Path, cluster: Cluster,
                                                                toy_env: dict[str, str]) -> None:
    from distlab.provenance import module_code

    env = {**toy_env, **cluster.env}  # DISTLAB_PLUGINS=toy_plugin here; the cluster's workers lack it
    done = run_cli(["-m", "study=toy", "seed=0", "repeats=1", "hydra/launcher=ray",
                    f"hydra.launcher.ray.init.address={cluster.address}", f"hydra.sweep.dir={tmp_path / 'ray'}"], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = provenances(tmp_path / "ray").values()
    assert record["status"] == "ok" and record["launcher"] == "ray"

    # The hash is of the worker's copy of the plugin, not of the one this process (and the sweep's) imports.
    probe = subprocess.run([sys.executable, "-c", "from distlab.provenance import module_code; "
                            "print(module_code('toy_plugin')['sha256'])"],
                           env={**os.environ, "PYTHONPATH": str(cluster.plugin_copy)}, capture_output=True, text=True,
                           timeout=120)
    assert probe.returncode == 0, probe.stderr
    worker_hash, main_hash = probe.stdout.strip(), module_code("toy_plugin")["sha256"]
    assert worker_hash != main_hash
    shape = record["components"]["shape"]
    assert shape["plugin"] == "toy_plugin" and shape["code"]["sha256"] == worker_hash


def test_a_job_whose_worker_dies_fails_its_case_and_the_sweep_goes_on(tmp_path: Path, cluster: Cluster,
                                                                      toy_env: dict[str, str]) -> None:
    # The toy's die=true SIGKILLs the Ray worker running it; no retries by Ray here, to keep the test short.
    sweep = tmp_path / "sweep"
    done = run_cli(["-m", "study=toy", "seed=0", "shape.die=true,false", "repeats=1", "hydra/launcher=ray",
                    f"hydra.launcher.ray.init.address={cluster.address}", "+hydra.launcher.ray.remote.max_retries=0",
                    f"hydra.sweep.dir={sweep}"], env={**toy_env, **cluster.env})
    assert_lost_worker(done, sweep, "WorkerCrashedError")
