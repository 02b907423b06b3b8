"""Hydra's command-line flags: which take a value, after which nothing runs, and which exclude each other."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from distlab.errors import ConfigError

__all__ = ["CommandLine", "split"]

# Hydra's flags that take a value, and those after which nothing runs (so nothing to preflight).
_VALUE_FLAGS = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn",
                "--config-dir", "-cd", "--experimental-rerun", "--shell-completion", "-sc", "--info", "-i"}
_NO_RUN_FLAGS = {"--help", "-h", "--hydra-help", "--version", "--cfg", "-c", "--shell-completion", "-sc",
                 "--info", "-i", "--experimental-rerun"}
_MODE_FLAGS = ("--multirun", "-m", "--cfg", "-c", "--info", "-i")


@dataclasses.dataclass(frozen=True)
class CommandLine:
    """A Hydra command line, read: its flags (with their values) and its overrides.

    Attributes:
        flags: each flag given, with its value (None for a flag without one).
        overrides: the overrides, in order.
    """

    flags: dict[str, str | None]
    overrides: list[str]

    def flag(self, *names: str) -> str | None:
        """The value of the first of ``names`` given (a flag and its short form), else None."""
        for name in names:
            if name in self.flags:
                return self.flags[name]
        return None

    @property
    def multirun(self) -> bool:
        """Whether the command line asks for a sweep."""
        return any(f in self.flags for f in ("--multirun", "-m"))

    @property
    def runs(self) -> bool:
        """Whether Hydra would run a case (and not only print help, the config or information)."""
        return not any(f in _NO_RUN_FLAGS for f in self.flags)

    @property
    def config_name(self) -> str:
        """The primary config's name (``--config-name``), ``config`` by default."""
        return self.flag("--config-name", "-cn") or "config"

    @property
    def config_dir(self) -> str | None:
        """The extra config directory (``--config-dir``), if any."""
        return self.flag("--config-dir", "-cd")


def split(args: Sequence[str]) -> CommandLine:
    """Read a Hydra command line into its flags and overrides.

    Args:
        args: the arguments after ``distlab``.

    Returns:
        The flags and the overrides.

    Raises:
        ConfigError: if the line asks for two modes at once (``--multirun`` with ``--cfg`` or ``--info``).

    Examples:
        >>> line = split(["-m", "--config-dir", "exp", "seed=0,1"])
        >>> line.multirun, line.config_dir, line.overrides
        (True, 'exp', ['seed=0,1'])
    """
    args = list(args)
    flags: dict[str, str | None] = {}
    overrides: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, inline = arg.partition("=")
        if arg.startswith("-") and name in _VALUE_FLAGS:
            if eq:
                flags[name] = inline
            elif i + 1 < len(args) and not (name in {"--info", "-i"} and "=" in args[i + 1]):
                flags[name] = args[i + 1]
                i += 1
            else:
                flags[name] = None
        elif arg.startswith("-"):
            flags[arg] = None
        else:
            overrides.append(arg)
        i += 1
    modes = [f for f in flags if f in _MODE_FLAGS]
    if len({m.lstrip("-")[0] for m in modes}) > 1:
        raise ConfigError(f"{' and '.join(modes)} do not go together: --multirun runs a sweep, --cfg prints the "
                          "config, --info prints Hydra's information; give one of them")
    return CommandLine(flags, overrides)
