"""The two nouns of the plugin contract: a kind (a contract) and a component (one implementation)."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from distlab.errors import PluginError

__all__ = ["Component", "Kind", "load_object"]


@dataclasses.dataclass(frozen=True)
class Kind:
    """A plugin contract: what one component of the kind decides in its study's world.

    A kind belongs to every study that lists it (two studies may share one, e.g. one wire format
    contract for two studies of remote calls); the registry knows which (:meth:`distlab.registry.Registry.studies_of`).

    Two optional references, ``"module:attr"`` strings imported only when used, serve plugin
    authors: the kind's contract check (:func:`distlab.testing.check_component` runs it) and the
    template ``distlab new plugin NAME --kind KIND`` writes (:mod:`distlab.scaffold`). A kind
    without them still works everywhere else; its plugins get a skeleton from the Protocol.

    Attributes:
        name: the kind's name, also its Hydra config group (``KIND=NAME``).
        protocol: the ``typing.Protocol`` every component of the kind satisfies.
        doc: one line saying what a component of this kind decides.
        check: ``"module:function"`` of the kind's contract check, or None. It is called as
            ``check(component, params=None, **options)``, where ``component`` is a registered name,
            a :class:`Component`, a factory or a made component
            (:func:`distlab.testing.make_factory` turns any of them into fresh components), and
            returns nothing when the contract holds or raises :class:`AssertionError` saying what
            broke. Keep its module apart from the study's declaration, so that declaring the kind
            imports no test library.
        template: ``"module:NAME"`` of a :class:`distlab.scaffold.KindTemplate` (a working
            component to edit, and its test), or None for a skeleton built from ``protocol``.
    """

    name: str
    protocol: type
    doc: str
    check: str | None = None
    template: str | None = None


@dataclasses.dataclass(frozen=True)
class Component:
    """One registered implementation of a kind.

    Attributes:
        kind: the kind's name.
        name: the component's name, unique within its kind.
        params: the frozen dataclass of its parameters (its config).
        factory: ``"module:attr"`` (imported only when first used) or a callable; called with a
            ``params`` instance, it returns an object satisfying the kind's protocol.
        doc: one line saying what it does.
        plugin: the plugin (entry-point name or module) that registered it.
        distribution: the Python distribution that ships the plugin.
        version: that distribution's version; part of every case id the component is used in.
        module: the import name of the plugin module that registered it ("" if unknown).
    """

    kind: str
    name: str
    params: type
    factory: str | Callable[[Any], Any]
    doc: str
    plugin: str
    distribution: str
    version: str
    module: str = ""

    def code(self) -> dict[str, Any]:
        """The identity of the component's code: the hash of the files of the plugin's package (and of
        the factory's, if it lives in another), with git commit and dirty flag where there is a checkout.

        Part of every case id the component is used in, so an edited plugin is a new case: never
        skipped as already run, never pooled with results of its old code.
        """
        from distlab.provenance import module_code

        modules = sorted({m.split(".")[0] for m in (self.module, _factory_module(self.factory)) if m})
        codes = [module_code(m) for m in modules]
        if len(codes) == 1:
            return codes[0]
        import hashlib

        joined = "".join(str(c["sha256"]) for c in codes)
        return {"module": ",".join(modules), "sha256": hashlib.sha256(joined.encode()).hexdigest() if codes else None,
                "git_commit": None, "git_dirty": None, "parts": codes}

    def create(self, params: Any) -> Any:
        """Make the component from its parameters, importing its factory on first use."""
        factory = load_object(self.factory, f"{self.kind} '{self.name}' (plugin {self.plugin})")
        return factory(params)


def _factory_module(factory: str | Callable[[Any], Any]) -> str:
    if isinstance(factory, str):
        return factory.partition(":")[0]
    module = getattr(factory, "__module__", None)
    return module if isinstance(module, str) and module != "__main__" else ""


def load_object(ref: str | Callable[..., Any], owner: str) -> Any:
    """Resolve a ``"module:attr"`` reference (or return a callable as it is).

    Raises:
        PluginError: naming ``owner`` when the module or attribute cannot be loaded.
    """
    if not isinstance(ref, str):
        return ref
    module_name, _, attr = ref.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split(".") if attr else []:
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as err:
        raise PluginError(f"cannot load {ref!r} for {owner}: {err}") from err
    return obj
