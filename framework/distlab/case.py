"""A case: one fully resolved configuration, with its id and the seeds of its trials.

A case id covers what makes the numbers: the resolved config, the versions and code of the components, the
code of the study's engine, and the content of every input file the config names (parameters declared with ``param(..., file=True)``), so that
editing an input file makes its cases new cases instead of ones that already ran.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from distlab.component import Component
from distlab.errors import ParameterError
from distlab.params import build, input_files, input_path
from distlab.registry import Registry
from distlab.study import Study

__all__ = ["Case", "file_sha256", "resolve_case", "trial_seed"]

# Top-level keys of the primary config that are not a kind, the study or the world.
RUN_KEYS = ("seed", "repeats", "force", "retry_failed", "trial_timeout_s", "provenance")
MAX_REPEATS = 10_000
"""The most trials a case may run (a sweep of 10**8 trials would run for days before anything is reported)."""


@dataclasses.dataclass(frozen=True)
class Case:
    """One fully resolved configuration (one Hydra job).

    Attributes:
        study: the study.
        world: the world's parameters (an instance of ``study.world``).
        components: for each kind of the study, the chosen component and its parameters.
        seed: the base seed.
        repeats: how many trials the case runs.
        presets: for a kind chosen through a preset (a config option that extends a component's
            config under its own name, e.g. ``KIND=PRESET``), the preset's name. It labels
            results; the case itself is defined by the component and its parameters.
    """

    study: Study
    world: Any
    components: Mapping[str, tuple[Component, Any]]
    seed: int
    repeats: int
    presets: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        """The case as plain nested values: what the case id hashes and provenance records."""
        return {
            "study": self.study.name,
            "seed": self.seed,
            "repeats": self.repeats,
            "world": dataclasses.asdict(self.world),
            **{
                kind: {"name": comp.name, **dataclasses.asdict(params)}
                for kind, (comp, params) in self.components.items()
            },
        }

    def input_files(self) -> dict[str, dict[str, str]]:
        """The input files the case reads: for each ``file=True`` parameter that names one, its path and hash.

        Returns:
            ``{key: {"path": absolute path, "sha256": hex digest of the content}}``, e.g. for
            ``KIND.path``. Each file is hashed once per case object, so the case id and provenance
            agree even if the file changes while the case runs.

        Raises:
            ParameterError: naming the key and the path, if a file cannot be read.
        """
        return {key: dict(entry) for key, entry in self._files.items()}

    @functools.cached_property
    def _files(self) -> dict[str, dict[str, str]]:
        named = input_files(self.world, "world.")
        for kind, (_, params) in self.components.items():
            named.update(input_files(params, f"{kind}."))
        out: dict[str, dict[str, str]] = {}
        for key, value in named.items():
            path = input_path(value).resolve()
            try:
                digest = file_sha256(path)
            except OSError as err:
                raise ParameterError(
                    key, value, f"a readable file (cannot read {path}: {err.strerror or err}); a relative "
                    f"path is taken from the working directory, {os.getcwd()}"
                ) from None
            out[key] = {"path": str(path), "sha256": digest}
        return out

    @property
    def case_id(self) -> str:
        """A hash of the resolved config, the versions and code of the components, and the content of its
        input files.

        The path of an input file is part of the config, so an identical copy at another path is another
        case (reported under its own path); the same path with other content is another case too. The
        hash of each component's code (:meth:`distlab.component.Component.code`) makes an edited plugin
        a new case, whatever its version says, and the hash of the study's engine
        (:meth:`distlab.study.Study.engine_code`) an edited engine.
        """
        versions = {kind: f"{comp.distribution}=={comp.version}" for kind, (comp, _) in self.components.items()}
        code = {kind: comp.code()["sha256"] for kind, (comp, _) in self.components.items()}
        payload: dict[str, Any] = {"config": self.config(), "versions": versions, "code": code,
                                   "engine": self.study.engine_code()["sha256"]}
        files = {key: entry["sha256"] for key, entry in self._files.items()}
        if files:  # only then, so that the ids of cases without input files stay as they were
            payload["files"] = files
        return _digest(payload)

    @property
    def seed_key(self) -> str:
        """A hash of what the trial seeds depend on: the config without the treatment and repeats.

        Leaving the treatment (the kind the study compares) out gives every treatment the same random world
        in the same trial: common random numbers, so differences between treatments are not noise.
        The content of input files outside the treatment counts as part of the world, as their paths
        already do: every treatment still shares the seeds, and an edited input file is a new world.
        """
        config = self.config()
        config.pop("repeats")
        config.pop("seed")
        treatment = self.study.treatment
        if treatment:
            config.pop(treatment, None)
        files = {
            key: entry["sha256"]
            for key, entry in self._files.items()
            if not treatment or not key.startswith(f"{treatment}.")
        }
        return _digest({"config": config, "files": files}) if files else _digest(config)

    def trial_seeds(self) -> list[int]:
        """The seed of each trial, derived from (base seed, seed key, repeat index)."""
        return [trial_seed(self.seed, self.seed_key, r) for r in range(self.repeats)]

    def columns(self) -> dict[str, Any]:
        """The config flattened into result-row columns, ``KIND.PARAM`` and ``world.PARAM``."""
        out: dict[str, Any] = {"study": self.study.name, "seed": self.seed, "repeats": self.repeats}
        out.update(_flatten("world", dataclasses.asdict(self.world)))
        for kind, (comp, params) in self.components.items():
            out[kind] = comp.name
            if kind in self.presets:
                out[f"{kind}.preset"] = self.presets[kind]
            out.update(_flatten(kind, dataclasses.asdict(params)))
        return out

    def create_components(self) -> dict[str, Any]:
        """A fresh object of each component, for one trial."""
        return {kind: comp.create(params) for kind, (comp, params) in self.components.items()}


def trial_seed(base_seed: int, seed_key: str, repeat: int) -> int:
    """The seed of one trial: a 63-bit integer, stable across processes, machines and launchers.

    Examples:
        >>> trial_seed(0, "abc", 0) == trial_seed(0, "abc", 0) != trial_seed(0, "abc", 1)
        True
    """
    digest = hashlib.sha256(f"{base_seed}:{seed_key}:{repeat}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


_SHA256: dict[tuple[str, int, int, int, int], str] = {}
_RACY_NS = 2_000_000_000


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content, as hex; remembered per (path, device, inode, size, mtime) in a process.

    The file is streamed in blocks (an input file of a gigabyte is never held in memory), and a sweep that
    names the same file in many cases reads it once (unless it was modified in the last two seconds).

    Raises:
        OSError: if the file cannot be opened or read (e.g. it is missing), or is not a regular file (a
            directory, a device such as /dev/zero that never ends, a pipe whose opening waits for a writer).
    """
    import errno
    import stat

    def regular(mode: int) -> None:
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a device, pipe, socket or directory cannot be an input "
                                        "file)", str(path))

    regular(os.stat(path).st_mode)  # before opening: opening a named pipe would wait for a writer
    with path.open("rb") as fh:
        st = os.fstat(fh.fileno())  # of the file opened, so that a file replaced meanwhile is not mixed up
        regular(st.st_mode)
        key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if key in _SHA256:
            return _SHA256[key]
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    # A file changed within the last moments may change again with no new mtime (file times tick
    # coarsely) and no new size: remember only older ones, as git does with "racily clean" entries.
    if time.time_ns() - st.st_mtime_ns > _RACY_NS:
        _SHA256[key] = digest
    return digest


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _flatten(prefix: str, value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}"
        if isinstance(item, Mapping):
            out.update(_flatten(name, item))
        else:
            out[name] = item
    return out


def resolve_case(
    config: Mapping[str, Any],
    choices: Mapping[str, str | None],
    registry: Registry,
    presets: Mapping[str, str] | None = None,
    *,
    study: Study | None = None,
) -> Case:
    """Resolve a composed config into a case, checking every name, type and range.

    Args:
        config: the composed config as plain values (without the ``hydra`` node).
        choices: the component chosen for each kind.
        registry: the registry to look names up in.
        presets: the preset name of each kind chosen through a preset.
        study: the study, if the caller has looked it up already; else ``config["study"]`` names it.

    Returns:
        The case.

    Raises:
        UnknownComponentError: for a study or component name that is not registered.
        ParameterError: naming the key, the value and what is allowed.
    """
    if study is None:
        study = registry.study(str(config.get("study")))
    seed = config.get("seed", 0)
    # Below 2**63: the seed is an int64 column of the results, where larger ones would merge or overflow.
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ParameterError("seed", seed, "an integer >= 0 and < 2**63")
    repeats = config.get("repeats", 1)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= MAX_REPEATS:
        raise ParameterError("repeats", repeats, f"an integer >= 1 and <= {MAX_REPEATS}")
    world: Any = build(study.world, config.get("world") or {}, "world.")
    components: dict[str, tuple[Component, Any]] = {}
    for kind in study.kinds:
        name = choices.get(kind.name) or study.defaults[kind.name]
        comp = registry.component(kind.name, name)
        components[kind.name] = (comp, build(comp.params, config.get(kind.name) or {}, f"{kind.name}."))
    known = {"study", "world", "hydra", *RUN_KEYS, *(k.name for k in study.kinds)}
    for key in config:
        if key not in known:
            raise ParameterError(
                key, config[key], f"a key of study '{study.name}': " + ", ".join(sorted(known - {"hydra"}))
            )
    return Case(study, world, components, seed, repeats, dict(presets or {}))
