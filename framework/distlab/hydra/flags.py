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
            elif (i + 1 < len(args) and not args[i + 1].startswith("-")
                  and not (name in {"--info", "-i"} and "=" in args[i + 1])):
                flags[name] = args[i + 1]
                i += 1
            else:
                flags[name] = None
        elif arg.startswith("-") and arg.strip("-"):
            flags[arg] = None
        elif arg.startswith("-"):
            raise ConfigError(f"'{arg}' is neither a flag nor an override; flags are words such as --multirun, "
                              "overrides are key=value (see distlab --help)")
        else:
            overrides.append(arg)
        i += 1
    _check_values(flags)
    modes = [f for f in flags if f in _MODE_FLAGS]
    if len({m.lstrip("-")[0] for m in modes}) > 1:
        raise ConfigError(f"{' and '.join(modes)} do not go together: --multirun runs a sweep, --cfg prints the "
                          "config, --info prints Hydra's information; give one of them")
    return CommandLine(flags, overrides)


_SHELLS = ("bash", "zsh", "fish")


def _check_values(flags: dict[str, str | None]) -> None:
    """Refuse the flag values Hydra would meet with a traceback or an exit status of 1 (nothing ran)."""
    from pathlib import Path

    for name in ("--config-path", "-cp"):
        if name in flags:
            raise ConfigError(f"{name} replaces distlab's built-in primary config, which every case needs; give a "
                              "folder of extra configs (that may extend distlab's: defaults: [config, ...]) with "
                              "--config-dir DIR instead, and choose one with --config-name NAME")
    for name in ("--config-name", "-cn", "--config-dir", "-cd", "--experimental-rerun", "--package", "-p"):
        if name in flags and flags[name] is not None and not str(flags[name]).strip():
            raise ConfigError(f"{name} was given an empty value; give {_VALUE_WORDS[name]}")
    rerun = flags.get("--experimental-rerun")
    if rerun and not Path(rerun).is_file():
        raise ConfigError(f"--experimental-rerun {rerun}: no such file; give the file Hydra saved in a job "
                          "directory's .hydra/ folder")
    if "--resolve" in flags and not any(f in flags for f in ("--cfg", "-c", "--help", "-h")):
        raise ConfigError("--resolve only goes with --cfg (or --help): it resolves the ${...} values of the config "
                          "printed, e.g. distlab --cfg job --resolve")
    for name in ("--shell-completion", "-sc"):
        if name in flags:
            value = flags[name] or ""
            action, _, shell = value.partition("=")
            if not (action in ("install", "uninstall") and shell in _SHELLS or action == "query"):
                raise ConfigError(f"{name} {value or '(nothing)'}: give install=SHELL or uninstall=SHELL with a SHELL "
                                  f"of {', '.join(_SHELLS)}, e.g. distlab {name} install=bash")


_VALUE_WORDS = {
    "--config-name": "the name of a YAML file (without .yaml) in --config-dir or distlab's config",
    "--config-dir": "a folder of configs, e.g. an experiment's folder",
    "--experimental-rerun": "the file Hydra saved in a job directory's .hydra/ folder",
    "--package": "a key of the config to print, e.g. --cfg job --package hydra.job",
}
_VALUE_WORDS.update({"-cn": _VALUE_WORDS["--config-name"], "-cd": _VALUE_WORDS["--config-dir"],
                     "-p": _VALUE_WORDS["--package"]})
