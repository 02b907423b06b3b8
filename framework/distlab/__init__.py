"""distlab: a plugin-based research framework for experiments on distributed systems.

The public names for plugin authors and users; everything else lives in the submodules.
"""

from __future__ import annotations

from distlab.component import Component, Kind
from distlab.errors import (
    ConfigError,
    DecodeError,
    DistlabError,
    EncodeError,
    ParameterError,
    PluginError,
    ReportError,
    RpcError,
    TraceFormatError,
    UnknownComponentError,
)
from distlab.hookspecs import hookimpl
from distlab.params import param
from distlab.registry import Registrar, Registry
from distlab.study import Metric, Study, Trial

__all__ = [
    "Component",
    "ConfigError",
    "DecodeError",
    "DistlabError",
    "EncodeError",
    "Kind",
    "Metric",
    "ParameterError",
    "PluginError",
    "Registrar",
    "Registry",
    "ReportError",
    "RpcError",
    "Study",
    "TraceFormatError",
    "Trial",
    "UnknownComponentError",
    "__version__",
    "hookimpl",
    "param",
]

__version__ = "0.1.0"
