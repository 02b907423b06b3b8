"""The core names no study: its modules never mention a study, a study's kinds or its components.

The core is every module of framework/distlab/ outside the study packages (a folder holding a
``study.py``). A new study is a new package and a few lines of pyproject.toml, never an edit of the
core; so the core's code, messages and examples speak of kinds, components and studies in general.
"""

from __future__ import annotations

import re

from testkit import ROOT

PACKAGE = ROOT / "framework" / "distlab"


def _core_files() -> list:
    studies = {p.parent for p in PACKAGE.glob("*/study.py")}
    return sorted(p for p in PACKAGE.rglob("*.py") if not any(s in p.parents for s in studies))


def _study_words() -> set[str]:
    from distlab.host import load_registry

    registry = load_registry(autoload=True, plugins=[])
    words = set()
    for study in registry.studies():
        words.add(study.name)
        for kind in study.kinds:
            words.add(kind.name)
            words.update(c.name for c in registry.components(kind.name))
    # the names of the study packages and of the built-in plugins too
    words.update(p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").is_file())
    # A wire format named after the standard library module the core uses to write provenance.
    words.discard("json")
    return words


def test_core_modules_name_no_study() -> None:
    words = _study_words()
    assert {"migration", "rpc", "strategy", "serializer", "precopy"} <= words  # the check sees them
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words))) + r")\b")
    found = []
    for path in _core_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in pattern.finditer(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(1)}: {line.strip()[:100]}")
    assert not found, "the core names a study:\n" + "\n".join(found)
