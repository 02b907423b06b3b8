"""Build and run the study's C peer: ``semantics_server.c`` with rpcgen's stubs, native or big-endian s390x.

The peer is the real thing the course's byte-order claim is about: a server whose machine numbers
bytes the other way. :func:`build` runs ``rpcgen -N`` on ``semantics.x`` (header, XDR routines,
dispatcher, and the client stubs of the callback program) and compiles them with the server:

- ``"native"``: ``gcc`` against the system's libtirpc (``apt-get install rpcsvc-proto gcc libtirpc-dev``).
- ``"s390x"``: ``s390x-linux-gnu-gcc`` against Debian's libtirpc for s390x, run under qemu-user
  (``qemu-s390x -L SYSROOT``). The sysroot holds the s390x packages libc6, libtirpc3, libtirpc-dev
  and libtirpc3's run-time dependencies, unpacked (``apt-get download`` then ``dpkg-deb -x``), at
  ``$DISTLAB_S390X_SYSROOT`` or :data:`DEFAULT_SYSROOT` (``.ci/run`` makes it). Unpacked rather than
  installed through multiarch because on this image ``apt-get install libtirpc-dev:s390x`` is
  refused: libtirpc3 pulls in libssl3, and a Multi-Arch: same package must have one version for
  every architecture, while the image's amd64 libssl3 is a version the archive does not carry for
  s390x. Unpacking changes nothing on the machine.

Both print "TCP UDP" ports when ready, like the C peers of distlab's tests, and :func:`serve` starts
one and hands back its ports; with a binder port, the peer registers itself there (PMAPPROC_SET).

Examples:
    Calling the big-endian peer with distlab's client::

        peer = build("s390x")                    # ToolchainMissing says what to install if it cannot
        with serve(peer) as (tcp, udp), Client("127.0.0.1", tcp) as client:
            client.call(SEMANTICS_V1_PROGRAM, "APPEND_VALUE", args)
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from distlab.errors import DistlabError

__all__ = ["ARCHES", "DEFAULT_SYSROOT", "IDL", "Peer", "ToolchainMissing", "build", "missing", "serve"]

HERE = Path(__file__).resolve().parent
IDL = HERE.parent / "semantics.x"
"""The interface the peer serves (the study's ``semantics.x``)."""
SOURCE = HERE / "semantics_server.c"
ARCHES = ("native", "s390x")
"""What :func:`build` builds for: this machine, or IBM Z (s390x, big-endian) under qemu-user."""
DEFAULT_SYSROOT = Path("/opt/distlab/sysroot-s390x")
"""Where ``.ci/run`` unpacks the s390x libraries when ``$DISTLAB_S390X_SYSROOT`` is not set."""
_RPCGEN = (("-h", "semantics.h"), ("-c", "semantics_xdr.c"), ("-m", "semantics_svc.c"), ("-l", "semantics_clnt.c"))
_INSTALL = {
    "native": "apt-get install rpcsvc-proto gcc libtirpc-dev",
    "s390x": "apt-get install rpcsvc-proto qemu-user gcc-s390x-linux-gnu libc6-dev-s390x-cross, and the s390x "
             "sysroot .ci/run unpacks (dpkg --add-architecture s390x; apt-get download libc6:s390x "
             "libtirpc3:s390x libtirpc-dev:s390x and libtirpc3's dependencies; dpkg-deb -x each into it)",
}


class ToolchainMissing(DistlabError):
    """A tool or library needed to build or run the peer for an architecture is not on this machine.

    Attributes:
        arch: the architecture asked for.
        reason: what is missing and how to install it.
    """

    def __init__(self, arch: str, reason: str) -> None:
        self.arch, self.reason = arch, reason
        super().__init__(f"the {arch} C peer cannot be built here: {reason}")


@dataclasses.dataclass(frozen=True)
class Peer:
    """A built peer.

    Attributes:
        arch: ``"native"`` or ``"s390x"``.
        binary: the executable.
        argv: the command that starts it (under qemu-user for s390x), without the binder port.
    """

    arch: str
    binary: Path
    argv: tuple[str, ...]

    @property
    def big_endian(self) -> bool:
        """Whether the peer's machine numbers bytes most significant first."""
        return self.arch == "s390x" or (self.arch == "native" and sys.byteorder == "big")


def _sysroot() -> Path:
    return Path(os.environ.get("DISTLAB_S390X_SYSROOT") or DEFAULT_SYSROOT)


def _tirpc_s390x(root: Path) -> Path | None:
    for lib in ("lib/s390x-linux-gnu", "usr/lib/s390x-linux-gnu"):
        if (root / lib / "libtirpc.so.3").exists():
            return root / lib / "libtirpc.so.3"
    return None


def _qemu() -> str | None:
    return shutil.which("qemu-s390x-static") or shutil.which("qemu-s390x")


def missing(arch: str) -> str | None:
    """What keeps the peer for ``arch`` from being built and run here, or ``None`` if nothing does.

    Raises:
        ValueError: ``arch`` is not one of :data:`ARCHES`.
    """
    if arch not in ARCHES:
        raise ValueError(f"arch must be one of {', '.join(ARCHES)}, not {arch!r}")
    gaps = [tool for tool in ("rpcgen", "cpp") if shutil.which(tool) is None]
    if arch == "native":
        gaps += [] if shutil.which("gcc") else ["gcc"]
        if not Path("/usr/include/tirpc/rpc/rpc.h").is_file():
            gaps.append("libtirpc-dev (/usr/include/tirpc)")
    else:
        gaps += [] if shutil.which("s390x-linux-gnu-gcc") else ["s390x-linux-gnu-gcc (gcc-s390x-linux-gnu)"]
        gaps += [] if _qemu() else ["qemu-s390x (qemu-user)"]
        root = _sysroot()
        if not (root / "usr/include/tirpc/rpc/rpc.h").is_file() or _tirpc_s390x(root) is None:
            gaps.append(f"libtirpc for s390x in the sysroot {root}")
        elif not (root / "lib/ld64.so.1").exists():
            gaps.append(f"libc6 for s390x in the sysroot {root} (lib/ld64.so.1)")
    if not gaps:
        return None
    return f"missing {', '.join(gaps)}; install: {_INSTALL[arch]}"


def _run(argv: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({' '.join(argv)}):\n{done.stderr}")


def _compile_argv(arch: str) -> list[str]:
    sources = ["semantics_server.c", "semantics_svc.c", "semantics_xdr.c", "semantics_clnt.c"]
    if arch == "native":
        return ["gcc", "-O2", "-I", "/usr/include/tirpc", "-o", "semantics_server", *sources, "-ltirpc"]
    root = _sysroot()
    tirpc = _tirpc_s390x(root)
    assert tirpc is not None
    # The library by path: the unpacked libtirpc.so is an absolute symlink into the real root.
    # rpath-link lets the linker follow libtirpc's own dependencies (gssapi, krb5) in the sysroot.
    libdirs = f"{root}/lib/s390x-linux-gnu:{root}/usr/lib/s390x-linux-gnu"
    return ["s390x-linux-gnu-gcc", "-O2", "-I", f"{root}/usr/include/tirpc", "-o", "semantics_server", *sources,
            str(tirpc), f"-Wl,-rpath-link,{libdirs}"]


def _argv(arch: str, binary: Path) -> tuple[str, ...]:
    if arch == "native":
        return (str(binary),)
    qemu = _qemu()
    assert qemu is not None
    return (qemu, "-L", str(_sysroot()), str(binary))


def build(arch: str = "native", workdir: Path | None = None) -> Peer:
    """The peer for ``arch``, built in ``workdir`` (default: a cache keyed by the sources and the arch).

    A build already in the cache is used again; nothing is half-written (built in a temporary
    directory, then renamed).

    Raises:
        ValueError: an unknown ``arch``.
        ToolchainMissing: naming what is missing and how to install it (before anything runs).
        RuntimeError: rpcgen or the compiler failed (with its messages).
    """
    reason = missing(arch)
    if reason is not None:
        raise ToolchainMissing(arch, reason)
    argv = _compile_argv(arch)
    key = hashlib.sha256(SOURCE.read_bytes() + IDL.read_bytes() + " ".join(argv).encode()).hexdigest()[:16]
    if workdir is None:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        workdir = cache / "distlab" / "cpeer" / f"{arch}-{key}"
    binary = workdir / "semantics_server"
    if binary.exists():
        return Peer(arch, binary, _argv(arch, binary))
    workdir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir.parent, prefix=f".{workdir.name}-") as tmp:
        work = Path(tmp)
        shutil.copy(IDL, work)
        shutil.copy(SOURCE, work)
        for flag, out in _RPCGEN:
            _run(["rpcgen", "-N", flag, IDL.name, "-o", out], work, "rpcgen")
        _run(argv, work, f"compiling the {arch} peer")
        if workdir.exists():  # another process built it meanwhile
            shutil.rmtree(work)
        else:
            os.rename(work, workdir)
            os.mkdir(work)  # for TemporaryDirectory's cleanup
    return Peer(arch, binary, _argv(arch, binary))


@contextlib.contextmanager
def serve(peer: Peer, binder_port: int | None = None, timeout_s: float = 30.0) -> Iterator[tuple[int, int]]:
    """Run ``peer`` while the block runs; its (TCP port, UDP port) on 127.0.0.1.

    Args:
        peer: from :func:`build`.
        binder_port: a portmapper/binder on 127.0.0.1 to register with (and unregister from at the end).
        timeout_s: how long to wait for the ports (qemu-user takes a moment to start).

    Raises:
        RuntimeError: the peer exited or printed no ports in time (with what it wrote to stderr).
    """
    argv = [*peer.argv, *([str(binder_port)] if binder_port is not None else [])]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
        words = proc.stdout.readline().split() if ready else []
        if len(words) != 2:
            proc.kill()
            err = proc.stderr.read().decode(errors="replace").strip()
            raise RuntimeError(f"the {peer.arch} peer printed no ports within {timeout_s} s: {err or 'no message'}")
        yield int(words[0]), int(words[1])
    finally:
        # SIGTERM first, so that a registered peer unregisters from its binder.
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
