"""``distlab new plugin NAME --kind KIND``: write a ready plugin package for one component of a kind.

The package it writes into ``DIR/NAME`` installs with ``pip install -e NAME`` and passes its own
tests (``pytest NAME``)::

    NAME/
      pyproject.toml        setuptools; depends on distlab; entry point ``distlab`` → ``NAME = "NAME"``;
                            a ``test`` extra with pytest and hypothesis
      README.md             what it is and the three commands to try it
      NAME/__init__.py      registration only: ``@hookimpl def register_components(registrar)``
      NAME/component.py     the parameter dataclass (``param(...)``) and the component
      tests/test_NAME.py    the component through its kind's contract check, and its registration

The component is registered under the plugin's own name, so it never clashes with a registered
one. A kind that declares a template (:attr:`distlab.component.Kind.template`, a
:class:`KindTemplate` in the study's package) gets a component that works (a small decision
procedure to edit) and its test; any other kind gets a skeleton built from the methods of its
Protocol, each raising ``NotImplementedError``, and a test that checks the methods are there.
Every package gets a test of its registration.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import inspect
import keyword
import re
import string
from pathlib import Path
from typing import Any, NoReturn

from distlab.errors import ConfigError, PluginError
from distlab.version import __version__

__all__ = ["KindTemplate", "contract_range", "main", "write_plugin"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclasses.dataclass(frozen=True)
class KindTemplate:
    """The two files a kind's template fills in: a working component and its test.

    Both are :class:`string.Template` texts (``$$`` for a literal ``$``) with three words:
    ``${name}`` (the plugin's import name, also the component's name), ``${cls}`` (its CamelCase
    form: the component is the class ``${cls}``, its parameters the frozen dataclass
    ``${cls}Params``, both in ``${name}/component.py``) and ``${kind}``. The scaffold appends a test
    of the registration to ``test``. Generated code should import distlab only through public
    names (``distlab``, a study's package and its testing module).

    Attributes:
        component: the text of ``${name}/component.py``.
        test: the text of ``tests/test_${name}.py``: the component through the kind's contract check.

    Examples:
        >>> KindTemplate(component="class ${cls}: ...", test="def test_it() -> None: ...")  # doctest: +SKIP
    """

    component: str
    test: str


class _Parser(argparse.ArgumentParser):
    """Usage errors become ConfigError (exit status 2 from the CLI, with the usage in the message)."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message}\n{self.format_usage().strip()}")


def main(args: list[str]) -> int:
    """The ``distlab new`` verb.

    Args:
        args: the arguments after ``new``, e.g. ``["plugin", "myplug", "--kind", "KIND"]``.

    Returns:
        0 once the package is written (its path and next steps are printed).

    Raises:
        ConfigError: a bad name, an unknown kind, or a target folder that exists and is not empty.
    """
    parser = _Parser(prog="distlab new", description="Write a new plugin package, ready to install and test.")
    sub = parser.add_subparsers(dest="what", metavar="plugin", required=True, parser_class=_Parser)
    plugin = sub.add_parser("plugin", help="a plugin package with one component of a kind",
                            description="Write DIR/NAME: a plugin package with one component of KIND.")
    plugin.add_argument("name", metavar="NAME", help="the plugin's import name and its component's name (snake_case)")
    plugin.add_argument("--kind", required=True, help="the kind of its component (distlab plugins lists the kinds)")
    plugin.add_argument("--dir", default=".", help="the folder to write NAME/ into (default: the current one)")
    opts = parser.parse_args(args)
    path = write_plugin(opts.name, opts.kind, Path(opts.dir))
    print(f"wrote {path}")
    print(f"next: pip install -e '{path}[test]' && pytest {path} && distlab plugins")
    return 0


def write_plugin(name: str, kind: str, directory: Path) -> Path:
    """Write the plugin package ``directory/name`` with one component of ``kind``.

    Args:
        name: the plugin's import name, distribution name and component name.
        kind: a registered kind.
        directory: where the package folder goes.

    Returns:
        The package folder.

    Raises:
        ConfigError: naming what is wrong and what is allowed.
        PluginError: the kind's declared template cannot be loaded or is not a :class:`KindTemplate`.
    """
    from distlab.host import get_registry

    registry = get_registry()
    kinds = [k.name for k in registry.kinds()]
    if kind not in kinds:
        raise ConfigError(f"unknown kind {kind!r} for --kind; the registered kinds are: {', '.join(kinds)}")
    _check_name(name, kind, registry)
    target = directory / name
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target} already exists and is not an empty folder; choose another --dir or NAME")
    words = {"name": name, "cls": "".join(part.capitalize() for part in name.split("_")), "kind": kind,
             "distlab": contract_range(__version__)}
    declared = registry.kind(kind)
    template = _template_of(declared.name, declared.template)
    if template is None:
        words.update(_skeleton(declared.protocol))
        template = KindTemplate(_SKELETON_COMPONENT, _SKELETON_TEST)
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"{name}/__init__.py": _INIT,
        f"{name}/component.py": template.component,
        f"tests/test_{name}.py": template.test + _REGISTRATION_TEST,
    }
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(string.Template(text).substitute(words))
    return target


def _template_of(kind: str, ref: str | None) -> KindTemplate | None:
    """The template a kind declares (its ``"module:NAME"`` reference loaded), or None."""
    from distlab.component import load_object

    if ref is None:
        return None
    template = load_object(ref, f"the template of kind {kind!r}")
    if not isinstance(template, KindTemplate):
        raise PluginError(f"the template of kind {kind!r} ({ref}) is not a distlab.scaffold.KindTemplate: "
                          f"{template!r}")
    return template


def _check_name(name: str, kind: str, registry: Any) -> None:
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"invalid plugin NAME {name!r}: use a snake_case Python identifier (lowercase letters, digits and "
            "underscores, starting with a letter, not a keyword), e.g. my_plugin"
        )
    try:
        taken = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        taken = True
    if taken:
        raise ConfigError(
            f"plugin NAME {name!r} clashes with the importable module {name!r}; a plugin package needs a "
            f"name of its own, e.g. {name}_plugin or my_{name}"
        )
    if registry.find(kind, name) is not None:
        raise ConfigError(f"plugin NAME {name!r} is already a registered {kind}; choose another name")


def _skeleton(protocol: type) -> dict[str, str]:
    """Methods (and a test of their presence) from a kind's Protocol: its public functions, with their
    argument names; the Protocol's docstring says what each must do."""
    methods, names = [], []
    for attr, value in vars(protocol).items():
        if attr.startswith("_") or not inspect.isfunction(value):
            continue
        params = list(inspect.signature(value).parameters)[1:]
        args = "".join(f", {p}: Any" for p in params)
        doc = (inspect.getdoc(value) or "See the kind's contract.").splitlines()[0]
        methods.append(f"    def {attr}(self{args}) -> Any:\n        \"\"\"{doc}\"\"\"\n"
                       f"        raise NotImplementedError(\"{attr}: write the decision procedure here\")\n")
        names.append(attr)
    return {
        "protocol": f"{protocol.__module__}.{protocol.__qualname__}",
        "contract": (inspect.getdoc(protocol) or "").replace("\\", "\\\\").replace('"""', "'''").replace("$", "$$"),
        "methods": "\n".join(methods) or "    pass\n",
        "method_names": repr(tuple(names)),
    }

def contract_range(version: str) -> str:
    """The releases of distlab a new plugin may declare it works with, from the running ``version``.

    A plugin is written against distlab's plugin contract (kinds, protocols, hooks). Under semantic
    versioning (semver.org, items 4 and 8) a 0.y release may change it in any minor release, and from
    1.0 only a major release does; so ``0.1.0`` gives ``>=0.1,<0.2`` and ``1.4.2`` gives ``>=1.4,<2``.

    Examples:
        >>> contract_range("0.1.0")
        '>=0.1,<0.2'
        >>> contract_range("2.3.1")
        '>=2.3,<3'
    """
    from packaging.version import Version

    parsed = Version(version)
    major, minor = parsed.major, parsed.minor
    return f">={major}.{minor},<{major}.{minor + 1}" if major == 0 else f">={major}.{minor},<{major + 1}"


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]  # 64: editable installs (PEP 660)
build-backend = "setuptools.build_meta"

[project]
name = "${name}"
version = "0.1.0"
description = "A distlab plugin: the ${kind} ${name}"
readme = "README.md"
requires-python = ">=3.11"
# The releases of distlab whose plugin contract this plugin was written against.
dependencies = ["distlab${distlab}"]

[project.optional-dependencies]
test = ["pytest>=8", "hypothesis>=6.100"]

# distlab finds plugins through this entry-point group; the value is the module holding the hook.
[project.entry-points.distlab]
${name} = "${name}"

[tool.setuptools]
packages = ["${name}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

_README = """\
# ${name}

A [distlab](https://example.invalid/distlab) plugin with one ${kind}, `${name}`.

```bash
pip install -e '.[test]'      # installs it; distlab finds it through the `distlab` entry point
pytest                        # its own tests: the ${kind}'s contract, and its registration
distlab plugins               # lists ${kind} ${name} and its parameters
```

The parameters and the ${kind} are in `${name}/component.py`; `${name}/__init__.py` only registers
them (keep it cheap: distlab imports it at start-up, the component only when a case uses it).
"""

_INIT = '''\
"""${name}: a distlab plugin with one ${kind}, ``${name}``.

Registration only: distlab imports this module at start-up, and imports the component's module only
when a case uses it (the factory is a ``"module:attr"`` string).
"""

from __future__ import annotations

from distlab import Registrar, hookimpl

from ${name}.component import ${cls}Params

__all__ = ["register_components"]


@hookimpl
def register_components(registrar: Registrar) -> None:
    """Register the ${kind} ``${name}``."""
    registrar.register("${kind}", "${name}", ${cls}Params, "${name}.component:${cls}",
                      doc="edit this line: what ${name} does, in one line")
'''

# Appended to every package's test file; it imports what it needs, so that any template's test fits.
_REGISTRATION_TEST = '''

def test_registration_names_the_component() -> None:
    import importlib

    import ${name}
    from ${name}.component import ${cls}, ${cls}Params

    calls: list[tuple[str, str, type, str]] = []

    class Recorder:
        def register(self, kind: str, name: str, params: type, factory: str, *, doc: str = "") -> None:
            calls.append((kind, name, params, factory))

    ${name}.register_components(Recorder())  # type: ignore[arg-type]
    assert [(k, n, p) for k, n, p, _ in calls] == [("${kind}", "${name}", ${cls}Params)]
    module, _, attr = calls[0][3].partition(":")
    assert getattr(importlib.import_module(module), attr) is ${cls}
'''

_SKELETON_COMPONENT = '''\
"""The ${kind} ``${name}``: a skeleton to fill in. The kind's contract (``${protocol}``):

${contract}
"""

from __future__ import annotations

import dataclasses
from typing import Any

from distlab import param


@dataclasses.dataclass(frozen=True)
class ${cls}Params:
    """The parameters of ${name} (every field needs a default)."""

    example: int = param(1, "an example parameter: rename it, or remove it", ge=0)


class ${cls}:
    """The component: made afresh from its parameters."""

    def __init__(self, params: ${cls}Params) -> None:
        self.params = params

${methods}'''

_SKELETON_TEST = '''\
"""${name} has every method of its kind's contract, and registers itself."""

from __future__ import annotations

from ${name}.component import ${cls}, ${cls}Params


def test_has_the_contract_methods() -> None:
    component = ${cls}(${cls}Params())
    for method in ${method_names}:
        assert callable(getattr(component, method, None)), method
'''

