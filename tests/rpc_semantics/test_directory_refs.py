"""Global references through a shared directory (REF_DIRECTORY): the server reads and writes the files."""

from __future__ import annotations

from pathlib import Path

from distlab.rpc_semantics import interface
from distlab.rpc_semantics.service import DirectoryList


def test_the_server_changes_a_list_kept_in_a_shared_directory(generated_endpoint, tmp_path: Path) -> None:
    api = interface()
    store = DirectoryList(str(tmp_path))
    store.extend([b"\x00\x01", b"\x02\x03", b"\x04\x05"])
    generated_endpoint.proxy.append_ref(api.SemAppendRefArgs([b"new"], (api.REF_DIRECTORY, str(tmp_path)), [1]))
    assert list(store) == [b"\x00\x01", b"\xfd\xfc", b"\x04\x05", b"new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00000000", "00000001", "00000002", "00000003"]
    old = generated_endpoint.proxy.lookup_ref(api.SemLookupRefArgs(0, b"put", (api.REF_DIRECTORY, str(tmp_path))))
    assert old == b"\x00\x01" and store[0] == b"put"
