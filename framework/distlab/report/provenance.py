"""What a report keeps of its jobs' provenance: each job's few read fields, and their tally for the report.

A provenance record parsed from JSON is a few kilobytes of Python objects (host, libraries, components
with their code hashes, metric and figure declarations, the whole config). A report of 100,000 cases
that kept them all held most of a gigabyte in them alone (issue 15). So each record is read, reduced
to a :class:`JobProvenance` and dropped. The parts of a record that a sweep's cases share (where the
code came from, the machine, the declarations, the columns of the results file) are one object for
every job that has them (:class:`Sharer`), so what a job costs beyond its shared parts is its case id,
its two timestamps, its file's hash and its folder: about half a kilobyte.

The report's provenance section is a tally over the jobs it counts (:class:`ProvenanceSummary`),
made once the copies of a case are resolved, and merged over sweeps when several are compared.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from distlab import store

__all__ = ["JobProvenance", "Origin", "ProvenanceSummary", "Sharer", "job_provenance"]


@dataclasses.dataclass(frozen=True, slots=True)
class Origin:
    """Where a job's numbers came from, as its report section says it; equal for most jobs of a sweep.

    Attributes:
        distlab: distlab's version and git commit (``"0.4 @ abc123 (dirty)"``).
        plugins: each component's distribution (or plugin) and version, in kind order.
        python: the Python version.
        platform: the platform string.
        libraries: the scientific libraries and their versions, one string, or None (not recorded).
        machine: host name, CPU model, cores and memory, one string, or None (not recorded).
        launcher: the Hydra launcher, or None.
        seed: the base seed of the config (any JSON scalar; None if absent).
    """

    distlab: str
    plugins: tuple[str, ...]
    python: str
    platform: str
    libraries: str | None
    machine: str | None
    launcher: str | None
    seed: Any


@dataclasses.dataclass(frozen=True, slots=True)
class JobProvenance:
    """What the report reads of one job's provenance record (see :func:`job_provenance`).

    Attributes:
        case_id: the case id.
        study: the study's name.
        status: the case's status, or None.
        started_at: when it started (ISO 8601), "" if not recorded.
        finished_at: when it ended, "" if not recorded.
        results_sha256: the SHA-256 recorded for results.parquet (checked against the file), or None.
        results_columns: its columns and types as recorded, or None (cases written before); shared.
        versions: the columns telling versions of a component, of the study's engine or contents of an
            input file apart (``<kind>.version``, ``<kind>.code``, ``study.code``, ``<key>.sha256``) and
            their values; shared.
        metrics: the metric declarations recorded, as dicts; shared.
        figures: the key figure declarations recorded, as dicts; shared.
        treatment: the kind the study compares, or None.
        baseline: the treatment paired differences compare to, or None.
        origin: where the numbers came from; shared.
    """

    case_id: str
    study: str
    status: str | None
    started_at: str
    finished_at: str
    results_sha256: str | None
    results_columns: Mapping[str, str] | None
    versions: Mapping[str, str]
    metrics: tuple[Mapping[str, Any], ...]
    figures: tuple[Mapping[str, Any], ...]
    treatment: str | None
    baseline: str | None
    origin: Origin


class Sharer:
    """Hands back one object for equal values, so the jobs of a sweep share what they have in common.

    Equal values are found by a JSON key, but first by comparison with the value shared last under the
    same name: consecutive jobs of a sweep nearly always agree, and an equality test of two small
    dicts costs less than writing one as JSON.
    """

    def __init__(self) -> None:
        self._last: dict[str, Any] = {}
        self._by_key: dict[tuple[str, str], Any] = {}

    def share(self, name: str, value: Any) -> Any:
        """The object shared for values equal to ``value`` under ``name`` (``value`` itself the first time)."""
        last = self._last.get(name, self)
        if last is not self and last == value:
            return last
        try:
            key = (name, json.dumps(value, sort_keys=True, default=repr))
        except (TypeError, ValueError):  # keys of mixed types: not shared, but still correct
            return value
        shared = self._by_key.setdefault(key, value)
        self._last[name] = shared
        return shared


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _dict(record: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def _origin(record: Mapping[str, Any]) -> Origin:
    code = _dict(record, "code")
    distlab = (f"{code.get('version')} @ {code.get('git_commit') or 'no git'}"
               + (" (dirty)" if code.get("git_dirty") else ""))
    components = _dict(record, "components")
    plugins = tuple(f"{c.get('distribution') or c.get('plugin')} {c.get('version')}".strip()
                    for c in components.values() if isinstance(c, dict))
    libraries = record.get("libraries")
    host = record.get("host")
    machine = None
    if isinstance(host, dict):
        memory = host.get("memory_bytes")
        machine = (f"{host.get('hostname') or 'host name not recorded'}: {host.get('cpu_model') or '?'}, "
                   f"{host.get('cpu_count') or '?'} cores, "
                   + (f"{memory / 2**30:.1f} GiB" if isinstance(memory, int) else "? GiB"))
    seed = _dict(record, "config").get("seed")
    return Origin(
        distlab=distlab,
        plugins=plugins,
        python=str(record.get("python", "?")),
        platform=str(record.get("platform", "?")),
        libraries=", ".join(f"{k} {v}" for k, v in libraries.items()) if isinstance(libraries, dict) and libraries else None,
        machine=machine,
        launcher=str(record["launcher"]) if record.get("launcher") else None,
        seed=seed if seed is None or isinstance(seed, (bool, int, float, str)) else str(seed),
    )


def _versions(record: Mapping[str, Any]) -> dict[str, str]:
    row: dict[str, str] = {}
    # The study's engine, like a component's code: an edited engine is another case (distlab.study.Study.engine_code).
    engine = record.get("study_code")
    if isinstance(engine, dict) and engine.get("sha256"):
        row["study.code"] = str(engine["sha256"])[:12]
    for kind, comp in (record.get("components") or {}).items():
        row[f"{kind}.version"] = f"{comp.get('distribution') or comp.get('plugin')} {comp.get('version')}".strip()
        # The same version with other code (an edited plugin) is another case: say which code.
        code = comp.get("code") if isinstance(comp.get("code"), dict) else {}
        if code.get("sha256"):
            row[f"{kind}.code"] = str(code["sha256"])[:12]
    # An input file's content is part of the case, like a version: an edited input file is another case.
    for key, file in (record.get("input_files") or {}).items():
        row[f"{key}.sha256"] = str(file.get("sha256", ""))[:12]
    return row


def _declarations(record: Mapping[str, Any], key: str) -> tuple[Mapping[str, Any], ...]:
    return tuple(d for d in record.get(key) or [] if isinstance(d, dict))


def job_provenance(record: Mapping[str, Any], sharer: Sharer) -> JobProvenance:
    """What the report keeps of a shape-checked provenance record (see :func:`distlab.report.jobs.normalized`).

    Args:
        record: the record, its fields in the shapes the report expects.
        sharer: the report's :class:`Sharer`, so equal parts of many jobs are one object.
    """
    entry = (record.get("files") or {}).get(store.RESULTS)
    entry = entry if isinstance(entry, dict) else {}
    columns = entry.get("columns")
    if not (isinstance(columns, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items())):
        columns = None
    sha = entry.get("sha256")
    return JobProvenance(
        case_id=str(record["case_id"]),
        study=sharer.share("study", str(record.get("study"))),
        status=sharer.share("status", _text(record.get("status"))),
        started_at=str(record.get("started_at") or ""),
        finished_at=str(record.get("finished_at") or ""),
        results_sha256=sha if isinstance(sha, str) else None,
        results_columns=None if columns is None else sharer.share("columns", columns),
        versions=sharer.share("versions", _versions(record)),
        metrics=sharer.share("metrics", _declarations(record, "metrics")),
        figures=sharer.share("figures", _declarations(record, "figures")),
        treatment=sharer.share("treatment", _text(record.get("treatment"))),
        baseline=sharer.share("baseline", _text(record.get("baseline"))),
        origin=sharer.share("origin", _origin(record)),
    )


@dataclasses.dataclass
class ProvenanceSummary:
    """The tally of a report's jobs' provenance: what its provenance section says.

    Attributes:
        jobs: how many jobs are counted.
        distlab: each distlab version and commit, with how many jobs ran it.
        plugins: each component distribution and version some job used.
        pythons: the Python versions.
        platforms: the platforms.
        libraries: each set of library versions, with how many jobs had it.
        machines: each machine, with how many jobs ran on it.
        launchers: each launcher, with how many jobs it ran.
        seeds: the base seeds.
        first_start: the earliest start recorded ("" if none is).
        last_end: the latest end recorded ("" if none).
    """

    jobs: int = 0
    distlab: Counter[str] = dataclasses.field(default_factory=Counter)
    plugins: set[str] = dataclasses.field(default_factory=set)
    pythons: set[str] = dataclasses.field(default_factory=set)
    platforms: set[str] = dataclasses.field(default_factory=set)
    libraries: Counter[str] = dataclasses.field(default_factory=Counter)
    machines: Counter[str] = dataclasses.field(default_factory=Counter)
    launchers: Counter[str] = dataclasses.field(default_factory=Counter)
    seeds: set[Any] = dataclasses.field(default_factory=set)
    first_start: str = ""
    last_end: str = ""

    @classmethod
    def of(cls, jobs: Iterable[JobProvenance]) -> ProvenanceSummary:
        """The tally over ``jobs``."""
        summary = cls()
        origins: Counter[Origin] = Counter()
        starts: list[str] = []
        ends: list[str] = []
        for job in jobs:
            origins[job.origin] += 1
            starts.append(job.started_at)
            ends.append(job.finished_at)
        for origin, count in origins.items():
            summary._add(origin, count)
        summary.jobs = sum(origins.values())
        summary.first_start = min((s for s in starts if s), default="")
        summary.last_end = max(ends, default="")
        return summary

    def _add(self, origin: Origin, count: int) -> None:
        self.distlab[origin.distlab] += count
        self.plugins.update(origin.plugins)
        self.pythons.add(origin.python)
        self.platforms.add(origin.platform)
        if origin.libraries:
            self.libraries[origin.libraries] += count
        if origin.machine:
            self.machines[origin.machine] += count
        if origin.launcher:
            self.launchers[origin.launcher] += count
        if origin.seed is not None:
            self.seeds.add(origin.seed)

    def merged(self, other: ProvenanceSummary) -> ProvenanceSummary:
        """The tally over both summaries' jobs (a report comparing sweeps)."""
        return ProvenanceSummary(
            jobs=self.jobs + other.jobs,
            distlab=self.distlab + other.distlab,
            plugins=self.plugins | other.plugins,
            pythons=self.pythons | other.pythons,
            platforms=self.platforms | other.platforms,
            libraries=self.libraries + other.libraries,
            machines=self.machines + other.machines,
            launchers=self.launchers + other.launchers,
            seeds=self.seeds | other.seeds,
            first_start=min((s for s in (self.first_start, other.first_start) if s), default=""),
            last_end=max(self.last_end, other.last_end),
        )
