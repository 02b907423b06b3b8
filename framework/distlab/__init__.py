"""distlab: a plugin-based research framework for experiments on distributed systems.

The public names for plugin authors and users; everything else lives in the submodules. The core
names no study: each study's public surface is its own package (``distlab.<study>``), with its kinds'
contracts, its world and its errors.
"""

from __future__ import annotations

from distlab.component import Component, Kind
from distlab.errors import (
    ConfigError,
    DistlabError,
    ParameterError,
    PluginError,
    ReportError,
    StoreError,
    UnknownComponentError,
)
from distlab.hookspecs import hookimpl
from distlab.params import build, input_path, param
from distlab.registry import Registrar, Registry
from distlab.study import Metric, Study, TrialResult
from distlab.version import __version__

__all__ = [
    "Component",
    "ConfigError",
    "DistlabError",
    "Kind",
    "Metric",
    "ParameterError",
    "PluginError",
    "Registrar",
    "Registry",
    "ReportError",
    "StoreError",
    "Study",
    "TrialResult",
    "UnknownComponentError",
    "__version__",
    "build",
    "hookimpl",
    "input_path",
    "param",
]
