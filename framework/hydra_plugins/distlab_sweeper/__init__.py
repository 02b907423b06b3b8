"""distlab's sweeper, where Hydra's plugin discovery finds it (the ``hydra_plugins`` namespace).

Hydra instantiates a sweeper only if its class is defined in a ``hydra_plugins`` module; the code lives
in :mod:`distlab.hydra.sweeper`, and this subclass only gives it that home. Importing this module also
writes the sweeper's config (``hydra/sweeper=distlab``) into Hydra's ConfigStore.
"""

from __future__ import annotations

from distlab.hydra.sweeper import DistlabSweeper as _DistlabSweeper

__all__ = ["DistlabSweeper"]


class DistlabSweeper(_DistlabSweeper):
    """distlab's sweeper (see :class:`distlab.hydra.sweeper.DistlabSweeper`)."""
