"""The public names: ``distlab.__all__`` is complete and sorted (httpx does the same)."""

from __future__ import annotations

import distlab


def test_all_is_sorted_and_complete() -> None:
    import __future__

    public = {
        n for n, v in vars(distlab).items()
        if not n.startswith("_") and not isinstance(v, (type(distlab), __future__._Feature))
    }
    assert sorted(distlab.__all__) == distlab.__all__
    assert public | {"__version__"} == set(distlab.__all__)


def test_error_tree_is_documented() -> None:
    from distlab import errors

    for name in errors.__all__:
        assert f" {name} " in errors.__doc__ or f"── {name}" in errors.__doc__ or name == "DistlabError"
        assert issubclass(getattr(errors, name), errors.DistlabError)
