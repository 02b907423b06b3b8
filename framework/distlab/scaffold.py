"""``distlab new plugin NAME --kind KIND``: write a ready plugin package for one component of a kind.

The package it writes into ``DIR/NAME`` installs with ``pip install -e NAME`` and passes its own
tests (``pytest NAME``)::

    NAME/
      pyproject.toml        setuptools; depends on distlab; entry point ``distlab`` → ``NAME = "NAME"``;
                            a ``test`` extra with pytest and hypothesis
      README.md             what it is and the three commands to try it
      NAME/__init__.py      registration only: ``@hookimpl def register_components(registrar)``
      NAME/component.py     the parameter dataclass (``param(...)``) and the component
      tests/test_NAME.py    the component through distlab.testing's contract check, and its registration

The component is registered under the plugin's own name, so it never clashes with a built-in one.
Kinds with a template write a component that works (a small decision procedure to edit); any other
registered kind gets a skeleton built from the methods of its Protocol, each raising
``NotImplementedError``, and a test that checks the methods are there. The templates are the string
constants below, so that nothing but this module ships.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import keyword
import re
import string
from pathlib import Path
from typing import Any, NoReturn

from distlab.errors import ConfigError

__all__ = ["TEMPLATES", "main", "write_plugin"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Parser(argparse.ArgumentParser):
    """Usage errors become ConfigError (exit status 2 from the CLI, with the usage in the message)."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message}\n{self.format_usage().strip()}")


def main(args: list[str]) -> int:
    """The ``distlab new`` verb.

    Args:
        args: the arguments after ``new``, e.g. ``["plugin", "myplug", "--kind", "workload"]``.

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
    words = {"name": name, "cls": "".join(part.capitalize() for part in name.split("_")), "kind": kind}
    template = TEMPLATES.get(kind)
    if template is None:
        words.update(_skeleton(registry.kind(kind).protocol))
        component, test = _SKELETON_COMPONENT, _SKELETON_TEST
    else:
        component, test = template
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"{name}/__init__.py": _INIT,
        f"{name}/component.py": component,
        f"tests/test_{name}.py": test,
    }
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(string.Template(text).substitute(words))
    return target


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
dependencies = ["distlab"]

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
pytest                        # the ${kind} through distlab.testing's contract check
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

_REGISTRATION_TEST = '''

def test_registration_names_the_component() -> None:
    import importlib

    import ${name}

    calls: list[tuple[Any, ...]] = []

    class Recorder:
        def register(self, kind: str, name: str, params: type, factory: str, *, doc: str = "") -> None:
            calls.append((kind, name, params, factory))

    ${name}.register_components(Recorder())  # type: ignore[arg-type]
    assert [(k, n, p) for k, n, p, _ in calls] == [("${kind}", "${name}", ${cls}Params)]
    module, _, attr = calls[0][3].partition(":")
    assert getattr(importlib.import_module(module), attr) is ${cls}
'''

_STRATEGY = '''\
"""The strategy ``${name}``: pre-copy until few pages are dirty (or a round bound), then stop and copy.

Edit :meth:`${cls}.migrate`: it decides through the session's verbs (``precopy_round``,
``stop_and_copy``, ``postcopy``, ``set_throttle``, ``configure``) and must end every migration with
exactly one of ``stop_and_copy()`` or ``postcopy()``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from distlab import param

if TYPE_CHECKING:
    from distlab.migration import Session


@dataclasses.dataclass(frozen=True)
class ${cls}Params:
    """Pre-copy until at most ``stop_below_pages`` are dirty, at most ``max_rounds`` rounds."""

    max_rounds: int = param(10, "pre-copy rounds before giving up and stopping anyway", ge=1)
    stop_below_pages: int = param(64, "stop and copy once at most this many pages are dirty", ge=0)


class ${cls}:
    """The strategy: made afresh for every trial from its parameters."""

    def __init__(self, params: ${cls}Params) -> None:
        self.params = params

    def migrate(self, session: Session) -> None:
        """Drive one migration."""
        for _ in range(self.params.max_rounds):
            done = session.precopy_round()
            if done.pages_dirty <= self.params.stop_below_pages:
                session.stop_and_copy(converged=True)
                return
        session.stop_and_copy(converged=False)  # the bound hit: say so in the results
'''

_STRATEGY_TEST = '''\
"""${name} keeps the strategy contract (distlab.testing) and registers itself."""

from __future__ import annotations

from typing import Any

from distlab.testing import check_strategy

from ${name}.component import ${cls}, ${cls}Params


def test_contract() -> None:
    check_strategy(${cls}, ${cls}Params())
    check_strategy(${cls}, ${cls}Params(max_rounds=1, stop_below_pages=0))
''' + _REGISTRATION_TEST

_WORKLOAD = '''\
"""The workload ``${name}``: uniform writes to a window of memory at a seeded offset.

Edit :meth:`${cls}.run`: it issues the accesses of guest time ``[t0, t1)`` through the guest's verbs
(``uniform``, ``hotset``, ``zipf``, ``sequential``, ``accesses``), which place the k-th access of a
rate-r stream at guest time k/r, so the result does not depend on how time is cut into intervals.
Draw set-up choices from ``guest.rng`` in ``start``: then the same seed gives the same accesses.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from distlab import param

if TYPE_CHECKING:
    from distlab.migration import Guest


@dataclasses.dataclass(frozen=True)
class ${cls}Params:
    """Uniform writes to a window of ``window_fraction`` of memory."""

    write_rate_pages_s: float = param(5000.0, "page writes per second of guest time", gt=0.0)
    window_fraction: float = param(0.25, "share of memory the writes fall in", gt=0.0, le=1.0)


class ${cls}:
    """The workload: made afresh for every trial from its parameters."""

    def __init__(self, params: ${cls}Params) -> None:
        self.params = params
        self.lo = 0
        self.span = 1

    def start(self, guest: Guest) -> None:
        """Place the window (once per trial, from the trial's seed)."""
        self.span = max(1, round(self.params.window_fraction * guest.pages))
        self.lo = int(guest.rng.integers(0, guest.pages - self.span + 1))

    def run(self, guest: Guest, t0: float, t1: float) -> None:
        """Issue the writes of guest time [t0, t1)."""
        guest.uniform(self.params.write_rate_pages_s, t0, t1, self.lo, self.span)
'''

_WORKLOAD_TEST = '''\
"""${name} keeps the workload contract (distlab.testing) and registers itself."""

from __future__ import annotations

from typing import Any

from distlab.testing import check_workload

from ${name}.component import ${cls}, ${cls}Params


def test_contract() -> None:
    check_workload(${cls}, ${cls}Params())
    check_workload(${cls}, ${cls}Params(window_fraction=1.0, write_rate_pages_s=50.0))
''' + _REGISTRATION_TEST

_SERIALIZER = '''\
"""The serializer ``${name}``: a framed format, a 4-byte length, the body, and optionally a CRC-32.

The body is written by distlab's trivial serializer (canonical JSON text of the value); replace
:meth:`${cls}._body` and :meth:`${cls}._value` with your own layout of the wire types. The
contract (``distlab.rpc.Serializer``): ``decode(encode(v, t), t)`` equals ``v``, and on any input
that is not exactly one encoding (truncated, mutated, with trailing bytes) ``decode`` raises only
``DecodeError`` with the byte offset.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any

from distlab import param
from distlab.rpc import DecodeError, TrivialSerializer, WireType


@dataclasses.dataclass(frozen=True)
class ${cls}Params:
    """A length-framed body, optionally followed by its CRC-32."""

    checksum: bool = param(True, "append a CRC-32 of the body, checked when decoding")


class ${cls}:
    """The serializer: made from its parameters; it keeps no state between calls."""

    schemaless = False

    def __init__(self, params: ${cls}Params) -> None:
        self.params = params
        self._inner = TrivialSerializer()

    def _body(self, value: Any, type: WireType) -> bytes:
        return self._inner.encode(value, type)

    def _value(self, body: bytes, type: WireType) -> Any:
        return self._inner.decode(body, type)

    def encode(self, value: Any, type: WireType) -> bytes:
        """The bytes of ``value`` as a ``type``."""
        body = self._body(value, type)
        crc = zlib.crc32(body).to_bytes(4, "big") if self.params.checksum else b""
        return len(body).to_bytes(4, "big") + body + crc

    def decode_prefix(self, data: bytes, type: WireType) -> tuple[Any, int]:
        """The value at the start of ``data``, and the offset where its encoding ends."""
        if len(data) < 4:
            raise DecodeError(len(data), "truncated: no 4-byte length")
        n = int.from_bytes(data[:4], "big")
        end = 4 + n + (4 if self.params.checksum else 0)
        if len(data) < end:  # checked before anything of that size is made
            raise DecodeError(len(data), f"truncated: the frame needs {end} bytes")
        body = data[4:4 + n]
        if self.params.checksum and zlib.crc32(body).to_bytes(4, "big") != data[4 + n:end]:
            raise DecodeError(4 + n, "CRC-32 mismatch")
        try:
            return self._value(body, type), end
        except DecodeError as err:
            raise DecodeError(4 + err.offset, str(err)) from None

    def decode(self, data: bytes, type: WireType) -> Any:
        """The value of ``type`` that ``data`` encodes (all of it)."""
        value, end = self.decode_prefix(data, type)
        if end != len(data):
            raise DecodeError(end, f"{len(data) - end} trailing bytes")
        return value
'''

_SERIALIZER_TEST = '''\
"""${name} keeps the serializer contract (distlab.testing) and registers itself."""

from __future__ import annotations

from typing import Any

from distlab.testing import check_serializer

from ${name}.component import ${cls}, ${cls}Params


def test_contract() -> None:
    check_serializer(${cls}, ${cls}Params(), max_examples=10)
    check_serializer(${cls}, ${cls}Params(checksum=False), max_examples=5)
''' + _REGISTRATION_TEST

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

from typing import Any

from ${name}.component import ${cls}, ${cls}Params


def test_has_the_contract_methods() -> None:
    component = ${cls}(${cls}Params())
    for method in ${method_names}:
        assert callable(getattr(component, method, None)), method
''' + _REGISTRATION_TEST

TEMPLATES: dict[str, tuple[str, str]] = {
    "strategy": (_STRATEGY, _STRATEGY_TEST),
    "workload": (_WORKLOAD, _WORKLOAD_TEST),
    "serializer": (_SERIALIZER, _SERIALIZER_TEST),
}
"""The component and test templates of the kinds with a working example; other kinds get a skeleton."""
