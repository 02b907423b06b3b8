"""ONC RPC messages captured on real networks, decoded field by field with the XDR serializer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rpc_helpers import make, shared_data

from distlab.rpc import DecodeError
from distlab.rpc import oncrpc
from distlab.rpc import UINT32


def _messages() -> list[dict[str, Any]]:
    return json.loads(shared_data("oncrpc/captured_rpc_messages.json").read_text())  # type: ignore[no-any-return]


def _auth(xdr: Any, auth: dict[str, Any], expect: dict[str, Any]) -> None:
    assert auth["flavor"] == expect["flavor"]
    assert len(auth["body"]) == expect["length"]
    if expect["flavor"] == oncrpc.AUTH_FLAVOR.value_of("AUTH_SYS"):
        parms = xdr.decode(auth["body"], oncrpc.AUTHSYS_PARMS)
        for key in ("stamp", "machinename", "uid", "gid"):
            assert parms[key] == expect[key], key
        assert parms["gids"].tolist() == expect["gids"]


@pytest.mark.parametrize("index", range(5))
def test_captured_message(index: int) -> None:
    xdr = make("xdr")
    messages = _messages()
    assert len(messages) == 5
    msg = messages[index]
    expect = msg["expect"]
    data = bytes.fromhex(msg["hex"])
    if msg["record_marked"]:
        mark = int(expect["record_mark"].split()[0], 16)
        assert int.from_bytes(data[:4], "big") == mark
        data = oncrpc.split_records(data)
        assert len(data) == mark & 0x7FFFFFFF
    header, end = xdr.decode_prefix(data, oncrpc.RPC_MSG)
    assert header["xid"] == int(expect["xid"], 16)
    msg_type, body = header["body"]
    assert msg_type == expect["msg_type"]
    rest = data[end:]
    if msg_type == oncrpc.MSG_TYPE.value_of("CALL"):
        for key in ("rpcvers", "prog", "vers", "proc"):
            assert body[key] == expect[key], key
        _auth(xdr, body["cred"], expect["cred"])
        _auth(xdr, body["verf"], expect["verf"])
        if body["prog"] == 100000:
            assert xdr.decode(rest, oncrpc.MAPPING) == expect["args"]
        else:
            assert xdr.decode(rest, oncrpc.MOUNT_DIRPATH) == expect["args"]["dirpath"]
    else:
        reply_stat, reply = body
        assert reply_stat == expect["reply_stat"]
        _auth(xdr, reply["verf"], expect["verf"])
        accept_stat, results = reply["reply_data"]
        assert accept_stat == expect["accept_stat"] and results is None
        assert xdr.decode(rest, UINT32) == expect["result_port"]
    # The header re-encodes to the same bytes.
    assert xdr.encode(header, oncrpc.RPC_MSG) == data[:end]


def test_record_mark_errors() -> None:
    with pytest.raises(DecodeError, match="fragment"):
        oncrpc.split_records(bytes.fromhex("8000001c00"))
    with pytest.raises(DecodeError, match="truncated"):
        oncrpc.split_records(bytes.fromhex("0000000100"))
