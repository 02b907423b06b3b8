"""What plugins see of a running trial: the :class:`Remote` a passing mode calls through, and the
:class:`Directory` a binding policy asks."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, MutableSequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the callback server imports sockets; a plugin's registration must not
    from distlab.rpc_semantics.refs import RefTable

__all__ = ["Directory", "Remote", "apply_delta"]


@dataclasses.dataclass
class Remote:
    """The far side of a call, as a passing mode uses it.

    Attributes:
        stub: the proxy of ``SEMANTICS_V1`` (one method per procedure).
        api: the compiled interface (value classes ``SemAppendArgs``, ``SemAliasRefArgs``, ...,
            constants ``DETECT_CHUNK``, ...).
        refs: the caller's table of global references (``refs.handle(obj)``), served by its
            callback server.
    """

    stub: Any
    api: types.ModuleType
    refs: RefTable


@dataclasses.dataclass
class Directory:
    """Where servers are, as a binding policy asks.

    Attributes:
        static: the server's address known before the trial started.
        ask: the function behind :meth:`lookup`.
        lookups: lookups made so far.
    """

    static: tuple[str, int]
    ask: Callable[[], tuple[str, int]]
    lookups: int = 0

    def lookup(self) -> tuple[str, int]:
        """The binder's answer for the server's current address (counted; one round trip).

        Raises:
            BindingError: the binder knows no such program.
        """
        self.lookups += 1
        return self.ask()


def apply_delta(target: MutableSequence[bytes], delta: Any) -> None:
    """Restore ``target`` from a ``sem_delta``: truncate or extend it to ``delta.length``, then write the chunks.

    Elements past the old length that no chunk names cannot happen (a new element is always a chunk);
    they would be left as empty bytes.
    """
    n = int(delta.length)
    if len(target) > n:
        del target[n:]
    elif len(target) < n:
        target.extend([b""] * (n - len(target)))
    for chunk in delta.chunks:
        target[chunk.index] = chunk.value
