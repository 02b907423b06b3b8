"""The local semantics: append, lookup, alias; snapshots keep aliasing; signatures in DCE style."""

from __future__ import annotations

from distlab.rpc_semantics import FUNCTIONS, Call, alias, append, invert, lookup, run_local, snapshot


def test_append_is_the_lectures_call() -> None:
    db = [b"\x00", b"\x01", b"\x02"]
    newlist = append([b"x"], db, [1])
    assert newlist is db
    assert db == [b"\x00", b"\xfe", b"\x02", b"x"]
    assert invert(invert(b"abc")) == b"abc"


def test_lookup_reads_then_writes() -> None:
    db = [b"a", b"b"]
    assert lookup(1, None, db) == b"b" and db == [b"a", b"b"]
    assert lookup(1, b"z", db) == b"b" and db == [b"a", b"z"]


def test_alias_through_one_object_sees_both_appends() -> None:
    a = [b"0"]
    alias(a, a, b"A", b"B")
    assert a == [b"0", b"A", b"B"]


def test_snapshot_keeps_aliasing_and_copies() -> None:
    a = [b"0"]
    call = Call(FUNCTIONS["alias"], {"a": a, "b": a, "mark_a": b"A", "mark_b": b"B"})
    copy = snapshot(call.args)
    assert copy["a"] is copy["b"] and copy["a"] is not a
    run_local(call, copy)
    assert a == [b"0"] and copy["a"] == [b"0", b"A", b"B"]


def test_signature_text_names_directions() -> None:
    assert FUNCTIONS["append"].text() == "append([in] data, [in,out] db, [in] touch)"
