"""The other processes of a trial: the server (:class:`ServerProcess`) and ``distlab binder`` (:class:`BinderProcess`).

Both run as children of the client's process and talk to it only over sockets, so every call is a
real call between two address spaces. Both are stopped politely (the server unregisters from the
binder on its way out) and killed if they do not stop within seconds.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from types import TracebackType
from typing import IO, Any

from distlab.rpc_semantics.serverproc import ServerSpec

__all__ = ["BinderProcess", "ServerProcess"]

_START_S = 60.0  # a loaded machine may take long to import a Python process's first modules


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The child must import this very distlab and its plugins, whatever the working directory.
    roots = [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))]
    env["PYTHONPATH"] = os.pathsep.join(roots + [p for p in sys.path if p] + [env.get("PYTHONPATH", "")])
    return env


def _read_line(proc: subprocess.Popen[str], what: str) -> str:
    stdout: IO[str] | None = proc.stdout
    assert stdout is not None
    line = stdout.readline()
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"the {what} process exited before it was ready: {err.strip()[-2000:]}")
    return line


def _stop(proc: subprocess.Popen[str]) -> None:
    try:
        if proc.stdin and not proc.stdin.closed:
            try:
                proc.stdin.write("quit\n")
                proc.stdin.close()
            except OSError:
                pass
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class ServerProcess:
    """The study's server in a child process (:mod:`distlab.rpc_semantics.serverproc`).

    Args:
        spec: what it serves (serializer, stub, binder, port).

    Attributes:
        port: the port it listens on (after start).
    """

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> ServerProcess:
        """Start the process and wait until it listens (and is registered with the binder, if any)."""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "distlab.rpc_semantics.serverproc"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        assert self._proc.stdin is not None
        self._proc.stdin.write(pickle.dumps(self.spec).hex() + "\n")
        self._proc.stdin.flush()
        line = _read_line(self._proc, "server")
        match = re.fullmatch(r"READY (\d+)\s*", line)
        if match is None:
            raise RuntimeError(f"the server process said {line!r}, not READY <port>")
        self.port = int(match.group(1))
        return self

    def stats(self) -> dict[str, int]:
        """The server's callback counters: callbacks, calls, bytes_out, bytes_in."""
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write("stats\n")
        self._proc.stdin.flush()
        stats: dict[str, int] = json.loads(_read_line(self._proc, "server"))
        return stats

    def stop(self) -> None:
        """Stop it (it unregisters from the binder first)."""
        if self._proc is not None:
            _stop(self._proc)
            self._proc = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class BinderProcess:
    """``distlab binder --port 0`` in a child process (the daemon that maps programs to ports).

    Attributes:
        address: ``(host, port)`` it listens on (after start).
    """

    def __init__(self) -> None:
        self.address = ("127.0.0.1", 0)
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> BinderProcess:
        """Start it and wait for its first line (which names its port)."""
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from distlab.oncrpc.binder import main; sys.exit(main(['--port', '0']))"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        line = _read_line(self._proc, "binder")
        match = re.search(r" on ([\d.]+):(\d+) ", line)
        if match is None:
            raise RuntimeError(f"distlab binder said {line!r}; no address in it")
        self.address = (match.group(1), int(match.group(2)))
        return self

    def stop(self) -> None:
        """Stop it (SIGTERM: the binder's own way out)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> BinderProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
