"""An index out of range is GARBAGE_ARGS (semantics.x's contract, as the C peer answers), callbacks included."""

from __future__ import annotations

from pathlib import Path

import pytest

from distlab.oncrpc import GarbageArgsError
from distlab.rpc_semantics import interface
from distlab.rpc_semantics.service import DirectoryList


def test_an_index_out_of_range_is_garbage_args(generated_endpoint, make_list, tmp_path: Path) -> None:
    api, proxy, refs = interface(), generated_endpoint.proxy, generated_endpoint.refs
    db = make_list(3)
    with pytest.raises(GarbageArgsError):  # in the list the call carried
        proxy.lookup_value(api.SemLookupArgs(3, None, db, api.DETECT_PARAMETER))
    with pytest.raises(GarbageArgsError):  # a touch index past the end
        proxy.append_restore(api.SemAppendArgs([b"x"], db, [7], api.DETECT_PARAMETER))
    try:  # through a callback: the owner answers GARBAGE_ARGS, and so does the server
        with pytest.raises(GarbageArgsError):
            proxy.lookup_ref(api.SemLookupRefArgs(5, None, refs.handle(db)))
    finally:
        refs.release()
    DirectoryList(str(tmp_path)).extend(db)  # through a shared directory
    with pytest.raises(GarbageArgsError):
        proxy.lookup_ref(api.SemLookupRefArgs(9, None, (api.REF_DIRECTORY, str(tmp_path))))
    assert proxy.lookup_value(api.SemLookupArgs(2, None, db, api.DETECT_PARAMETER)) == db[2]  # still serving
