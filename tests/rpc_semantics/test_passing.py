"""Each passing mode gives the caller the semantics it promises, against a real server (both stubs)."""

from __future__ import annotations

import pytest

from distlab.rpc_semantics import FUNCTIONS, Call, Parameter, PointerParameterError, Signature, snapshot
from distlab.rpc_semantics.engine import matches_local
from distlab.rpc_semantics.functions import run_local
from distlab_rpc_semantics.passing import ByValue, CopyRestore, CopyRestoreReadonly, Forbid, GlobalRef
from distlab_rpc_semantics.params import CopyRestoreReadonlyParams, GlobalRefParams

READONLY_CHUNK = CopyRestoreReadonly(CopyRestoreReadonlyParams("chunk"))
READONLY_PARAMETER = CopyRestoreReadonly(CopyRestoreReadonlyParams("parameter"))
GLOBAL_DIRECTORY = GlobalRef(GlobalRefParams(store="directory"))
LOOKUP_IN = Signature("lookup", (Parameter("key", False), Parameter("put", False), Parameter("db", True, "in")))


def _append(db: list[bytes]) -> Call:
    return Call(FUNCTIONS["append"], {"data": [b"new"], "db": db, "touch": [0, 2]})


def _alias(a: list[bytes]) -> Call:
    return Call(FUNCTIONS["alias"], {"a": a, "b": a, "mark_a": b"A", "mark_b": b"B"})


def _check(endpoint, passing, call: Call) -> tuple[object, bool]:
    local = snapshot(call.args)
    expected = run_local(call, local)
    result = endpoint.invoke(passing, call)
    return result, matches_local(call, result, expected, local)


def test_by_value_leaves_the_callers_list(endpoint, make_list) -> None:
    db = make_list(4)
    result, correct = _check(endpoint, ByValue(), _append(db))
    assert db == make_list(4)  # the callee's changes stayed on the server
    assert result is not db and result[0] != db[0] and result[-1] == b"new"
    assert not correct


@pytest.mark.parametrize("passing", [CopyRestore(), READONLY_CHUNK, READONLY_PARAMETER, GlobalRef(), GLOBAL_DIRECTORY],
                         ids=["copy_restore", "readonly_chunk", "readonly_parameter", "global_ref", "global_ref_dir"])
def test_reference_modes_give_the_local_result_without_aliasing(endpoint, make_list, passing) -> None:
    db = make_list(5)
    result, correct = _check(endpoint, passing, _append(db))
    assert correct
    assert result is db and len(db) == 6 and db[1] == make_list(5)[1] and db[0] != make_list(5)[0]


@pytest.mark.parametrize("passing", [CopyRestore(), READONLY_CHUNK, READONLY_PARAMETER],
                         ids=["copy_restore", "readonly_chunk", "readonly_parameter"])
def test_copy_restore_with_aliased_arguments_keeps_only_the_last_copy(endpoint, make_list, passing) -> None:
    a = make_list(3)
    _, correct = _check(endpoint, passing, _alias(a))
    # Both copies come back; the second restored (b's) overwrites the first: mark_a is lost.
    assert a == make_list(3) + [b"B"]
    assert not correct


def test_a_global_reference_sees_both_updates_through_one_object(endpoint, make_list) -> None:
    a = make_list(3)
    before = endpoint.refs.callbacks
    _, correct = _check(endpoint, GlobalRef(), _alias(a))
    assert a == make_list(3) + [b"A", b"B"]  # as a local call through one pointer
    assert correct
    assert endpoint.refs.callbacks - before == 2  # one CB_APPEND each


def test_a_global_reference_through_a_shared_directory_is_a_reference_without_callbacks(endpoint, make_list) -> None:
    a = make_list(3)
    before = (endpoint.refs.callbacks, endpoint.refs.bytes_in)
    _, correct = _check(endpoint, GLOBAL_DIRECTORY, _alias(a))
    assert a == make_list(3) + [b"A", b"B"]  # both appends reached the one object, as through callbacks
    assert correct
    assert (endpoint.refs.callbacks, endpoint.refs.bytes_in) == before  # the server never called back
    db = make_list(4)
    result, correct = _check(endpoint, GLOBAL_DIRECTORY, Call(FUNCTIONS["lookup"], {"key": 1, "put": b"p", "db": db}))
    assert result == make_list(4)[1] and db[1] == b"p" and correct
    assert endpoint.refs.callbacks == before[0]


def test_forbid_refuses_a_pointer_when_the_stub_is_built() -> None:
    with pytest.raises(PointerParameterError, match=r"parameter 'db' of append\(.*\[in,out\] db.*\) is \[in,out\]"):
        Forbid().check(FUNCTIONS["append"])
    with pytest.raises(PointerParameterError, match="'a'"):
        Forbid().check(FUNCTIONS["alias"])
    Forbid().check(LOOKUP_IN)  # a read-only list is a value: allowed


def test_forbid_passes_read_only_lists_by_value(endpoint, make_list) -> None:
    db = make_list(4)
    result, correct = _check(endpoint, Forbid(), Call(LOOKUP_IN, {"key": 2, "put": None, "db": db}))
    assert result == make_list(4)[2] and correct
