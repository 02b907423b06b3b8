"""Linked lists decode (and encode, validate, compare) in a loop, to at least 100,000 nodes (issue 14).

A linked list is a struct whose last field is an optional reference to itself
(:func:`distlab.rpc.chain_link`). Python's recursion stops near 1,000 nested calls, so every codec
walks such a list node by node; these tests hold every format to 100,000 nodes, check that the loop
writes the bytes of the recursive definition (RFC 4506 section 4.19 for XDR, C706 14.3.10 for NDR),
and pin the schema-less formats' wire form of a list (an array of its nodes). The 100,000-node
round trips are not timed tests: they only have to finish (a few seconds in all).
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest
from rpc_helpers import CONFIGS, config_serializer

from distlab.rpc import (
    INT32,
    DecodeError,
    EncodeError,
    Optional,
    Ref,
    String,
    Struct,
    chain_link,
    equal,
    validate,
)

N = 100_000

_node = Ref("node")
NODE = Struct("node", (("v", INT32), ("s", String(8)), ("next", Optional(_node))))
_node.bind(NODE)


@dataclasses.dataclass
class Cell:
    v: int
    next: Cell | None


_cell = Ref("cell")
CELL = Struct.of(Cell, v=INT32, next=Optional(_cell))
_cell.bind(CELL)

_tree = Ref("tree")
TREE = Struct("tree", (("left", Optional(_tree)), ("v", INT32), ("right", Optional(_tree))))
_tree.bind(TREE)

LOOPING = sorted(CONFIGS)


def _dict_list(n: int) -> Any:
    v = None
    for i in range(n, 0, -1):
        v = {"v": i, "s": "ab", "next": v}
    return v


def _cell_list(n: int) -> Any:
    v = None
    for i in range(n, 0, -1):
        v = Cell(i, v)
    return v


def _length(v: Any, link: str = "next") -> int:
    n = 0
    while v is not None:
        n += 1
        v = v[link] if isinstance(v, dict) else getattr(v, link)
    return n


LONG = _dict_list(N)
LONG_CELLS = _cell_list(N)


def test_chain_link_finds_the_self_reference_only_in_the_last_field() -> None:
    assert chain_link(NODE) == "next"
    assert chain_link(TREE) == "right"
    other = Ref("other")
    other.bind(NODE)
    assert chain_link(Struct("x", (("v", INT32), ("next", Optional(other))))) is None
    assert chain_link(Struct("empty", ())) is None


@pytest.mark.parametrize("config", LOOPING)
def test_100000_node_list_round_trips(config: str) -> None:
    s = config_serializer(config)
    back = s.decode(s.encode(LONG, NODE), NODE)
    assert _length(back) == N
    assert equal(back, LONG, NODE)
    cells = s.decode(s.encode(LONG_CELLS, _cell), _cell)
    assert isinstance(cells, Cell) and _length(cells) == N
    assert equal(cells, LONG_CELLS, CELL)


@pytest.mark.parametrize("config", LOOPING)
def test_a_tree_walks_its_right_spine_in_the_loop(config: str) -> None:
    s = config_serializer(config)
    v = None
    for i in range(N // 10):  # ten times the recursion limit is enough to show the loop
        v = {"left": {"left": None, "v": -i, "right": None} if i % 1000 == 0 else None, "v": i, "right": v}
    assert equal(s.decode(s.encode(v, TREE), TREE), v, TREE)


@pytest.mark.parametrize("config", LOOPING)
def test_deep_non_tail_recursion_is_still_a_clean_error(config: str) -> None:
    s = config_serializer(config)
    v = None
    for i in range(5000):  # down the left child: not the list's link, so it nests as before
        v = {"left": v, "v": i, "right": None}
    with pytest.raises(EncodeError, match="nested too deeply"):
        s.encode(v, TREE)


def test_the_loop_writes_the_bytes_of_the_recursive_definition() -> None:
    two = {"v": 1, "s": "", "next": {"v": 2, "s": "", "next": None}}
    # RFC 4506 section 4.19: each node's items, then a 4-byte "more" flag (1, then 0 at the end).
    assert config_serializer("xdr").encode(two, NODE).hex() == (
        "00000001" "00000000" "00000001" "00000002" "00000000" "00000000"
    )
    # C706 14.3.10: a unique pointer is a referent id (0 for null); its referent, the next node,
    # follows at once (the pointer is the last member, so deferring it moves nothing).
    assert config_serializer("ndr_big").encode(two, NODE).hex() == (
        "00000000"  # format label: big-endian, ASCII, IEEE
        "00000001" "00000001" "00000000" "00000001" "00" "000000" "00020000"
        "00000002" "00000001" "00000000" "00000001" "00" "000000" "00000000"
    )


def test_schemaless_wire_form_is_an_array_of_nodes() -> None:
    two = {"v": 1, "s": "a", "next": {"v": 2, "s": "b", "next": None}}
    data = config_serializer("json").encode(two, NODE)
    assert json.loads(data) == [{"v": 1, "s": "a"}, {"v": 2, "s": "b"}]
    outer = Struct("outer", (("head", Optional(_node)),))
    assert json.loads(config_serializer("json").encode({"head": None}, outer)) == {"head": None}


@pytest.mark.parametrize("config", ["json", "msgpack", "cbor"])
@pytest.mark.parametrize(
    "plain, message",
    [
        ([], "one or more nodes"),
        ({"v": 1, "s": "", "next": None}, "array of one or more nodes"),
        ([{"v": 1, "s": "", "next": None}], "has fields"),
        ([{"v": 1, "s": ""}, 3], r"value\[1\]: expected a map"),
        ([{"v": 1, "s": ""}, {"v": "x", "s": ""}], r"value\[1\]\.v"),
    ],
)
def test_schemaless_refuses_what_is_not_a_list_of_nodes(config: str, plain: Any, message: str) -> None:
    s = config_serializer(config)
    with pytest.raises(DecodeError, match=message):
        s.decode(s.dumps(plain), NODE)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_a_list_that_links_back_is_refused_on_encode(config: str) -> None:
    ring = {"v": 1, "s": "", "next": {"v": 2, "s": "", "next": None}}
    ring["next"]["next"] = ring
    with pytest.raises(EncodeError, match="links back"):
        config_serializer(config).encode(ring, NODE)


@pytest.mark.parametrize("config", [c for c in LOOPING if not c.startswith(("json", "msgpack", "cbor"))])
def test_a_truncated_long_list_is_a_decode_error(config: str) -> None:
    s = config_serializer(config)
    data = s.encode(_dict_list(N // 10), NODE)
    with pytest.raises(DecodeError):
        s.decode(data[:-3], NODE)


def test_validate_names_a_deep_node_by_a_counted_path() -> None:
    bad = _dict_list(20)
    x = bad
    for _ in range(12):
        x = x["next"]
    x["s"] = 5
    with pytest.raises(EncodeError, match=r"value\.next\{12\}\.s"):
        validate(bad, NODE)
    x = bad["next"]["next"]
    x["v"] = "no"
    with pytest.raises(EncodeError, match=r"value\.next\.next\.v"):
        validate(bad, NODE)


def test_equal_loops_and_tells_lists_apart() -> None:
    other = _dict_list(N)
    assert equal(LONG, other, NODE)
    x = other
    while x["next"] is not None:
        x = x["next"]
    x["v"] = -1
    assert not equal(LONG, other, NODE)
    assert not equal(LONG, _dict_list(N - 1), NODE)
    ring = {"v": 1, "s": "", "next": None}
    ring["next"] = ring
    assert equal(ring, ring, NODE)


def test_pickle_wire_form_is_a_list_of_unlinked_nodes() -> None:
    import pickle

    s = config_serializer("pickle")
    two = {"v": 1, "s": "a", "next": {"v": 2, "s": "b", "next": None}}
    assert pickle.loads(s.encode(two, NODE)) == [{"v": 1, "s": "a", "next": None}, {"v": 2, "s": "b", "next": None}]
    assert two["next"]["next"] is None and two["next"]["v"] == 2  # the caller's value is not changed
    cells = pickle.loads(s.encode(Cell(1, Cell(2, None)), CELL))
    assert cells == [Cell(1, None), Cell(2, None)]
    # A type without a linked list pickles the value itself (in fast mode), as before.
    outer = Struct("outer", (("v", INT32), ("s", String())))
    fp = io.BytesIO()
    pickler = pickle.Pickler(fp, protocol=s.params.protocol)
    pickler.fast = True
    pickler.dump({"v": 1, "s": "x"})
    assert s.encode({"v": 1, "s": "x"}, outer) == fp.getvalue()


@pytest.mark.parametrize(
    "plain, message",
    [
        ({"v": 1, "s": "", "next": None}, "non-empty list of its nodes"),
        ([], "non-empty list of its nodes"),
        ((({"v": 1, "s": "", "next": None}),), "non-empty list of its nodes"),
        ([{"v": 1, "s": "", "next": {"v": 2, "s": "", "next": None}}], "must be None on the wire"),
        ([{"v": 1, "s": ""}], "must be None on the wire"),
        ([{"v": 1, "s": "", "next": None}, 3], "must be None on the wire|cannot be checked|wire form"),
        ([{"v": 1, "s": "", "next": None}, {"v": "x", "s": "", "next": None}], r"value\.next\.v"),
    ],
)
def test_pickle_refuses_what_is_not_a_list_of_nodes(plain: Any, message: str) -> None:
    import pickle

    s = config_serializer("pickle")
    with pytest.raises(DecodeError, match=message):
        s.decode(pickle.dumps(plain), NODE)


def test_pickle_relinks_chains_nested_in_other_types() -> None:
    from distlab.rpc import Array, Union, UnionValue

    u = Union("u", INT32, ((1, "list", Optional(_node)), (2, "n", INT32)))
    outer = Struct("outer", (("items", Array(u)), ("head", Optional(_node))))
    v = {
        "items": [UnionValue(1, _dict_list(3)), UnionValue(2, 7), (1, None)],
        "head": _dict_list(N),
    }
    s = config_serializer("pickle")
    back = s.decode(s.encode(v, outer), outer)
    assert equal(back, v, outer) and _length(back["head"]) == N
    assert type(back["items"][0]) is UnionValue and _length(back["items"][0].value) == 3
