"""Contract checks for components, whatever their kind: the front that finds each kind's own check.

Each kind may declare its contract check (:attr:`distlab.component.Kind.check`, a
``"module:function"`` string); the study that owns the kind ships it in its own package, with
the helpers that check needs. :func:`check_component` looks the kind up in the registry and runs
that check, so a plugin's test is one line whatever the kind::

    from distlab.testing import check_component
    from my_plugin.component import MyComponent, MyParams

    def test_contract():
        check_component("my_kind", MyComponent, MyParams())

A check takes a component in any of four forms, which :func:`make_factory` turns into a function
making fresh components: a registered name (resolved through the plugin registry and built from
``params``, a mapping of overrides or a parameter instance), a
:class:`~distlab.component.Component`, a factory (a class or function, called with ``params``), or
a component object already made (reused as it is). It returns nothing when the contract holds and
raises :class:`AssertionError` saying which part broke, on which input, when it does not.

Importing this module imports no test library; a study's check may need one (its ``test`` extra).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["check_component", "make_factory"]


def check_component(kind: str, component: Any, params: Any = None, **options: Any) -> None:
    """Run ``component`` through the contract check its kind declares.

    Args:
        kind: a registered kind (``distlab plugins`` lists them).
        component: a registered name, a Component, a factory, or a component object.
        params: for a name or Component, a mapping of parameter overrides or a parameter instance;
            for a factory, the one argument it is called with (None: called with none).
        **options: passed to the kind's check (each check documents its own, e.g. the seeds).

    Raises:
        AssertionError: from the check, naming the broken part of the contract.
        PluginError: the kind declares no check, or its check cannot be imported.
        UnknownComponentError: no kind is registered under ``kind`` (it suggests the nearest).

    Examples:
        >>> check_component("my_kind", "my_component", {"size": 3})  # doctest: +SKIP
    """
    from distlab.component import load_object
    from distlab.errors import PluginError
    from distlab.host import get_registry

    declared = get_registry().kind(kind)
    if declared.check is None:
        raise PluginError(
            f"kind {kind!r} declares no contract check (its Kind has check=None), so check_component cannot "
            f"run one; declare Kind({kind!r}, ..., check=\"module:function\") in the study that owns it, or "
            "test the component with your own assertions"
        )
    check = load_object(declared.check, f"the contract check of kind {kind!r}")
    check(component, params, **options)


def make_factory(kind: str, component: Any, params: Any = None, *, method: str) -> Callable[[], Any]:
    """A function that makes a fresh component of ``kind`` each time it is called.

    Checks call it once per trial, so that a component keeping state between trials cannot hide
    it; a component object passed in is reused as it is (it must then keep no state).

    Args:
        kind: the kind's name (a registered name is resolved among its components).
        component: a registered name, a :class:`~distlab.component.Component`, a factory (a class
            or function), or a component object (anything with a ``method`` that is not a class).
        params: for a name or Component, a mapping of parameter overrides (built and checked like
            a config) or a parameter instance; for a factory, the one argument it is called with
            (None: called with none).
        method: a method every component of the kind has; it tells a made component from a
            factory, and what the factory returns is checked for it.

    Returns:
        The function; it raises :class:`AssertionError` when what the factory returned has no
        ``method``.

    Raises:
        TypeError: ``component`` is none of the four forms.
        UnknownComponentError: a name that no component of ``kind`` is registered under.

    Examples:
        >>> class Echo:
        ...     def __init__(self, params): self.params = params
        ...     def say(self): return self.params
        >>> make = make_factory("echo", Echo, "hi", method="say")
        >>> make().say(), make() is make()
        ('hi', False)
    """
    from distlab.component import Component

    if isinstance(component, str):
        from distlab.host import get_registry

        component = get_registry().component(kind, component)
    make: Callable[[], Any]
    if isinstance(component, Component):
        comp = component
        if params is None or isinstance(params, Mapping):
            from distlab.params import build

            built: Any = build(comp.params, params, f"{kind}.")
        else:
            built = params
        make = lambda: comp.create(built)  # noqa: E731 - one of three one-line makers
    elif hasattr(component, method) and not isinstance(component, type):
        made = component
        make = lambda: made  # noqa: E731
    elif callable(component):
        factory = component
        make = (lambda: factory()) if params is None else (lambda: factory(params))
    else:
        raise TypeError(
            f"a {kind} to check is a registered name, a Component, a factory or an object with {method}(); "
            f"got {component!r}"
        )

    def fresh() -> Any:
        obj = make()
        if not callable(getattr(obj, method, None)):
            raise AssertionError(f"the {kind} factory returned {obj!r}, which has no {method}() method")
        return obj

    return fresh
