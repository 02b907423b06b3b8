"""Contract checks of the rpc_semantics study's kinds: run a passing mode, a binding policy, a stub or a
call mix through them.

The kinds declare these checks (:attr:`distlab.component.Kind.check`), so
:func:`distlab.testing.check_component` runs them too. Each takes a component in any of the forms of
:func:`distlab.testing.make_factory` and raises :class:`AssertionError` saying what broke. The contracts
(the kinds' Protocol docstrings say them in full):

- **passing** (:func:`check_passing`): ``check`` refuses a signature only with
  :class:`~distlab.rpc_semantics.errors.PointerParameterError`; every signature it accepts is called
  for real (a server in a thread of this process), twice on equal arguments with equal outcomes; and a
  call whose lists are all ``[in]`` gives the local call's result and leaves the caller's lists alone.
- **binding** (:func:`check_binding`): ``address`` gives a ``(host, port)`` pair; a policy that asks the
  binder declares ``uses_binder`` true (the engine starts no binder otherwise); ``rebind`` answers a bool.
- **stub** (:func:`check_stub`): the component pickles (it travels to the server process), and its
  proxy and export make a real ``append`` call whose copied-back list is the local call's.
- **call_mix** (:func:`check_call_mix`): ``world.calls`` calls of its declared signature, with exactly
  its parameters as arguments, the same for the same seed.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np

from distlab.rpc_semantics.context import Directory, Remote
from distlab.rpc_semantics.errors import PointerParameterError
from distlab.rpc_semantics.exports import generated_proxy, serve_generated
from distlab.rpc_semantics.functions import FUNCTIONS, Call, Parameter, Signature, run_local, snapshot
from distlab.rpc_semantics.interface import interface
from distlab.rpc_semantics.world import RpcSemanticsWorld
from distlab.testing import make_factory

__all__ = ["READ_ONLY_LOOKUP", "check_binding", "check_call_mix", "check_passing", "check_stub", "sample_calls",
           "served"]

READ_ONLY_LOOKUP = Signature("lookup", (Parameter("key", False), Parameter("put", False), Parameter("db", True, "in")))
"""``lookup`` with its list declared ``[in]``: a call every passing mode must get right."""


def sample_calls() -> list[Call]:
    """One small call of each function (lists of four 8-byte elements; ``alias`` with one list twice)."""
    def lst() -> list[bytes]:
        return [i.to_bytes(8, "big") for i in range(4)]
    shared = lst()
    return [
        Call(FUNCTIONS["append"], {"data": [b"new"], "db": lst(), "touch": [1]}),
        Call(FUNCTIONS["lookup"], {"key": 2, "put": b"put", "db": lst()}),
        Call(READ_ONLY_LOOKUP, {"key": 3, "put": None, "db": lst()}),
        Call(FUNCTIONS["alias"], {"a": shared, "b": shared, "mark_a": b"A", "mark_b": b"B"}),
    ]


@contextlib.contextmanager
def served(stub: Any = None) -> Iterator[tuple[Any, Any]]:
    """A server of ``semantics.x`` in a thread and a client of it: ``(proxy, refs)``.

    Args:
        stub: a stub component (its export and proxy); ``None``: the generated ones.
    """
    from distlab.oncrpc.client import Client
    from distlab.oncrpc.server import Server
    from distlab.rpc_semantics.refs import RefTable
    from distlab.rpc_semantics.service import RefAccess, SemanticsService

    access = RefAccess()
    server = Server(transports=("tcp",))
    (stub.serve if stub is not None else serve_generated)(server, SemanticsService(access))
    refs = RefTable()
    with server.serve_in_thread(), refs.serve(), Client("127.0.0.1", server.port) as client:
        try:
            yield (stub.client(client) if stub is not None else generated_proxy(client)), refs
        finally:
            access.close()


def check_passing(passing: Any, params: Any = None) -> None:
    """Check a passing mode against the contract of the kind ``passing``.

    Raises:
        AssertionError: naming the broken part and the call.
    """
    make = make_factory("passing", passing, params, method="invoke")
    with served() as (proxy, refs):
        for call in sample_calls():
            try:
                make().check(call.signature)
            except PointerParameterError:
                continue
            except Exception as err:
                raise AssertionError(f"check({call.signature.text()}) raised {type(err).__name__}, "
                                     "not PointerParameterError") from err
            outcomes = []
            for _ in range(2):
                mine = Call(call.signature, snapshot(call.args))
                result = make().invoke(mine, Remote(proxy, interface(), refs))
                outcomes.append((result if not isinstance(result, list) else list(result),
                                 {k: v for k, v in mine.args.items() if isinstance(v, list)}))
            assert outcomes[0] == outcomes[1], f"{call.signature.text()}: two equal calls gave different outcomes"
            if call.signature is READ_ONLY_LOOKUP:
                local = snapshot(call.args)
                assert outcomes[0][0] == run_local(call, local), "a read-only lookup did not return the element read"
                assert outcomes[0][1]["db"] == call.args["db"], "a read-only lookup changed the caller's list"


def check_binding(binding: Any, params: Any = None) -> None:
    """Check a binding policy against the contract of the kind ``binding``.

    Raises:
        AssertionError: naming the broken part.
    """
    make = make_factory("binding", binding, params, method="address")
    policy = make()
    directory = Directory(("127.0.0.1", 1111), lambda: ("127.0.0.1", 2222))
    for _ in range(3):
        host, port = policy.address(directory)
        assert isinstance(host, str) and isinstance(port, int), f"address gave {(host, port)!r}, not (host, port)"
    if directory.lookups:
        assert getattr(policy, "uses_binder", True), "it asks the binder but declares uses_binder false"
    again = policy.rebind(directory, ConnectionRefusedError("gone"))
    assert isinstance(again, bool), f"rebind answered {again!r}, not a bool"


def check_stub(stub: Any, params: Any = None) -> None:
    """Check a stub against the contract of the kind ``stub``.

    Raises:
        AssertionError: naming the broken part.
    """
    made = make_factory("stub", stub, params, method="client")()
    try:
        pickle.loads(pickle.dumps(made))
    except Exception as err:
        raise AssertionError(f"the stub does not pickle ({err}); it must reach the server process") from err
    api = interface()
    db = [i.to_bytes(8, "big") for i in range(4)]
    with served(made) as (proxy, _):
        back = proxy.append_restore(api.SemAppendArgs([b"n"], db, [0], api.DETECT_PARAMETER))
    local = list(db)
    run_local(Call(FUNCTIONS["append"], {}), {"data": [b"n"], "db": local, "touch": [0]})
    assert list(back) == local, "APPEND_RESTORE through the stub did not return the local call's list"


def check_call_mix(call_mix: Any, params: Any = None, *, seeds: tuple[int, ...] = (0, 1)) -> None:
    """Check a call mix against the contract of the kind ``call_mix``.

    Raises:
        AssertionError: naming the broken part and the seed.
    """
    make = make_factory("call_mix", call_mix, params, method="calls")
    world = RpcSemanticsWorld(calls=5)
    for seed in seeds:
        mix = make()
        signature = mix.signature()
        assert signature.function in FUNCTIONS, f"signature() names {signature.function!r}, not one of {sorted(FUNCTIONS)}"
        calls = list(mix.calls(world, np.random.default_rng(seed)))
        again = list(make().calls(world, np.random.default_rng(seed)))
        assert len(calls) == world.calls, f"{len(calls)} calls for world.calls={world.calls} (seed {seed})"
        names = [p.name for p in signature.parameters]
        for call in calls:
            assert call.signature == signature, "a call's signature differs from signature()"
            assert list(call.args) == names, f"arguments {list(call.args)}, not the parameters {names}"
        assert [snapshot(c.args) for c in calls] == [snapshot(c.args) for c in again], \
            f"the same seed gave different calls (seed {seed})"
