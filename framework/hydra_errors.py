"""Hydra's and OmegaConf's errors, said in distlab's words: what was wrong and what is allowed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distlab.registry import Registry

__all__ = ["explain"]


def explain(err: Exception, registry: Registry) -> str:
    """A one-paragraph message for a Hydra or OmegaConf error met while composing a case.

    Args:
        err: what Hydra or OmegaConf raised.
        registry: the components, whose parameters the message may list.
    """
    parts: list[str] = []
    cause: BaseException | None = err
    while cause is not None and len(parts) < 3:
        lines = [ln.strip() for ln in str(cause).splitlines() if ln.strip() and "HYDRA_FULL_ERROR" not in ln]
        text = " ".join(lines)
        if text and text not in parts:
            parts.append(text)
        cause = cause.__cause__
    return ": ".join(parts)
