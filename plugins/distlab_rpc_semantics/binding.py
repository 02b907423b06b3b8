"""Binding policies: where each call goes (RPC's binding, the job of DCE's daemon and ONC's portmapper)."""

from __future__ import annotations

from distlab.rpc_semantics import Directory
from distlab_rpc_semantics.params import BinderCachedParams, BinderParams, StaticParams

__all__ = ["Binder", "BinderCached", "Static"]


class Static:
    """The address is known in advance (compiled in, configured): no lookup, and no recovery if the server moves.

    Args:
        params: its parameters (none).
    """

    uses_binder = False

    def __init__(self, params: StaticParams | None = None) -> None:
        self.params = params or StaticParams()

    def address(self, directory: Directory) -> tuple[str, int]:
        """The address known before the trial."""
        return directory.static

    def rebind(self, directory: Directory, error: Exception) -> bool:
        """Never: there is nobody to ask."""
        return False


class Binder:
    """Ask the binder before every call: always current, one more round trip (and connection) per call.

    Args:
        params: its parameters (none).
    """

    uses_binder = True

    def __init__(self, params: BinderParams | None = None) -> None:
        self.params = params or BinderParams()

    def address(self, directory: Directory) -> tuple[str, int]:
        """The binder's answer."""
        return directory.lookup()

    def rebind(self, directory: Directory, error: Exception) -> bool:
        """Yes: the next lookup may name the server's new address."""
        return True


class BinderCached:
    """Ask the binder once and keep the answer; ask again when a call finds no server there.

    Args:
        params: its parameters (none).
    """

    uses_binder = True

    def __init__(self, params: BinderCachedParams | None = None) -> None:
        self.params = params or BinderCachedParams()
        self._cached: tuple[str, int] | None = None

    def address(self, directory: Directory) -> tuple[str, int]:
        """The cached address, looked up on first use."""
        if self._cached is None:
            self._cached = directory.lookup()
        return self._cached

    def rebind(self, directory: Directory, error: Exception) -> bool:
        """Forget the address (connection refused or closed, PROG_UNAVAIL) and try again."""
        self._cached = None
        return True
