"""The error of the IDL compiler: a ``.x`` file that cannot be compiled, and where.

It is a :class:`distlab.errors.ConfigError` (the CLI exits with status 2), because a ``.x`` file is
input a person wrote: the message names the file, line and column, and says what was expected.
"""

from __future__ import annotations

from distlab.errors import ConfigError

__all__ = ["IdlError"]


class IdlError(ConfigError):
    """A ``.x`` file that cannot be compiled.

    Attributes:
        file: the file the error is in (an included file's own path), or ``None`` if unknown.
        line: the 1-based line, or ``None``.
        column: the 1-based column, or ``None``.
        reason: what is wrong and what was expected, without the position.

    Examples:
        >>> str(IdlError("expected ';'", "a.x", 3, 14))
        "a.x:3:14: expected ';'"
    """

    def __init__(self, reason: str, file: str | None = None, line: int | None = None, column: int | None = None) -> None:
        self.reason, self.file, self.line, self.column = reason, file, line, column
        where = ":".join(str(p) for p in (file, line, column) if p is not None)
        super().__init__(f"{where}: {reason}" if where else reason)
