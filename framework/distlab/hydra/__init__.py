"""distlab's Hydra wing: everything that knows Hydra or OmegaConf (the rest of distlab does not).

- :mod:`~distlab.hydra.app`: the Hydra application (one job is one case) and its exit status;
- :mod:`~distlab.hydra.flags`: Hydra's command-line flags, apart from the overrides;
- :mod:`~distlab.hydra.config_store`: the registry's studies, worlds and components in Hydra's ConfigStore;
- :mod:`~distlab.hydra.compose`: composing configs outside a run (the config search path, the parser);
- :mod:`~distlab.hydra.preflight`: every case checked before any runs (parse, expand, check);
- :mod:`~distlab.hydra.sweeper`: distlab's sweeper (Hydra's basic one, without a second check of every case);
- :mod:`~distlab.hydra.job_configs`: each job's config composed once per choice of config groups;
- :mod:`~distlab.hydra.progress`: one line per finished job, and the sweep's last line;
- :mod:`~distlab.hydra.resolve`: a composed config to a case;
- :mod:`~distlab.hydra.errors`: Hydra's and OmegaConf's errors in distlab's words.

Importing this package imports Hydra: the command line imports it only when a command needs it.
"""

from __future__ import annotations

from distlab.hydra.app import run, task
from distlab.hydra.compose import CONFIG_MODULE
from distlab.hydra.config_store import store_configs, stored_registry
from distlab.hydra.errors import explain
from distlab.hydra.preflight import preflight
from distlab.hydra.resolve import case_from_config

__all__ = ["CONFIG_MODULE", "case_from_config", "explain", "preflight", "run", "store_configs", "stored_registry",
           "task"]
