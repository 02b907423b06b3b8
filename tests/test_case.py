"""Cases: resolution from a config, case ids, and trial seeds."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from pathlib import Path

import pytest

from distlab import param
from distlab.case import Case, file_sha256, resolve_case, trial_seed
from distlab.errors import ParameterError, UnknownComponentError
from distlab.host import load_registry


@pytest.fixture
def registry():
    import toy_plugin

    return load_registry(autoload=False, plugins=[], modules=[toy_plugin])


def _config(**shape):
    return {"study": "toy", "seed": 7, "repeats": 3, "force": False, "world": {"scale": 2.0}, "shape": shape}


def test_resolve_builds_world_and_components(registry) -> None:
    case = resolve_case(_config(value=1.5), {"shape": "constant"}, registry)
    assert case.world.scale == 2.0
    comp, params = case.components["shape"]
    assert comp.name == "constant" and params.value == 1.5 and params.count == 2
    cols = case.columns()
    assert cols["shape"] == "constant" and cols["shape.value"] == 1.5 and cols["world.scale"] == 2.0


def test_case_id_is_stable_and_sensitive(registry) -> None:
    a = resolve_case(_config(value=1.5), {"shape": "constant"}, registry)
    b = resolve_case(_config(value=1.5), {"shape": "constant"}, registry)
    c = resolve_case(_config(value=1.6), {"shape": "constant"}, registry)
    assert a.case_id == b.case_id != c.case_id
    assert len(a.case_id) == 16


def test_trial_seeds_are_deterministic_distinct_and_shared_across_treatments(registry) -> None:
    const = resolve_case(_config(), {"shape": "constant"}, registry)
    unif = resolve_case(_config(), {"shape": "uniform"}, registry)
    assert const.trial_seeds() == resolve_case(_config(), {"shape": "constant"}, registry).trial_seeds()
    assert len(set(const.trial_seeds())) == 3
    # Common random numbers: the treatment does not change the seeds, the world does.
    assert const.trial_seeds() == unif.trial_seeds()
    other_world = resolve_case({**_config(), "world": {"scale": 3.0}}, {"shape": "uniform"}, registry)
    assert other_world.trial_seeds() != unif.trial_seeds()
    assert trial_seed(0, "k", 0) != trial_seed(1, "k", 0)
    assert 0 <= trial_seed(2**40, "k", 5) < 2**63


def test_bad_values_are_named(registry) -> None:
    with pytest.raises(ParameterError, match="'shape.count': 0"):
        resolve_case(_config(count=0), {"shape": "constant"}, registry)
    with pytest.raises(ParameterError, match="'repeats'"):
        resolve_case({**_config(), "repeats": 0}, {"shape": "constant"}, registry)
    with pytest.raises(ParameterError, match="'seed'"):
        resolve_case({**_config(), "seed": -1}, {"shape": "constant"}, registry)
    with pytest.raises(ParameterError, match="'world.scale'"):
        resolve_case({**_config(), "world": {"scale": 0}}, {"shape": "constant"}, registry)
    with pytest.raises(UnknownComponentError):
        resolve_case(_config(), {"shape": "nope"}, registry)
    with pytest.raises(ParameterError, match="a key of study 'toy'"):
        resolve_case({**_config(), "strategy": {}}, {"shape": "constant"}, registry)


def test_seed_keys_of_cases_without_input_files_did_not_change(registry) -> None:
    """Neither input files nor code identity changed the seeds of a case without input files (so the
    numbers stay as they were); the case id covers the code and so moves with it."""
    case = resolve_case(_config(value=1.5), {"shape": "constant"}, registry)
    assert case.input_files() == {}
    assert case.seed_key == "68ed2dc1f19afa49"


def test_an_edited_plugin_is_a_new_case_with_the_same_seeds(registry, tmp_path, monkeypatch) -> None:
    """The case id hashes the plugin's files: an edit keeps the version but changes the id (so the old
    results are neither reused nor pooled), while trial seeds stay (the world is the same)."""
    from distlab.provenance import package_code

    package = tmp_path / "edited_plugin"
    package.mkdir()
    (package / "__init__.py").write_text("FACTOR = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    comp = dataclasses.replace(registry.component("shape", "constant"), module="edited_plugin",
                               factory=lambda p: p)
    study = registry.study("toy")

    def case() -> Case:
        return Case(study, study.world(), {"shape": (comp, comp.params())}, 0, 2)

    package_code.cache_clear()
    before = case()
    before_id, before_seeds = before.case_id, before.trial_seeds()
    first = comp.code()
    assert "edited_plugin" in first["module"] and len(first["sha256"]) == 64
    (package / "__init__.py").write_text("FACTOR = 2\n")
    package_code.cache_clear()
    after = case()
    assert comp.code()["sha256"] != first["sha256"]
    assert after.case_id != before_id and after.trial_seeds() == before_seeds


def test_an_edited_study_engine_is_a_new_case_with_the_same_seeds(registry, tmp_path, monkeypatch) -> None:
    """The study's engine is hashed into the case id like a component's code: a case run by an edited
    engine is not the one run before (never skipped as done, never pooled), and its trials meet the same world."""
    from distlab.provenance import package_code

    engine = tmp_path / "edited_engine"
    (engine / "core").mkdir(parents=True)
    (engine / "__init__.py").write_text("")
    (engine / "core" / "__init__.py").write_text("")
    (engine / "core" / "run.py").write_text("def run_trial(world, components, seed):\n    return None\n")
    (engine / "unrelated.py").write_text("X = 1\n")  # beside the engine's package, not in it
    monkeypatch.syspath_prepend(str(tmp_path))
    study = dataclasses.replace(registry.study("toy"), runner="edited_engine.core.run:run_trial")
    comp = registry.component("shape", "constant")
    assert study.engine_packages() == ("edited_engine.core",)

    def case() -> Case:
        return Case(study, study.world(), {"shape": (comp, comp.params())}, 0, 2)

    package_code.cache_clear()
    before = case()
    before_id, before_seeds, first = before.case_id, before.trial_seeds(), study.engine_code()
    assert first["modules"] == ["edited_engine.core"] and len(first["sha256"]) == 64
    (engine / "unrelated.py").write_text("X = 2\n")
    package_code.cache_clear()
    assert case().case_id == before_id  # only the engine's own package counts
    (engine / "core" / "run.py").write_text("def run_trial(world, components, seed):\n    return 1\n")
    package_code.cache_clear()
    after = case()
    assert study.engine_code()["sha256"] != first["sha256"]
    assert after.case_id != before_id and after.trial_seeds() == before_seeds
    # Declared packages replace the default: here the whole top-level package.
    declared = dataclasses.replace(study, code=("edited_engine",))
    assert declared.engine_packages() == ("edited_engine",)
    assert declared.engine_code()["sha256"] != study.engine_code()["sha256"]


@dataclasses.dataclass(frozen=True)
class FileWorld:
    scale: float = param(1.0, "multiplies every draw", gt=0.0)
    table: str = param("", "a world input file", file=True)


@dataclasses.dataclass(frozen=True)
class FileShapeParams:
    path: str = param("", "a component input file", file=True)
    value: float = param(1.0, "a value")


def _file_case(registry, path: object = "", table: object = "") -> Case:
    """A toy case whose world and (treatment) component each have an input-file parameter."""
    study = dataclasses.replace(registry.study("toy"), world=FileWorld)
    comp = dataclasses.replace(registry.component("shape", "constant"), params=FileShapeParams)
    return Case(study, FileWorld(table=str(table)), {"shape": (comp, FileShapeParams(path=str(path)))}, 1, 2)


def test_the_content_of_an_input_file_is_part_of_the_case_id(registry, tmp_path: Path) -> None:
    trace = tmp_path / "a.csv"
    trace.write_text("one\n")
    first = _file_case(registry, trace)
    assert first.case_id == _file_case(registry, trace).case_id
    assert first.case_id != _file_case(registry).case_id
    trace.write_text("two\n")
    edited = _file_case(registry, trace)
    assert edited.case_id != first.case_id
    trace.write_text("one\n")  # the content counts, not the file's time
    assert _file_case(registry, trace).case_id == first.case_id
    # The path is config: an identical copy elsewhere is another case (with the same hash).
    copy = tmp_path / "b.csv"
    copy.write_bytes(trace.read_bytes())
    elsewhere = _file_case(registry, copy)
    assert elsewhere.case_id != first.case_id
    assert elsewhere.input_files()["shape.path"]["sha256"] == first.input_files()["shape.path"]["sha256"]


def test_input_files_record_the_absolute_path_and_hash(registry, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "t.csv").write_bytes(b"time_s,page,op\n0,1,w\n")
    monkeypatch.chdir(tmp_path)
    case = _file_case(registry, "t.csv")
    assert case.input_files() == {
        "shape.path": {
            "path": str(tmp_path.resolve() / "t.csv"),
            "sha256": hashlib.sha256(b"time_s,page,op\n0,1,w\n").hexdigest(),
        }
    }
    assert case.config()["shape"]["path"] == "t.csv"  # the config keeps the path as given


def test_seed_key_covers_world_files_but_not_the_treatments(registry, tmp_path: Path) -> None:
    world_file, shape_file = tmp_path / "w.csv", tmp_path / "s.csv"
    world_file.write_text("w1")
    shape_file.write_text("s1")
    base = _file_case(registry, shape_file, world_file)
    base.case_id  # hashes the files now (a case hashes them when first asked)
    shape_file.write_text("s2")
    other_treatment_input = _file_case(registry, shape_file, world_file)
    # Common random numbers: the treatment's own input does not move the seeds (its id does change).
    assert other_treatment_input.seed_key == base.seed_key
    assert other_treatment_input.case_id != base.case_id
    world_file.write_text("w2")
    assert _file_case(registry, shape_file, world_file).seed_key != base.seed_key


def test_an_unreadable_input_file_is_a_parameter_error(registry, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(ParameterError, match=r"'shape.path'.*nope.csv: No such file") as info:
        _file_case(registry, missing).case_id
    assert info.value.key == "shape.path"
    with pytest.raises(ParameterError, match=r"'world.table'.*not a regular file"):
        _file_case(registry, "", tmp_path).case_id


def test_files_are_streamed_and_hashed_once(registry, tmp_path: Path, monkeypatch) -> None:
    """One hash per file (per path, inode, size and mtime) in a process, and once per case object."""
    calls: list[object] = []
    real = hashlib.file_digest

    def counting(fh, digest):
        calls.append(fh)
        return real(fh, digest)

    monkeypatch.setattr(hashlib, "file_digest", counting)
    trace = tmp_path / "big.csv"
    trace.write_bytes(b"x" * 3_000_000)
    case = _file_case(registry, trace)
    case.case_id, case.seed_key
    assert len(calls) == 1  # once per case object
    # A file modified just now may change again within the same mtime tick: it is hashed again.
    _file_case(registry, trace).case_id
    assert len(calls) == 2
    os.utime(trace, (time.time() - 60, time.time() - 60))
    _file_case(registry, trace).case_id, _file_case(registry, trace).case_id
    assert len(calls) == 3 and file_sha256(trace) == hashlib.sha256(trace.read_bytes()).hexdigest()
    before = case.input_files()
    trace.write_bytes(b"y" * 3_000_000)
    assert case.input_files() == before  # the case keeps what its id was made of
    assert _file_case(registry, trace).input_files() != before and len(calls) == 4
