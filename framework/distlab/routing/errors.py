"""The routing study's errors, under :class:`distlab.errors.DistlabError`::

    DistlabError
    └── ConfigError
        └── UnknownTopologyError   a topology name that is neither a shortcut nor a topohub key
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from distlab.errors import ConfigError

__all__ = ["UnknownTopologyError"]


class UnknownTopologyError(ConfigError):
    """A real topology's name that no shortcut and no topohub key matches; suggests the nearest few.

    Args:
        name: the name asked for.
        available: every known name (shortcuts and topohub keys).
        shortcuts: the short names, listed in full in the message.
    """

    def __init__(self, name: str, available: Sequence[str], shortcuts: Sequence[str]) -> None:
        self.name = name
        # The topohub list has hundreds of keys: match against the key and its last part, so that
        # "arpanet19728" finds "topozoo/Arpanet19728".
        by_tail = {k.rsplit("/", 1)[-1].lower(): k for k in available}
        near = difflib.get_close_matches(name.lower(), list(by_tail), n=5, cutoff=0.5)
        near_keys = [by_tail[t] for t in near]
        for k in difflib.get_close_matches(name, list(available), n=5, cutoff=0.5):
            if k not in near_keys:
                near_keys.append(k)
        self.suggestions = near_keys[:5]
        hint = f" Did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(
            f"Unknown topology '{name}'.{hint} Shortcuts: {', '.join(sorted(shortcuts))}; any topohub key "
            f"('sndlib/NAME', 'topozoo/NAME', 'gabriel/NODES/VARIANT', 'backbone/NAME', ...: {len(available)} in "
            "all) also works. Run 'distlab plugins' to list the topology components."
        )
