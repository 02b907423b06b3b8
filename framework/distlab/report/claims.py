"""Verdicts on claims: every claims section of a report ends in one, computed from the data.

An experiment's ``analysis.py`` judges each claim by a rule written next to it and calls
:func:`verdict` with how many settings the rule holds in. The verdict is bold Markdown, and the report
collects every verdict given while it is made, so that a claim the data does not support is listed at
the top of the report ("Claims the data does not support"), not only deep in its section.
"""

from __future__ import annotations

import dataclasses

__all__ = ["Verdict", "collected", "start", "verdict"]


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One claim's verdict.

    Attributes:
        claim: the claim, in a few words.
        holds: in how many settings the rule holds.
        total: how many settings were judged.
    """

    claim: str
    holds: int
    total: int

    @property
    def word(self) -> str:
        """``Supported``, ``Refuted``, ``Partly supported`` or ``Not judged`` (no setting to judge)."""
        if self.total == 0:
            return "Not judged"
        if self.holds == self.total:
            return "Supported"
        return "Refuted" if self.holds == 0 else "Partly supported"


_COLLECTED: list[Verdict] = []


def start() -> None:
    """Forget the verdicts of the last report (called by :func:`distlab.report.make_report`)."""
    _COLLECTED.clear()


def collected() -> list[Verdict]:
    """The verdicts given since :func:`start`."""
    return list(_COLLECTED)


def verdict(holds: int, total: int, claim: str = "", *, unit: str = "settings") -> str:
    """The bold verdict of a claim whose rule holds in ``holds`` of ``total`` settings, and record it.

    Args:
        holds: how many settings the rule holds in.
        total: how many settings were judged.
        claim: the claim in a few words (named in the report's list of unsupported claims).
        unit: what is counted ("settings", "cases", "shapes").

    Examples:
        >>> verdict(3, 3)
        '**Verdict: supported** in all 3 settings.'
        >>> verdict(1, 4, unit="shapes")
        '**Verdict: partly supported**: it holds in 1 of 4 shapes.'
    """
    given = Verdict(claim, int(holds), int(total))
    _COLLECTED.append(given)
    if given.total == 0:
        return f"**Verdict: not judged**: no {unit} to judge."
    if given.holds == given.total:
        return f"**Verdict: supported** in all {total} {unit}." if total > 1 \
            else f"**Verdict: supported** in the one {unit.rstrip('s')}."
    if given.holds == 0:
        return f"**Verdict: refuted** in {'all ' if total > 1 else ''}{total} {unit if total > 1 else unit.rstrip('s')}."
    return f"**Verdict: partly supported**: it holds in {holds} of {total} {unit}."
