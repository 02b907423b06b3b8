"""The contract checks: every built-in component passes them, broken ones fail them, and
distlab.testing.check_component finds each kind's check (a third-party kind's too)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from distlab import host
from distlab.errors import PluginError, UnknownComponentError
from distlab.migration import ConstantWorkload, ConstantWorkloadParams, FixedRoundsParams, FixedRoundsStrategy
from distlab.migration.testing import check_strategy, check_workload
from distlab.rpc.testing import check_serializer, every_wire_type
from distlab.testing import check_component, make_factory


def _builtins(kind: str) -> set[str]:
    """The components of ``kind`` that distlab itself ships (read from the registry, so none is missed)."""
    return {c.name for c in host.load_registry().components(kind) if c.distribution == "distlab"}


BUILTIN_STRATEGIES = _builtins("strategy")
BUILTIN_WORKLOADS = _builtins("workload")
BUILTIN_SERIALIZERS = _builtins("serializer")
# Each serializer under the parameters that change its wire layout; pickle decodes only when allowed.
SERIALIZER_CONFIGS = [
    ("xdr", {}), ("ndr", {"byte_order": "little"}), ("ndr", {"byte_order": "big"}),
    ("native", {"byte_order": "little"}), ("native", {"byte_order": "big", "integers": "varint"}),
    ("json", {}), ("msgpack", {}), ("cbor", {}), ("cbor", {"canonical": True}), ("pickle", {"allow_untrusted": True}),
]


@pytest.fixture(scope="module")
def registry() -> Any:
    return host.load_registry()


# -- every built-in component passes ----------------------------------------------------------------


def test_every_builtin_is_covered(registry: Any) -> None:
    # The parametrized tests take their names from the registry; this makes sure it was not empty,
    # and that every serializer has a configuration below.
    assert {"stop_and_copy", "precopy", "postcopy"} <= BUILTIN_STRATEGIES
    assert {"idle", "uniform", "hotset"} <= BUILTIN_WORKLOADS
    assert {"xdr", "json", "pickle"} <= BUILTIN_SERIALIZERS
    assert {name for name, _ in SERIALIZER_CONFIGS} == BUILTIN_SERIALIZERS


@pytest.mark.parametrize("name", sorted(BUILTIN_STRATEGIES))
def test_builtin_strategy_passes(registry: Any, name: str) -> None:
    check_strategy(registry.component("strategy", name))


@pytest.mark.parametrize("name", sorted(BUILTIN_WORKLOADS))
def test_builtin_workload_passes(registry: Any, name: str) -> None:
    check_workload(registry.component("workload", name))


@pytest.mark.parametrize(("name", "params"), SERIALIZER_CONFIGS, ids=[f"{n}-{p}" for n, p in SERIALIZER_CONFIGS])
def test_builtin_serializer_passes(registry: Any, name: str, params: dict[str, Any]) -> None:
    check_serializer(registry.component("serializer", name), params)


def test_builtin_strategies_with_their_options(registry: Any) -> None:
    check_strategy(registry.component("strategy", "precopy"), {"auto_converge": True, "xbzrle": True, "max_rounds": 5})
    check_strategy(registry.component("strategy", "postcopy"), {"prepage_pages": 4})
    for policy in ("qemu", "xen", "rounds"):
        check_strategy(registry.component("strategy", "hybrid"), {"stop_policy": policy}, seeds=(3,))


def test_pure_on_demand_postcopy_never_ends_with_an_idle_guest(registry: Any) -> None:
    # As documented: without the background push, pages move only on faults, so a guest that touches
    # nothing keeps the source needed forever; the check says so rather than passing it.
    with pytest.raises(AssertionError, match="against the idle workload .* did not end the migration"):
        check_strategy(registry.component("strategy", "postcopy"), {"background_push": False}, seeds=(0,))


def test_the_fakes_pass() -> None:
    check_strategy(FixedRoundsStrategy, FixedRoundsParams(rounds=4))
    check_strategy(FixedRoundsStrategy(FixedRoundsParams(rounds=0)))  # an object, reused: it keeps no state
    check_workload(ConstantWorkload, ConstantWorkloadParams(write_rate_pages_s=5000.0, read_rate_pages_s=300.0))


def test_a_registered_name_is_resolved_through_the_registry() -> None:
    check_strategy("stop_and_copy", {"skip_zero_pages": False}, seeds=(0,))
    check_workload("uniform", {"write_rate_pages_s": 100.0}, seeds=(0,))


def test_every_wire_type_is_generated() -> None:
    from distlab import rpc

    kinds = {type(t) for t in every_wire_type()}
    # Every concrete wire type of the public model (its classes, less the base and the value tuple).
    model = {v for v in vars(rpc).values() if isinstance(v, type) and issubclass(v, rpc.WireType) and v is not rpc.WireType}
    assert model <= kinds, f"no generated values for {sorted(c.__name__ for c in model - kinds)}"


def test_importing_the_kit_does_not_import_hypothesis() -> None:
    # Only the serializer check needs hypothesis (the test extra); a study's package never imports it.
    code = ("import sys, distlab.testing, distlab.migration.testing, distlab.rpc, distlab.rpc.study, "
            "distlab.migration.study; print('hypothesis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_thing_that_is_no_component_is_refused() -> None:
    with pytest.raises(TypeError, match="registered name, a Component, a factory"):
        check_strategy(42)
    with pytest.raises(AssertionError, match="has no migrate"):
        check_strategy(lambda: object())


# -- check_component: each kind's declared check -----------------------------------------------------


def test_each_builtin_kind_declares_its_check_and_template(registry: Any) -> None:
    from distlab.component import load_object
    from distlab.migration import templates as migration_templates
    from distlab.rpc import templates as rpc_templates

    # Every built-in kind declares its contract check; those of the migration and rpc studies are these.
    assert all(k.check for k in registry.kinds()), [k.name for k in registry.kinds() if not k.check]
    checks = {k.name: load_object(k.check, k.name) for k in registry.kinds() if k.check}
    assert {"strategy": check_strategy, "workload": check_workload, "serializer": check_serializer}.items() <= checks.items()
    templates = {k.name: load_object(k.template, k.name) for k in registry.kinds() if k.template}
    assert {**migration_templates.TEMPLATES, **rpc_templates.TEMPLATES}.items() <= templates.items()


def test_check_component_runs_the_kinds_check() -> None:
    from distlab.rpc import TrivialSerializer

    check_component("strategy", "stop_and_copy", {"skip_zero_pages": False}, seeds=(0,))
    check_component("workload", ConstantWorkload, ConstantWorkloadParams(write_rate_pages_s=500.0), seeds=(0,))
    check_component("serializer", TrivialSerializer, max_examples=3, mutations=2)
    with pytest.raises(AssertionError, match="returned without ending the migration"):
        check_component("strategy", _Forgets, seeds=(0,))


def test_a_third_party_kind_declares_its_own_check(toy_env: dict[str, str]) -> None:
    # The toy study's Kind("shape", ..., check="toy_plugin:check_shape"): no core edit needed.
    check_component("shape", "uniform", {"low": 1.0, "high": 2.0})
    check_component("shape", "constant")

    class Offset:
        def draw(self, rng: Any, scale: float) -> float:
            return scale + 1.0

    with pytest.raises(AssertionError, match="proportional to the scale"):
        check_component("shape", Offset())


def test_a_kind_without_a_check_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from distlab.component import Kind
    from distlab.registry import Registry

    registry = Registry()
    registry.add_kind(Kind("gadget", object, "a kind that declares no check"))
    monkeypatch.setattr(host, "get_registry", lambda: registry)
    with pytest.raises(PluginError, match=r"kind 'gadget' declares no contract check .*check=\"module:function\""):
        check_component("gadget", object())
    with pytest.raises(UnknownComponentError, match="gadget"):
        check_component("gadgets", object())


def test_make_factory_makes_a_fresh_component_each_time() -> None:
    make = make_factory("workload", ConstantWorkload, ConstantWorkloadParams(), method="run")
    assert make() is not make() and isinstance(make(), ConstantWorkload)
    made = ConstantWorkload(ConstantWorkloadParams())
    assert make_factory("workload", made, method="run")() is made  # an object is reused as it is
    with pytest.raises(AssertionError, match="has no run"):
        make_factory("workload", lambda: object(), method="run")()


# -- broken strategies fail -------------------------------------------------------------------------


class _Forgets:
    def migrate(self, session: Any) -> None:
        session.precopy_round()


class _EndsTwice:
    def migrate(self, session: Any) -> None:
        session.stop_and_copy()
        session.stop_and_copy()


class _RoundsWhileNothingMoves:
    """Loops on rounds even when nothing is dirty: simulated time stops while it spins."""

    def migrate(self, session: Any) -> None:
        while True:
            session.precopy_round()


class _BusyLoop:
    """Never touches the session again: only the wall-clock budget can catch it."""

    def migrate(self, session: Any) -> None:
        while True:
            pass


class _CatchesEverything:
    """Swallows every Exception in its loop: the spin guard must still get through."""

    def migrate(self, session: Any) -> None:
        while True:
            try:
                session.dirty_pages  # noqa: B018 - reading the session is the point
            except Exception:
                pass


class _NeverConverges:
    """Pre-copies until nothing is dirty, with no bound: a guest faster than the link keeps it going."""

    def migrate(self, session: Any) -> None:
        while session.dirty_pages:
            session.precopy_round()
        session.stop_and_copy()


class _LosesPages:
    """Clears the dirty bitmap behind the engine's back (a strategy must only decide), so writes are lost."""

    def migrate(self, session: Any) -> None:
        session.precopy_round()
        session._bitmap[:] = 0
        session.stop_and_copy()


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (_Forgets, "returned without ending the migration"),
        (_EndsTwice, "broke the session's rules: the migration is over"),
        (_RoundsWhileNothingMoves, "spins without simulated time advancing: it used the session"),
        (_CatchesEverything, "spins without simulated time advancing: it used the session"),
        (_BusyLoop, "spins without simulated time advancing: it ran for more than 1 s of wall-clock"),
        (_NeverConverges, "faster than the link workload .* did not end the migration within world.max_time_s"),
        (_LosesPages, "without the source's last version of every page"),
    ],
)
def test_a_broken_strategy_fails(strategy: type, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_strategy(strategy, wall_clock_s=1.0)


# -- broken workloads fail --------------------------------------------------------------------------


class _Unseeded:
    """Draws its pages from a generator seeded by the operating system, not from the trial seed."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng()

    def run(self, guest: Any, t0: float, t1: float) -> None:
        pages = self.rng.integers(0, guest.pages, 100)
        guest.accesses(pages, np.linspace(t0, t1, 100, endpoint=False))


class _PerCall:
    """Five writes per call whatever the interval: the same seed gives other accesses when time is cut otherwise."""

    def run(self, guest: Any, t0: float, t1: float) -> None:
        guest.accesses(guest.rng.integers(0, guest.pages, 5), np.full(5, t0))


@pytest.mark.parametrize(
    ("workload", "message"),
    [(_Unseeded, "not deterministic under seed 0: at the source, a second run with the same intervals"),
     (_PerCall, "not deterministic under seed 0: at the source, a second run with time cut into even intervals")],
)
def test_a_broken_workload_fails(workload: type, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_workload(workload)


# -- broken serializers fail ------------------------------------------------------------------------


class _Wrapped:
    """XDR, with one thing wrong (in the subclasses)."""

    def __init__(self) -> None:
        self.inner = host.load_registry().component("serializer", "xdr").create(
            host.load_registry().component("serializer", "xdr").params()
        )

    def encode(self, value: Any, type: Any) -> bytes:
        return bytes(self.inner.encode(value, type))

    def decode(self, data: bytes, type: Any) -> Any:
        return self.inner.decode(data, type)


class _LeaksValueError(_Wrapped):
    def decode(self, data: bytes, type: Any) -> Any:
        from distlab.rpc import DecodeError

        try:
            return self.inner.decode(data, type)
        except DecodeError as err:
            raise ValueError(str(err)) from None


class _IgnoresTrailingBytes(_Wrapped):
    def decode(self, data: bytes, type: Any) -> Any:
        from distlab.rpc import DecodeError

        for end in range(len(data), -1, -1):
            try:
                return self.inner.decode(data[:end], type)
            except DecodeError:
                continue
        raise DecodeError(0, "nothing decodes")


class _DropsTheSign(_Wrapped):
    def decode(self, data: bytes, type: Any) -> Any:
        from distlab.rpc import Int

        value = self.inner.decode(data, type)
        return abs(value) if isinstance(type, Int) else value


class _BadOffset(_Wrapped):
    def decode(self, data: bytes, type: Any) -> Any:
        from distlab.rpc import DecodeError

        try:
            return self.inner.decode(data, type)
        except DecodeError:
            raise DecodeError(len(data) + 10, "somewhere") from None


@pytest.mark.parametrize(
    ("serializer", "message"),
    [
        (_LeaksValueError, "raised ValueError.*only DecodeError may escape decode"),
        (_IgnoresTrailingBytes, "oversized .* instead of raising DecodeError"),
        (_DropsTheSign, "round trip changed the value"),
        (_BadOffset, "not a byte offset within the input"),
    ],
)
def test_a_broken_serializer_fails(serializer: type, message: str) -> None:
    from distlab.rpc import INT32, Struct, String

    with pytest.raises(AssertionError, match=message):
        check_serializer(serializer, types=[INT32, Struct("s", (("a", INT32), ("b", String(9))))], max_examples=30)
