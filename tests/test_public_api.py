"""The public names: ``distlab.__all__`` is complete and sorted (httpx does the same)."""

from __future__ import annotations

import importlib

import pytest

import distlab

# The core and each study's public surface.
SURFACES = ("distlab", "distlab.migration", "distlab.oncrpc", "distlab.routing", "distlab.rpc")


@pytest.mark.parametrize("name", SURFACES)
def test_all_is_sorted_and_complete(name: str) -> None:
    import __future__

    module = importlib.import_module(name)
    public = {
        n for n, v in vars(module).items()
        if not n.startswith("_") and not isinstance(v, (type(distlab), __future__._Feature))
        and getattr(v, "__module__", name).startswith("distlab")
    }
    assert sorted(module.__all__, key=lambda n: (not n.isupper(), n)) == module.__all__ or \
        sorted(module.__all__) == module.__all__
    assert public - {"TYPE_CHECKING", "Any"} <= set(module.__all__)
    for exported in module.__all__:
        assert getattr(module, exported) is not None, exported


def test_core_names_no_study_error() -> None:
    # A study's errors live in its package; the core's __all__ holds only the framework's own.
    assert not {"DecodeError", "EncodeError", "RpcError", "AccessLogError"} & set(distlab.__all__)


def test_error_tree_is_documented() -> None:
    from distlab import errors

    for name in errors.__all__:
        assert f" {name} " in errors.__doc__ or f"── {name}" in errors.__doc__ or name == "DistlabError"
        assert issubclass(getattr(errors, name), errors.DistlabError)
