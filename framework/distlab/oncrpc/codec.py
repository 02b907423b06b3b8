"""The serializer the runtime encodes with when none is given: distlab's XDR, found through the registry."""

from __future__ import annotations

import functools

from distlab.rpc.kinds import Serializer

__all__ = ["default_serializer"]


@functools.cache
def default_serializer() -> Serializer:
    """distlab's XDR serializer (the ``xdr`` component of the ``serializer`` kind), made once per process.

    Found through the registry like any component (the framework never imports a plugin), so a
    replacement registered under the name ``xdr`` is used here too.
    """
    from distlab.host import get_registry

    component = get_registry().component("serializer", "xdr")
    return component.create(component.params())  # type: ignore[no-any-return]
