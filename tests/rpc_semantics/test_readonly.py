"""The read-only optimization: nothing comes back for data the server did not change, the right object otherwise."""

from __future__ import annotations

from distlab.rpc_semantics import FUNCTIONS, Call, Parameter, Signature, interface
from distlab.rpc_semantics.metered import wire_bytes
from distlab_rpc_semantics.params import CopyRestoreReadonlyParams
from distlab_rpc_semantics.passing import CopyRestore, CopyRestoreReadonly

LOOKUP_IN = Signature("lookup", (Parameter("key", False), Parameter("put", False), Parameter("db", True, "in")))


def _reply_bytes(endpoint, passing, call: Call) -> int:
    before = endpoint.client.bytes_in
    endpoint.invoke(passing, call)
    return endpoint.client.bytes_in - before


def test_untouched_list_returns_no_element_bytes(generated_endpoint, make_list) -> None:
    api = interface()
    db = make_list(100)
    args = api.SemAppendArgs([], db, [], api.DETECT_CHUNK)
    delta = generated_endpoint.proxy.append_delta(args)
    assert delta.length == 100 and list(delta.chunks) == []
    # The reply is its header and two words (length, no chunks), against the whole list for copy-restore.
    empty = _reply_bytes(generated_endpoint, CopyRestoreReadonly(), Call(FUNCTIONS["append"],
                                                                         {"data": [], "db": db, "touch": []}))
    null = _reply_bytes(generated_endpoint, CopyRestoreReadonly(), Call(FUNCTIONS["append"],
                                                                        {"data": [], "db": [], "touch": []}))
    assert empty == null  # 100 untouched elements cost what an empty list costs
    full = _reply_bytes(generated_endpoint, CopyRestore(), Call(FUNCTIONS["append"],
                                                                {"data": [], "db": db, "touch": []}))
    # Each element: length word and 8 bytes; the delta has one word more (length and count) than a list.
    assert full - empty == 100 * (4 + 8) - 4


def test_chunks_are_only_the_changed_elements(generated_endpoint, make_list) -> None:
    api = interface()
    delta = generated_endpoint.proxy.append_delta(api.SemAppendArgs([b"n"], make_list(10), [3, 7], api.DETECT_CHUNK))
    assert [c.index for c in delta.chunks] == [3, 7, 10] and delta.length == 11
    db = make_list(10)
    result = generated_endpoint.invoke(CopyRestoreReadonly(), Call(FUNCTIONS["append"],
                                                                   {"data": [b"n"], "db": db, "touch": [3, 7]}))
    expected = make_list(10)
    expected[3] = bytes(b ^ 0xFF for b in expected[3])
    expected[7] = bytes(b ^ 0xFF for b in expected[7])
    assert result is db and db == expected + [b"n"]


def test_per_parameter_detection_returns_all_or_nothing(generated_endpoint, make_list) -> None:
    api = interface()
    changed = generated_endpoint.proxy.append_delta(api.SemAppendArgs([], make_list(10), [3], api.DETECT_PARAMETER))
    assert len(changed.chunks) == 10
    same = generated_endpoint.proxy.append_delta(api.SemAppendArgs([], make_list(10), [], api.DETECT_PARAMETER))
    assert len(same.chunks) == 0


def test_declared_in_list_never_comes_back(generated_endpoint, make_list) -> None:
    db = make_list(50)
    passing = CopyRestoreReadonly(CopyRestoreReadonlyParams("parameter"))
    ro = _reply_bytes(generated_endpoint, passing, Call(LOOKUP_IN, {"key": 1, "put": None, "db": db}))
    cr = _reply_bytes(generated_endpoint, CopyRestore(), Call(LOOKUP_IN, {"key": 1, "put": None, "db": db}))
    assert cr - ro == 4 + 50 * 12  # copy-restore sends the list back (count and 50 elements)
    assert ro == wire_bytes(24 + 4 + 8)  # accepted-reply header (24) and the 8-byte element with its length
