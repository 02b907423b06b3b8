"""The links of a trial: one shaped link in front of every address the trial reaches (server, binder,
and the client's callback server), opened on first use and closed with the trial.

The shaping is :func:`distlab.oncrpc.link.open_link`'s (its ``method`` is recorded in every row).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from distlab.errors import ParameterError

__all__ = ["LinkPool"]


@contextlib.contextmanager
def _direct(target: tuple[str, int], *, latency_ms: float, bandwidth_mbit_s: float | None) -> Iterator[Any]:
    """The stand-in used where the shaped link is not importable: a direct connection, refused if shaping was asked."""
    if latency_ms or bandwidth_mbit_s is not None:
        raise ParameterError("world.latency_ms", latency_ms,
                             "0 with world.bandwidth_mbit_s=null: distlab.oncrpc.link (the shaped link) is not installed")

    class _Link:
        address = target
        method = "direct"

    yield _Link()


class LinkPool:
    """Links of one shape, one per target address.

    Args:
        latency_ms: one-way latency of every link.
        bandwidth_mbit_s: bandwidth of every link (``None``: not limited).
    """

    def __init__(self, latency_ms: float, bandwidth_mbit_s: float | None) -> None:
        self.latency_ms, self.bandwidth_mbit_s = latency_ms, bandwidth_mbit_s
        self._stack = contextlib.ExitStack()
        self._links: dict[tuple[str, int], Any] = {}
        try:
            from distlab.oncrpc.link import open_link
        except ImportError:  # the shaped link is another issue's work; direct calls still run
            self._open: Any = _direct
        else:
            self._open = open_link
        self.method = "direct" if latency_ms == 0 and bandwidth_mbit_s is None else ""

    def address(self, target: tuple[str, int]) -> tuple[str, int]:
        """Where to connect to reach ``target`` through a link."""
        link = self._links.get(target)
        if link is None:
            link = self._links[target] = self._stack.enter_context(
                self._open(target, latency_ms=self.latency_ms, bandwidth_mbit_s=self.bandwidth_mbit_s))
            self.method = str(link.method)
        host, port = link.address
        return (str(host), int(port))

    def close(self) -> None:
        """Close every link."""
        self._stack.close()
        self._links.clear()
