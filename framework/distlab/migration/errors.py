"""The migration study's errors, under :class:`distlab.errors.DistlabError`::

    DistlabError
    ├── ConfigError
    │   └── AccessLogError         a recorded access log (the replay workload's input) is missing or malformed
    ├── MigrationTimeoutError      a migration did not end within the world's max_time_s
    └── CheckFailedError           check mode found the destination's memory different from the source's
"""

from __future__ import annotations

from distlab.errors import ConfigError, DistlabError

__all__ = ["AccessLogError", "CheckFailedError", "MigrationTimeoutError"]


class AccessLogError(ConfigError):
    """A recorded access log (the replay workload's input file) that is missing or malformed; names the file and the line."""


class MigrationTimeoutError(DistlabError):
    """A migration that cannot finish within ``world.max_time_s`` of simulated time."""


class CheckFailedError(DistlabError):
    """Check mode found the destination's memory different from the source's (an engine bug)."""
