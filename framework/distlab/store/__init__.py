"""The result store: where a run or sweep directory keeps each case, so that nothing is lost.

A run or sweep directory (``root``: Hydra's ``hydra.sweep.dir``, or a single run's directory) holds::

    case-<case id>/          one directory per case, named by its case id:
        results.parquet      one row per trial: config columns, case_id, repeat, trial_seed, status, metrics
        trace.parquet        optional per-step rows of every trial, keyed by case_id and repeat
        provenance.json      where the numbers came from (see distlab.provenance), and the SHA-256 of
                             the two files above
    <job>/                   Hydra's job directory (.hydra/, the job's log) with a link
        case -> ../case-<case id>    to the case the job ran or found finished
    .distlab/                the store's own: the lock, cases being written (staging/), the sweep plan,
                             the row index (index/: every committed case's rows in a few files, a cache
                             the report reads instead of one file per case; see distlab.store.index)

What is promised (each point is a test in tests/test_store.py, test_runner.py or test_kill.py):

- **Kills.** A case's directory is written whole in ``.distlab/staging/`` and renamed into place, or swapped
  with the old one in one step on a re-run (:mod:`distlab.store.cases`). A process killed at any moment
  leaves the old complete case or the new complete case; the next run into the directory removes what
  the killed one left behind and runs what is missing.
- **Concurrent sweeps.** Cases never share a directory, whatever sweep or process runs them; the few
  steps that look at the directory and then change it hold its lock (:mod:`distlab.store.lock`).
- **Damage.** A case counts as finished only if its provenance is intact and its files match their
  recorded SHA-256; anything else runs again in place. Nothing is moved under a made-up name.
- **Full or read-only disks.** A write that fails raises :class:`StoreError` naming the device or the
  directory, and leaves what was stored before intact.

Directories written before case directories (a job's files directly in ``<job>/``, indexed by
``.cases/<case id>.json``) are still read: by a re-run, to skip their finished cases, and by the report.
"""

from __future__ import annotations

from distlab.store.cases import (
    CASE_PREFIX,
    JOB_LINK,
    PROVENANCE,
    RESULTS,
    TRACE,
    ProvenanceError,
    case_dir,
    case_problem,
    clean_staging,
    commit_case,
    file_sha256,
    find_case,
    find_failed_case,
    index_committed,
    is_case_dir,
    link_job,
    read_provenance,
    supersede,
    valid_case_id,
    write_case_files,
)
from distlab.store.files import (
    StoreError,
    parquet_bytes,
    read_json,
    store_error,
    write_bytes,
    write_json,
    write_parquet,
)
from distlab.store.lock import KILL_ENV, STATE_DIR
from distlab.store.plan import plan_sweep, read_plan

__all__ = [
    "CASE_PREFIX",
    "JOB_LINK",
    "KILL_ENV",
    "PROVENANCE",
    "RESULTS",
    "STATE_DIR",
    "TRACE",
    "ProvenanceError",
    "StoreError",
    "case_dir",
    "case_problem",
    "clean_staging",
    "commit_case",
    "file_sha256",
    "find_case",
    "find_failed_case",
    "index_committed",
    "is_case_dir",
    "link_job",
    "parquet_bytes",
    "plan_sweep",
    "read_json",
    "read_plan",
    "read_provenance",
    "store_error",
    "supersede",
    "valid_case_id",
    "write_bytes",
    "write_case_files",
    "write_json",
    "write_parquet",
]
