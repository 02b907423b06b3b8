"""Verdicts on claims: every claims section of a report ends in one, computed from the data.

An experiment's ``analysis.py`` judges each claim by a rule written next to it and calls
:func:`verdict` with how many settings the rule holds in. The verdict is bold Markdown, and the report
collects every verdict given while it is made, so that a claim the data does not support is listed at
the top of the report ("Claims the data does not support"), not only deep in its section.

An experiment's README states findings too. Each such sentence carries a marker naming the verdict that
checks it, ``<!-- verdict: NAME -->`` (invisible when the Markdown is rendered); :func:`check_text` lists
the markers whose verdict was not given or is refuted, and the finding sentences (list items under a
"What to look for" or "Findings" heading) that carry no marker. The report prints these at its top.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

__all__ = ["Verdict", "check_readme", "check_text", "collected", "start", "text_problems", "verdict"]


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One claim's verdict.

    Attributes:
        claim: the claim, in a few words.
        holds: in how many settings the rule holds.
        total: how many settings were judged.
        name: the name a README's ``<!-- verdict: NAME -->`` marker refers to it by ("" : none).
    """

    claim: str
    holds: int
    total: int
    name: str = ""

    @property
    def word(self) -> str:
        """``Supported``, ``Refuted``, ``Partly supported`` or ``Not judged`` (no setting to judge)."""
        if self.total == 0:
            return "Not judged"
        if self.holds == self.total:
            return "Supported"
        return "Refuted" if self.holds == 0 else "Partly supported"


_COLLECTED: list[Verdict] = []
_PROBLEMS: list[str] = []


def start() -> None:
    """Forget the verdicts of the last report (called by :func:`distlab.report.make_report`)."""
    _COLLECTED.clear()
    _PROBLEMS.clear()


def check_readme(path: Path) -> list[str]:
    """Check the README at ``path`` against the verdicts given so far (:func:`check_text`), and record it.

    Returns:
        The problems, each prefixed by the file's name; none if the file does not exist.
    """
    if not path.is_file():
        return []
    found = [f"{path.name}: {p}" for p in check_text(path.read_text(encoding="utf-8"), collected())]
    _PROBLEMS.extend(found)
    return found


def text_problems() -> list[str]:
    """The problems :func:`check_readme` found since :func:`start`."""
    return list(_PROBLEMS)


def collected() -> list[Verdict]:
    """The verdicts given since :func:`start`."""
    return list(_COLLECTED)


def verdict(holds: int, total: int, claim: str = "", *, unit: str = "settings", name: str = "") -> str:
    """The bold verdict of a claim whose rule holds in ``holds`` of ``total`` settings, and record it.

    Args:
        holds: how many settings the rule holds in.
        total: how many settings were judged.
        claim: the claim in a few words (named in the report's list of unsupported claims).
        unit: what is counted ("settings", "cases", "shapes").
        name: a short name, for a README sentence's ``<!-- verdict: NAME -->`` marker.

    Examples:
        >>> verdict(3, 3)
        '**Verdict: supported** in all 3 settings.'
        >>> verdict(1, 4, unit="shapes")
        '**Verdict: partly supported**: it holds in 1 of 4 shapes.'
    """
    given = Verdict(claim, int(holds), int(total), name)
    _COLLECTED.append(given)
    if given.total == 0:
        return f"**Verdict: not judged**: no {unit} to judge."
    if given.holds == given.total:
        return f"**Verdict: supported** in all {total} {unit}." if total > 1 \
            else f"**Verdict: supported** in the one {unit.rstrip('s')}."
    if given.holds == 0:
        return f"**Verdict: refuted** in {'all ' if total > 1 else ''}{total} {unit if total > 1 else unit.rstrip('s')}."
    return f"**Verdict: partly supported**: it holds in {holds} of {total} {unit}."


_MARKER = re.compile(r"<!--\s*verdict:\s*([^>]*?)\s*-->")
_CODE = re.compile(r"`[^`]*`")
_FINDINGS_HEADING = re.compile(r"^#+\s.*\b(what to look for|findings?)\b", re.IGNORECASE)


def check_text(text: str, verdicts: list[Verdict]) -> list[str]:
    r"""The problems of a README's finding sentences, checked against the verdicts the report gave.

    A marker ``<!-- verdict: NAME -->`` (several names separated by commas) ties the sentence it ends to
    the verdicts of those names. A problem is a marker naming a verdict that was not given, or one that is
    refuted or not judged, and a list item under a "What to look for" or "Findings" heading without any marker.

    Examples:
        >>> given = [Verdict("a claim", 3, 3, "held"), Verdict("another", 0, 2, "gone")]
        >>> check_text("## What to look for\n\n- It holds. <!-- verdict: held -->\n- Untied.\n", given)
        ['finding without a verdict marker: "Untied."']
        >>> check_text("- It fails. <!-- verdict: gone, lost -->", given)
        ['"gone" (another): refuted (0 of 2)', '"lost": no such verdict in the report']
        >>> check_text("Mark a finding with `<!-- verdict: NAME -->`.", given)
        []
    """
    by_name = {v.name: v for v in verdicts if v.name}
    problems: list[str] = []
    in_findings = False
    item = ""  # the list item being read (items run over several lines)

    def close_item() -> None:
        if item and in_findings and not _MARKER.search(item):
            words = " ".join(item.split())
            problems.append(f'finding without a verdict marker: "{words[:80]}{"…" if len(words) > 80 else ""}"')

    for line in text.splitlines():
        line = _CODE.sub("", line)  # a marker quoted as code (`<!-- verdict: NAME -->`) is not one
        stripped = line.strip()
        if stripped.startswith("#"):
            close_item()
            item = ""
            in_findings = bool(_FINDINGS_HEADING.match(stripped))
        elif re.match(r"^[-*]\s", stripped):
            close_item()
            item = stripped[2:]
        elif stripped and item and line.startswith((" ", "\t")):
            item += " " + stripped
        else:
            close_item()
            item = ""
        for names in _MARKER.findall(line):
            for name in (n.strip() for n in names.split(",") if n.strip()):
                given = by_name.get(name)
                if given is None:
                    problems.append(f'"{name}": no such verdict in the report')
                elif given.word in ("Refuted", "Not judged"):
                    problems.append(f'"{name}" ({given.claim or "a claim"}): {given.word.lower()} '
                                    f"({given.holds} of {given.total})")
    close_item()
    return problems
