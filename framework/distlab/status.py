"""The status values of a trial, a case and a case's run: one spelling everywhere.

A result row's ``status`` is :data:`OK` or :data:`FAILED`; a case's status in its provenance is
:data:`OK` when every trial is, else :data:`FAILED`; a run of a case that found complete results
already is :data:`SKIPPED` (it wrote nothing).
"""

from __future__ import annotations

from typing import Final

__all__ = ["FAILED", "OK", "SKIPPED"]

OK: Final = "ok"
"""The trial (or every trial of the case) ran and returned every metric."""
FAILED: Final = "failed"
"""The trial raised (or at least one trial of the case did); its row holds the error, not metrics."""
SKIPPED: Final = "skipped"
"""The case already had complete results, so this run did not run it again."""
