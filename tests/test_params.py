"""Parameter dataclasses: building, range checks, error messages and listing."""

from __future__ import annotations

import dataclasses

import pytest

from distlab.errors import ParameterError
from distlab.params import build, check_defaults, describe, param


@dataclasses.dataclass(frozen=True)
class Inner:
    size: int = param(4096, "bytes", power_of_two=True)


@dataclasses.dataclass(frozen=True)
class Outer:
    rate: float = param(1.0, "per second", gt=0.0)
    rounds: int = param(30, "at most", ge=1, le=100)
    mode: str = param("a", "which", choices=("a", "b"))
    cap: float | None = param(None, "optional cap", gt=0.0)
    inner: Inner = param(default_factory=Inner, doc="nested")


def test_build_takes_defaults_and_converts() -> None:
    built = build(Outer, {"rate": 2, "inner": {"size": 512}})
    assert built == Outer(rate=2.0, inner=Inner(512))
    assert isinstance(built.rate, float)


@pytest.mark.parametrize(
    ("values", "key", "allowed"),
    [
        ({"rate": 0}, "p.rate", "> 0"),
        ({"rate": -3.5}, "p.rate", "> 0"),
        ({"rate": float("nan")}, "p.rate", "finite"),
        ({"rounds": 0}, "p.rounds", ">= 1"),
        ({"rounds": 2.5}, "p.rounds", "integer"),
        ({"rounds": True}, "p.rounds", "integer"),
        ({"mode": "c"}, "p.mode", "one of 'a', 'b'"),
        ({"cap": -1.0}, "p.cap", "or null"),
        ({"inner": {"size": 1000}}, "p.inner.size", "power of two"),
        ({"nosuch": 1}, "p.nosuch", "one of the keys"),
    ],
)
def test_build_rejects_with_key_value_and_allowed(values: dict, key: str, allowed: str) -> None:
    with pytest.raises(ParameterError) as err:
        build(Outer, values, "p.")
    assert err.value.key == key
    assert allowed in str(err.value)
    assert repr(next(iter(values.values()))).split("{")[0] in str(err.value) or "inner" in key


def test_post_init_errors_become_parameter_errors() -> None:
    @dataclasses.dataclass(frozen=True)
    class Pair:
        low: float = param(0.0)
        high: float = param(1.0)

        def __post_init__(self) -> None:
            if self.high <= self.low:
                raise ValueError("high must exceed low")

    with pytest.raises(ParameterError, match="high must exceed low"):
        build(Pair, {"high": -1.0}, "shape.")


def test_describe_flattens_nested_and_states_ranges() -> None:
    infos = {p.key: p for p in describe(Outer)}
    assert set(infos) == {"rate", "rounds", "mode", "cap", "inner.size"}
    assert infos["rounds"].allowed == "an integer >= 1 and <= 100"
    assert infos["cap"].default is None and infos["cap"].allowed.endswith("or null")
    assert infos["inner.size"].doc == "bytes"


def test_check_defaults_requires_frozen_and_valid_defaults() -> None:
    @dataclasses.dataclass
    class NotFrozen:
        x: int = 1

    @dataclasses.dataclass(frozen=True)
    class BadDefault:
        x: int = param(0, ge=1)

    with pytest.raises(TypeError, match="frozen"):
        check_defaults(NotFrozen)
    with pytest.raises(ParameterError):
        check_defaults(BadDefault)
    check_defaults(Outer)


@dataclasses.dataclass(frozen=True)
class WithFiles:
    samples: str = param("", "a file of samples", file=True)
    table: str | None = param(None, "an optional table", file=True)
    inner: Inner = param(default_factory=Inner, doc="nested")


@dataclasses.dataclass(frozen=True)
class NestsFiles:
    files: WithFiles = param(default_factory=WithFiles, doc="nested")


def test_file_params_are_listed_as_paths() -> None:
    infos = {p.key: p for p in describe(WithFiles)}
    assert infos["samples"].file and infos["samples"].type == "path"
    assert "relative to the working directory" in infos["samples"].allowed
    assert "part of the case id" in infos["samples"].allowed and "or empty;" in infos["samples"].allowed
    assert "empty or null" in infos["table"].allowed
    assert not infos["inner.size"].file and infos["inner.size"].type == "integer"
    assert build(WithFiles, {"samples": "a.csv"}).samples == "a.csv"
    with pytest.raises(ParameterError, match="'samples': 5"):
        build(WithFiles, {"samples": 5})


def test_input_files_are_the_non_empty_file_params() -> None:
    from distlab.params import input_files

    assert input_files(WithFiles()) == {}
    assert input_files(WithFiles("", "")) == {}
    assert input_files(WithFiles("t.csv", "x.parquet"), "workload.") == {
        "workload.samples": "t.csv",
        "workload.table": "x.parquet",
    }
    assert input_files(NestsFiles(WithFiles(table="x")), "world.") == {"world.files.table": "x"}


def test_a_file_param_must_be_a_string() -> None:
    @dataclasses.dataclass(frozen=True)
    class NotAString:
        n: int = param(0, "a number", file=True)

    with pytest.raises(TypeError, match="NotAString.n is declared file=True"):
        check_defaults(NotAString)
    check_defaults(WithFiles)
