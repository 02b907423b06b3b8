"""Contract checks for components: run a strategy, workload or serializer through them from any test.

Each check takes a component in any of four forms: a registered name (``"precopy"``, resolved
through the plugin registry and built from ``params``, a mapping of overrides or a parameter
instance), a :class:`~distlab.component.Component`, a factory (a class or function, called with
``params`` for every trial), or a component object already made (reused as it is). It returns
nothing when the contract holds and raises :class:`AssertionError` saying which part broke, on
which input, when it does not; so a plugin's own tests are one line each::

    from distlab.testing import check_strategy
    from my_plugin.component import MyStrategy, MyParams

    def test_contract():
        check_strategy(MyStrategy, MyParams())

The contracts (the kinds' Protocol docstrings say them in full):

- **strategy** (:func:`check_strategy`): in a small world, against workloads from idle to faster
  than the link, the strategy ends the migration within ``world.max_time_s``, and the destination
  then holds the source's last version of every page (the engine's check mode); it cannot spin
  without simulated time advancing: thousands of uses of the session while the clock stands still,
  or a wall-clock budget spent, fail the check instead of hanging the test.
- **workload** (:func:`check_workload`): the same seed gives the same accesses, however guest time
  is cut into intervals, at the source (dirty pages and write counts) and at the destination (pages
  and times); whole migrations with it give the same metrics twice.
- **serializer** (:func:`check_serializer`): generated values of every wire type round-trip;
  decoding truncated, mutated and oversized input raises only
  :class:`~distlab.rpc.errors.DecodeError` (with an offset inside the input) or returns a valid
  value, and trailing bytes are always an error.

hypothesis (in distlab's ``test`` extra) is imported only by the serializer checks and the wire
strategies. The checks run in the calling process: a decoder that crashes the interpreter (a bad
numba kernel) ends the test run rather than failing the test. :func:`check_serializer` runs
hypothesis inside, so call it from a plain test, not from one decorated with ``@given``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from distlab.migration.world import MigrationWorld
    from distlab.rpc.types import WireType

__all__ = [
    "check_serializer",
    "check_strategy",
    "check_workload",
    "every_wire_type",
    "small_world",
    "typed_values",
    "values",
    "wire_types",
]


# -- making components ------------------------------------------------------------------------------


def _maker(kind: str, component: Any, params: Any, method: str) -> Callable[[], Any]:
    """A function that makes a fresh component of ``kind`` for each trial."""
    from distlab.component import Component

    if isinstance(component, str):
        from distlab.host import get_registry

        component = get_registry().component(kind, component)
    if isinstance(component, Component):
        comp = component
        if params is None or isinstance(params, Mapping):
            from distlab.params import build

            built: Any = build(comp.params, params, f"{kind}.")
        else:
            built = params
        return lambda: comp.create(built)
    if hasattr(component, method) and not isinstance(component, type):
        made = component
        return lambda: made
    if callable(component):
        factory = component
        return (lambda: factory()) if params is None else (lambda: factory(params))
    raise TypeError(
        f"a {kind} to check is a registered name, a Component, a factory or an object with {method}(); "
        f"got {component!r}"
    )


def _made(kind: str, make: Callable[[], Any], method: str) -> Any:
    obj = make()
    if not callable(getattr(obj, method, None)):
        raise AssertionError(f"the {kind} factory returned {obj!r}, which has no {method}() method")
    return obj


# -- migration --------------------------------------------------------------------------------------


def small_world(**link: Any) -> MigrationWorld:
    """The world the migration checks run in: a 16 MiB VM (4096 pages, a quarter of them zero) on a
    1 Gbit/s link, with a 60 s horizon, so that a full copy takes about 0.13 s of simulated time.

    Args:
        **link: overrides of :class:`distlab.migration.world.Link` fields.

    Returns:
        The world.
    """
    from distlab.migration.world import VM, Link, MigrationWorld

    return MigrationWorld(vm=VM(memory_mib=16, zero_page_fraction=0.25), link=Link(**link), max_time_s=60.0)


def _workloads() -> list[tuple[str, Any]]:
    from distlab.migration.fakes import ConstantWorkload, ConstantWorkloadParams

    # The link moves about 30,500 pages/s: the last guest writes faster than that, so pre-copy
    # alone never empties the bitmap and the strategy must end the migration on its own bound.
    rates = {"idle": (0.0, 0.0), "moderate": (2000.0, 2000.0), "faster than the link": (200_000.0, 20_000.0)}
    return [(name, ConstantWorkload(ConstantWorkloadParams(w, r))) for name, (w, r) in rates.items()]


class _Spinning(BaseException):
    """Raised into a strategy that spins; a BaseException, so that ``except Exception`` in it cannot
    swallow the guard."""


class _GuardedSession:
    """A session that fails a strategy using it ``budget`` times in a row while the clock stands still."""

    def __init__(self, session: Any, budget: int) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_budget", budget)
        object.__setattr__(self, "_clock", session.clock_s)
        object.__setattr__(self, "_idle", 0)

    def __getattr__(self, name: str) -> Any:
        session = self._session
        if session.clock_s != self._clock:
            object.__setattr__(self, "_clock", session.clock_s)
            object.__setattr__(self, "_idle", 0)
        else:
            object.__setattr__(self, "_idle", self._idle + 1)
            if self._idle > self._budget:
                raise _Spinning(
                    f"it used the session {self._budget} times while simulated time stood still at "
                    f"{session.clock_s:.6g} s (after {session.rounds} pre-copy rounds): every loop must "
                    "call a verb that moves time (precopy_round with pages to send), or end the migration"
                )
        return getattr(session, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._session, name, value)


class _Guarded:
    """The strategy under test, handed the guarded session instead of the engine's."""

    def __init__(self, strategy: Any, budget: int) -> None:
        self.strategy = strategy
        self.budget = budget

    def migrate(self, session: Any) -> None:
        self.strategy.migrate(_GuardedSession(session, self.budget))
        if not session.done:
            raise _NotEnded("it returned without ending the migration; end it with exactly one of "
                            "session.stop_and_copy() or session.postcopy()")


class _NotEnded(Exception):
    """The strategy returned with the migration still running."""


@contextlib.contextmanager
def _wall_clock(seconds: float) -> Iterator[None]:
    """Raise :class:`_Spinning` into the running code after ``seconds`` (main thread on Unix only; a
    strategy that loops without touching the session is caught only this way)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise _Spinning(f"it ran for more than {seconds:g} s of wall-clock time on a 16 MiB VM")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_strategy(
    strategy: Any,
    params: Any = None,
    *,
    seeds: Sequence[int] = (0, 1),
    world: MigrationWorld | None = None,
    budget: int = 10_000,
    wall_clock_s: float = 60.0,
) -> None:
    """Check the strategy contract: it ends every migration, loses no page, and never spins.

    Every trial runs in the engine's check mode, which tracks a version of each page at both ends.

    Args:
        strategy: a registered strategy name, a Component, a factory, or a strategy object.
        params: for a name or Component, a mapping of parameter overrides or a parameter instance;
            for a factory, the one argument it is called with (None: called with none).
        seeds: trial seeds, each run against every check workload (idle, moderate, faster than the link).
        world: the world to run in (default :func:`small_world`).
        budget: how many uses of the session in a row, while simulated time stands still, count as spinning.
        wall_clock_s: wall-clock seconds one trial may take before it counts as spinning.

    Raises:
        AssertionError: naming the broken part of the contract, the workload and the seed.

    Examples:
        >>> check_strategy("stop_and_copy")  # doctest: +SKIP
    """
    from distlab.errors import PluginError
    from distlab.migration.engine import simulate
    from distlab.migration.errors import CheckFailedError, MigrationTimeoutError

    make = _maker("strategy", strategy, params, "migrate")
    world = world or small_world()
    for seed in seeds:
        for label, workload in _workloads():
            made = _made("strategy", make, "migrate")
            name = type(made).__name__
            where = f"strategy {name} against the {label} workload (seed {seed})"
            try:
                with _wall_clock(wall_clock_s):
                    simulate(world, _Guarded(made, budget), workload, seed, check=True)
            except _NotEnded as err:
                raise AssertionError(f"{where}: {err}") from None
            except _Spinning as err:
                raise AssertionError(f"{where} spins without simulated time advancing: {err}") from None
            except MigrationTimeoutError as err:
                raise AssertionError(f"{where} did not end the migration within world.max_time_s: {err}") from err
            except CheckFailedError as err:
                raise AssertionError(
                    f"{where} left the destination without the source's last version of every page: {err}"
                ) from err
            except PluginError as err:
                raise AssertionError(f"{where} broke the session's rules: {err}") from err
            except Exception as err:
                raise AssertionError(f"{where} raised {type(err).__name__}: {err}") from err


# -- workloads --------------------------------------------------------------------------------------


def _cuts(duration_s: float, how: str) -> list[tuple[float, float]]:
    if how == "whole":
        return [(0.0, duration_s)]
    if how == "even":
        edges = [duration_s * i / 10 for i in range(11)]
    else:  # uneven, with a very short interval and one that ends on an odd time
        edges = [0.0, 1e-6, duration_s / 7, duration_s / 3 + 1e-9, duration_s * 0.9, duration_s]
    return list(zip(edges, edges[1:]))


def _observe(workload: Any, pages: int, seed: int, duration_s: float, how: str, mode: str) -> tuple[Any, ...]:
    """What a workload does to a fresh guest over ``[0, duration_s)``, time cut ``how``."""
    import numpy as np

    from distlab.migration.guest import Guest

    bitmap = np.zeros(pages, dtype=np.uint8)
    versions = np.zeros(pages, dtype=np.int64)
    guest = Guest(pages, 4096, seed, bitmap, versions)
    start = getattr(workload, "start", None)
    if start is not None:
        start(guest)
    if mode == "destination":
        guest.at_destination()
    taken_pages, taken_times = [], []
    for t0, t1 in _cuts(duration_s, how):
        workload.run(guest, t0, t1)
        if mode == "destination":
            p, t = guest.take_accesses()
            taken_pages.append(p)
            taken_times.append(t)
    if mode == "source":
        return (guest.writes, bitmap.tobytes(), versions.tobytes())
    p_all = np.concatenate(taken_pages) if taken_pages else np.zeros(0, dtype=np.int64)
    t_all = np.concatenate(taken_times) if taken_times else np.zeros(0)
    order = np.lexsort((p_all, t_all))  # accesses at one time may come in any order
    return (guest.writes, guest.reads, p_all[order].tobytes(), t_all[order].tobytes())


def check_workload(
    workload: Any,
    params: Any = None,
    *,
    seeds: Sequence[int] = (0, 1),
    world: MigrationWorld | None = None,
    duration_s: float = 1.0,
) -> None:
    """Check the workload contract: deterministic under its seed, whatever the intervals.

    For each seed, fresh workloads run over ``[0, duration_s)`` of guest time cut three ways (whole,
    ten even intervals, uneven ones) must give the same writes and dirty pages at the source, and the
    same accesses (pages and guest times) at the destination; then two whole migrations (pre-copy with
    the fake strategy, and a post-copy) in check mode must give the same metrics twice.

    Args:
        workload: a registered workload name, a Component, a factory, or a workload object (which must
            then keep no state between runs; pass a factory otherwise).
        params: for a name or Component, a mapping of overrides or a parameter instance; for a
            factory, the argument it is called with (None: called with none).
        seeds: the seeds to try.
        world: the world of the whole migrations and of the guest's size (default :func:`small_world`).
        duration_s: guest time to observe.

    Raises:
        AssertionError: naming the seed and what differed.
    """
    from distlab.migration.engine import simulate
    from distlab.migration.fakes import FixedRoundsParams, FixedRoundsStrategy

    make = _maker("workload", workload, params, "run")
    world = world or small_world()
    pages = (world.vm.memory_mib << 20) // 4096
    for seed in seeds:
        name = type(_made("workload", make, "run")).__name__
        for mode in ("source", "destination"):
            first = _observe(_made("workload", make, "run"), pages, seed, duration_s, "whole", mode)
            for how in ("whole", "even", "uneven"):
                again = _observe(_made("workload", make, "run"), pages, seed, duration_s, how, mode)
                if again != first:
                    what = "with the same intervals" if how == "whole" else f"with time cut into {how} intervals"
                    raise AssertionError(
                        f"workload {name} is not deterministic under seed {seed}: at the {mode}, a second run "
                        f"{what} issued other accesses (writes {first[0]} then {again[0]}); draw every "
                        "random choice from the guest's verbs or guest.rng, and place accesses by guest time"
                    )
        for strategy in (FixedRoundsStrategy(FixedRoundsParams(rounds=2)), _PostcopyAfterOneRound()):
            runs = [simulate(world, strategy, _made("workload", make, "run"), seed, check=True).trial.metrics
                    for _ in range(2)]
            if runs[0] != runs[1]:
                diff = {k: (runs[0][k], runs[1][k]) for k in runs[0] if runs[0][k] != runs[1].get(k)}
                raise AssertionError(f"workload {name} gave two migrations with seed {seed} different metrics: {diff}")


class _PostcopyAfterOneRound:
    """One pre-copy round, then post-copy: runs a workload at the destination too."""

    def migrate(self, session: Any) -> None:
        session.precopy_round()
        session.postcopy(prepage_pages=2)


# -- wire types and values ------------------------------------------------------------------------


@dataclasses.dataclass
class _Point:
    x: int
    y: float


def every_wire_type() -> list[WireType]:
    """One or more types of each kind of the wire type model, nested ones and a recursive one included.

    Returns:
        The types, each usable with :func:`values`.
    """
    from distlab.rpc import (
        BOOL,
        FLOAT32,
        FLOAT64,
        INT32,
        INT64,
        UINT32,
        UINT64,
        VOID,
        Array,
        Enum,
        FixedArray,
        FixedOpaque,
        Opaque,
        Optional,
        Ref,
        String,
        Struct,
        Union,
    )

    color = Enum("color", (("RED", 0), ("GREEN", 1), ("BLUE", -7)))
    node = Ref("node")
    node.bind(Struct("node", (("item", INT32), ("next", Optional(node)))))
    item = Struct("item", (("name", String(8)), ("count", UINT32), ("color", color)))
    return [
        INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64, BOOL, VOID, color,
        String(), String(5), Opaque(), Opaque(3), FixedOpaque(0), FixedOpaque(5),
        Array(INT32), Array(FLOAT64, 6), Array(item, 3), Array(String(4)),
        FixedArray(UINT64, 3), FixedArray(BOOL, 2), FixedArray(Opaque(2), 2),
        Struct("empty", ()), item, Struct.of(_Point, x=INT64, y=FLOAT32),
        Union("result", INT32, ((0, "ok", item), (1, "missing", VOID)), ("error", String(16))),
        Union("by_color", color, ((0, "r", INT64), (1, "g", Array(INT32, 2)), (-7, "b", VOID))),
        Union("flag", BOOL, ((1, "on", FLOAT64),)),
        Optional(INT32), Optional(item), node,
    ]


def values(t: WireType, depth: int = 0) -> SearchStrategy[Any]:  # noqa: C901 - one branch per wire type
    """A hypothesis strategy for values of the wire type ``t`` (numeric arrays as lists and as numpy arrays).

    Args:
        t: the wire type.
        depth: nesting so far; recursive types stop growing past a few levels.

    Returns:
        The strategy.
    """
    import numpy as np
    from hypothesis import strategies as st

    from distlab import rpc

    if isinstance(t, rpc.Ref):
        target = t.target
        return st.deferred(lambda: values(target, depth + 1))
    if isinstance(t, rpc.Int):
        return st.integers(t.lo, t.hi)
    if isinstance(t, rpc.Float):
        return st.floats(width=t.bits)  # type: ignore[arg-type]
    if isinstance(t, rpc.Bool):
        return st.booleans()
    if isinstance(t, rpc.Void):
        return st.none()
    if isinstance(t, rpc.Enum):
        return st.sampled_from(sorted(t.values))
    if isinstance(t, rpc.String):
        bound = t.bound if t.max_len is not None else 30
        return st.text(st.characters(codec="utf-8"), max_size=bound).filter(
            lambda s: len(s.encode("utf-8")) <= bound
        )
    if isinstance(t, rpc.Opaque):
        return st.binary(max_size=min(t.bound, 30))
    if isinstance(t, rpc.FixedOpaque):
        return st.binary(min_size=t.size, max_size=t.size)
    if isinstance(t, (rpc.Array, rpc.FixedArray)):
        lo, hi = (t.size, t.size) if isinstance(t, rpc.FixedArray) else (0, min(t.bound, 6))
        items = st.lists(values(t.elem, depth + 1), min_size=lo, max_size=hi)
        if isinstance(t.elem, (rpc.Int, rpc.Float)):
            dtype = t.elem.dtype
            return items | items.map(lambda xs: np.array(xs, dtype=dtype))
        return items
    if isinstance(t, rpc.Struct):
        fields = st.fixed_dictionaries({n: values(ft, depth + 1) for n, ft in t.fields})
        cls = t.cls
        return fields if cls is None else fields.map(lambda kw: cls(**kw))
    if isinstance(t, rpc.Union):
        arms = [st.tuples(st.just(c), values(a, depth + 1)) for c, _, a in t.arms]
        if t.default is not None:
            cases = {c for c, _, _ in t.arms}
            others = values(t.discriminant).filter(lambda d: d not in cases)
            arms.append(st.tuples(others, values(t.default[1], depth + 1)))
        return st.one_of(arms).map(lambda dv: rpc.UnionValue(*dv))
    if isinstance(t, rpc.Optional):
        return st.none() if depth > 3 else st.none() | values(t.elem, depth + 1)
    raise TypeError(f"no value strategy for wire type {t!r}")


def wire_types() -> SearchStrategy[WireType]:
    """A hypothesis strategy for random wire types, nested up to a few levels.

    Returns:
        The strategy.
    """
    from hypothesis import strategies as st

    from distlab import rpc

    color = rpc.Enum("color", (("RED", 0), ("GREEN", 1), ("BLUE", -7)))
    leaves = (
        st.sampled_from([rpc.INT32, rpc.UINT32, rpc.INT64, rpc.UINT64, rpc.FLOAT32, rpc.FLOAT64, rpc.BOOL, color])
        | st.builds(rpc.String, st.sampled_from([None, 0, 5, 40]))
        | st.builds(rpc.Opaque, st.sampled_from([None, 0, 3, 17]))
        | st.builds(rpc.FixedOpaque, st.integers(0, 9))
    )

    def compound(children: SearchStrategy[WireType]) -> SearchStrategy[WireType]:
        return st.one_of(
            st.builds(rpc.Array, children, st.sampled_from([None, 4])),
            st.builds(rpc.FixedArray, children, st.integers(0, 3)),
            st.lists(children, max_size=4).map(lambda ts: rpc.Struct("s", tuple((f"f{i}", t) for i, t in enumerate(ts)))),
            st.tuples(children, children, st.booleans()).map(
                lambda ab: rpc.Union("u", rpc.INT32, ((1, "a", ab[0]), (-2, "b", rpc.VOID)),
                                     ("other", ab[1]) if ab[2] else None)
            ),
            children.filter(lambda t: not isinstance(t, rpc.Optional)).map(rpc.Optional),
        )

    return st.recursive(leaves, compound, max_leaves=8)


def typed_values() -> SearchStrategy[tuple[WireType, Any]]:
    """A hypothesis strategy for ``(type, value)`` pairs: a random wire type and a value of it.

    Returns:
        The strategy.
    """
    from hypothesis import strategies as st

    return wire_types().flatmap(lambda t: st.tuples(st.just(t), values(t)))


# -- serializers ------------------------------------------------------------------------------------

_LENGTH_WORDS = (b"\x80\0\0\0", b"\xff\xff\xff\xff", b"\0\0\0\x80", b"\x7f\xff\xff\xff", b"\xff" * 9)


def _mutations(data: bytes, rng: random.Random, count: int) -> list[bytes]:
    out = [data[:cut] for cut in range(len(data))] if len(data) <= 48 else \
        [data[:cut] for cut in sorted(rng.sample(range(len(data)), 24))]
    for _ in range(count):
        buf = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(4)
            if op == 0 and buf:
                buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
            elif op == 1 and buf:
                del buf[rng.randrange(len(buf)):]
            elif op == 2:
                buf.insert(rng.randrange(len(buf) + 1), rng.getrandbits(8))
            else:  # a huge length or count where one may be
                at = rng.randrange(len(buf) + 1)
                buf[at:at + 4] = rng.choice(_LENGTH_WORDS)
        out.append(bytes(buf))
    return out


def _decode_bad(serializer: Any, data: bytes, t: WireType, what: str, *, must_fail: bool) -> None:
    from distlab.rpc import DecodeError, validate

    try:
        back = serializer.decode(data, t)
    except DecodeError as err:
        offset = getattr(err, "offset", None)
        if not isinstance(offset, int) or not 0 <= offset <= len(data):
            raise AssertionError(
                f"decode of {what} input ({len(data)} bytes, {data[:32]!r}...) raised DecodeError with offset "
                f"{offset!r}, not a byte offset within the input"
            ) from err
        return
    except Exception as err:
        raise AssertionError(
            f"decode of {what} input raised {type(err).__name__}: {err}; only DecodeError may escape decode "
            f"(type {t!r}, input {data[:64]!r})"
        ) from err
    if must_fail:
        raise AssertionError(f"decode of {what} input returned {back!r} instead of raising DecodeError "
                             f"(type {t!r}, input {data[:64]!r})")
    try:
        validate(back, t)
    except Exception as err:
        raise AssertionError(f"decode of {what} input returned a value that is not a {t!r}: {back!r}") from err


def _check_value(serializer: Any, t: WireType, value: Any, mutations: int) -> None:
    from distlab.rpc import equal

    data = serializer.encode(value, t)
    if not isinstance(data, bytes):
        raise AssertionError(f"encode returned {type(data).__name__}, not bytes, for {value!r} as {t!r}")
    try:
        back = serializer.decode(data, t)
    except Exception as err:
        raise AssertionError(f"decode of the encoding of {value!r} as {t!r} raised {type(err).__name__}: {err}") from err
    if not equal(back, value, t):
        raise AssertionError(f"round trip changed the value: {value!r} as {t!r} came back as {back!r}")
    rng = random.Random(data)
    for bad in _mutations(data, rng, mutations):
        if bad != data:
            _decode_bad(serializer, bad, t, "truncated or mutated", must_fail=False)
    # Trailing bytes are never part of one encoding (the Serializer contract says so).
    _decode_bad(serializer, data + b"\0", t, "oversized (one trailing byte)", must_fail=True)
    _decode_bad(serializer, data + rng.randbytes(4096), t, "oversized (4 KiB of trailing bytes)", must_fail=True)


def check_serializer(
    serializer: Any,
    params: Any = None,
    *,
    max_examples: int = 20,
    mutations: int = 12,
    types: Sequence[WireType] | None = None,
) -> None:
    """Check the serializer contract: round trips of every wire type, and only DecodeError on bad input.

    For each type of :func:`every_wire_type` (or ``types``), and for random nested types, hypothesis
    generates values; each must encode to bytes and decode to an equal value
    (:func:`distlab.rpc.equal`). Then every truncation (or a sample of them), ``mutations`` random
    mutations (flipped bits, cut tails, inserted bytes, huge length words) and a few kilobytes of
    garbage must decode to a valid value or raise :class:`~distlab.rpc.errors.DecodeError` with an
    offset inside the input, never another exception; and the encoding with bytes appended must
    raise DecodeError. Oversized declared lengths must be refused, not allocated.

    Args:
        serializer: a registered serializer name, a Component, a factory, or a serializer object.
        params: for a name or Component, a mapping of overrides or a parameter instance; for a
            factory, the argument it is called with (None: called with none).
        max_examples: hypothesis examples per wire type, and of random types.
        mutations: random mutations of each encoding.
        types: the wire types to test instead of :func:`every_wire_type` (random types still run).

    Raises:
        AssertionError: with the type, the value and what broke (hypothesis adds the smallest example).
    """
    from hypothesis import HealthCheck, given, settings

    made = _made("serializer", _maker("serializer", serializer, params, "encode"), "encode")
    if not callable(getattr(made, "decode", None)):
        raise AssertionError(f"serializer {made!r} has no decode() method")
    config = settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))

    for t in types if types is not None else every_wire_type():
        @config
        @given(value=values(t))
        def one_type(value: Any) -> None:
            _check_value(made, t, value, mutations)  # noqa: B023 - run at once, inside the loop

        one_type()

    @config
    @given(tv=typed_values())
    def random_types(tv: tuple[WireType, Any]) -> None:
        _check_value(made, tv[0], tv[1], mutations)

    random_types()
    garbage = random.Random(0)
    for t in (types if types is not None else every_wire_type()):
        # Kept small: random bytes are mostly refused at once, but a pickle-based decoder can spend
        # seconds on some kilobytes of them (found with Random(0)'s 4 KiB blob).
        for size in (1, 7, 256):
            _decode_bad(made, garbage.randbytes(size), t, f"{size} bytes of garbage", must_fail=False)
        _decode_bad(made, b"\xff" * 64, t, "all-ones (huge lengths)", must_fail=False)
