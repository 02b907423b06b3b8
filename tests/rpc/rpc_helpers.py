"""Helpers of the rpc tests: the shared conformance data and the serializers, made as a case makes them."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / ".." / "shared" / "testdata"


def shared_data(relative: str) -> Path:
    """A file of the shared conformance data; skips the test when the folder is not laid out."""
    if not TESTDATA.is_dir():
        pytest.skip(f"conformance data not found at {TESTDATA.resolve()} (CI lays shared/ beside the clone)")
    path = TESTDATA / relative
    assert path.is_file(), f"{path} is missing from the conformance data"
    return path


@functools.cache
def rpc_registry() -> Any:
    """A registry with the rpc study and the serializers plugin, loaded as the host loads plugins."""
    import distlab_serializers

    from distlab.host import load_registry

    return load_registry(autoload=False, plugins=[], modules=[distlab_serializers])


def make(name: str, **params: Any) -> Any:
    """The serializer ``name`` with ``params``, made by its registered factory."""
    from distlab.component import load_object
    from distlab.params import build

    component = rpc_registry().component("serializer", name)
    return load_object(component.factory, name)(build(component.params, params))


# Every serializer configuration the round-trip, bad-input and fuzz tests run against.
CONFIGS: dict[str, dict[str, Any]] = {
    "xdr": {},
    "ndr_little": {"byte_order": "little"},
    "ndr_big": {"byte_order": "big"},
    "native_little": {"byte_order": "little"},
    "native_big": {"byte_order": "big"},
    "native_varint": {"byte_order": "big", "integers": "varint"},
    "json": {},
    "msgpack": {},
    "cbor": {},
    "pickle": {"allow_untrusted": True},
}


def config_serializer(config: str) -> Any:
    return make(config.split("_")[0], **CONFIGS[config])
