"""The study's public names: ``__all__`` complete and sorted, every name defined."""

from __future__ import annotations

import __future__

import distlab.rpc_semantics as pkg


def test_all_is_sorted_and_complete() -> None:
    public = {n for n, v in vars(pkg).items()
              if not n.startswith("_") and not isinstance(v, (type(pkg), __future__._Feature))
              and getattr(v, "__module__", "distlab").startswith("distlab")}
    assert pkg.__all__ == sorted(pkg.__all__, key=lambda n: (not n.isupper(), n))
    assert public - {"annotations"} <= set(pkg.__all__)
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None, name


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = ("import sys, distlab.rpc_semantics, distlab_rpc_semantics; "
            "print(any(m in sys.modules for m in ('numba', 'socket', 'lark')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
