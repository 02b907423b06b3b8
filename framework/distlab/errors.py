"""Every exception distlab raises on purpose, so that callers can catch the right one.

The tree::

    DistlabError                  base of everything below
    ├── ConfigError               a configuration cannot run (the CLI exits with status 2)
    │   ├── UnknownComponentError a kind, study or component name that is not registered
    │   └── ParameterError        one parameter has a wrong type or is out of range
    ├── PluginError               a plugin broke its contract (bad registration, bad factory)
    ├── ReportError               `distlab report` cannot make a report (e.g. no results)
    └── StoreError                a result cannot be written: a full or read-only disk (also an OSError)

Each study adds its own errors under these, in its package (``distlab.<study>.errors``), and
exports them from its public surface; the core names none of them.

Errors meant for a person carry the whole explanation in their message: what was wrong, and what is
allowed instead.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DistlabError",
    "ParameterError",
    "PluginError",
    "ReportError",
    "StoreError",
    "UnknownComponentError",
]


class DistlabError(Exception):
    """Base class of every error distlab raises on purpose."""


class ConfigError(DistlabError):
    """A configuration that cannot run; raised before any trial starts."""


class UnknownComponentError(ConfigError):
    """A name that is not registered.

    Args:
        what: what was looked up: a kind's name, ``"kind"`` or ``"study"``.
        name: the name asked for.
        available: the registered names.
    """

    def __init__(self, what: str, name: str, available: list[str]) -> None:
        self.what = what
        self.name = name
        self.available = sorted(available)
        self.suggestion = nearest(name, self.available)
        listed = ", ".join(self.available) if self.available else "(none registered)"
        hint = f" Did you mean '{self.suggestion}'?" if self.suggestion else ""
        import os

        off = os.environ.get("DISTLAB_DISABLE_PLUGIN_AUTOLOAD", "").strip().lower() in {"1", "true", "yes", "on"}
        # With autoloading off, even the built-in plugins load only when named: say so, or the
        # empty list reads as a broken install.
        autoload = (" Plugin autoloading is off (DISTLAB_DISABLE_PLUGIN_AUTOLOAD is set); name the plugins to "
                    "load in DISTLAB_PLUGINS (entry-point or module names, comma-separated)." if off else "")
        super().__init__(
            f"Unknown {what} '{name}'.{hint} Available {what} names: {listed}.{autoload} "
            "Run 'distlab plugins' to list every kind and component with its parameters."
        )


class ParameterError(ConfigError):
    """One parameter with a wrong type or out of its allowed range.

    Args:
        key: the full config key, ``"KIND.PARAM"``, ``"world.PARAM"`` or a top-level key.
        value: the offending value.
        allowed: what is allowed, in words, e.g. ``"an integer >= 1"``.
    """

    def __init__(self, key: str, value: object, allowed: str) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"Invalid value for '{key}': {value!r}. Allowed: {allowed}.")


class PluginError(DistlabError):
    """A plugin broke its contract: a bad registration or a factory that cannot be loaded."""


class StoreError(DistlabError, OSError):
    """The result store could not write (a full or read-only disk, no permission).

    It is both a :class:`~distlab.errors.DistlabError` (so the command line can print its message
    and exit non-zero) and an :class:`OSError` (so code that catches operating-system errors still
    does); :attr:`errno` and :attr:`filename` are the operating system's. Nothing already stored is
    lost when it is raised: the write that failed left the old file in place.

    Args:
        message: the whole explanation, e.g. "no space left on /data while writing /data/x".
        code: the operating system's errno, if any.
        filename: the file or directory being written.
    """

    def __init__(self, message: str, code: int | None = None, filename: str | None = None) -> None:
        super().__init__(code, message) if code is not None else super().__init__(message)
        self.message = message
        self.filename = filename

    def __str__(self) -> str:
        return self.message


class ReportError(DistlabError):
    """`distlab report` cannot make a report, e.g. because the directory holds no results."""





def nearest(name: str, candidates: list[str]) -> str | None:
    """The candidate closest to ``name``, if any is close enough to suggest.

    Examples:
        >>> nearest("colour", ["color", "shape"])
        'color'
    """
    import difflib

    # 0.6: below it, words that merely share letters are suggested (ratio 0.5 for two unrelated
    # nine-letter names), which misleads more than no suggestion.
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    # A prefix ("stop" for "stop_and_go") is close in intent but not in ratio.
    prefixed = [c for c in candidates if c.startswith(name) or name.startswith(c)]
    return prefixed[0] if len(prefixed) == 1 else None
