"""Hydra's and OmegaConf's errors, said in distlab's words: what was wrong and what is allowed.

Hydra's own messages name OmegaConf's node classes (``object_type=PrecopyParams``) and advise
``+key=value``, which in distlab only moves the error elsewhere: a component or a world has exactly
the parameters its dataclass declares. :func:`explain` reads the structured fields OmegaConf attaches
to its errors (the full key, the node's dataclass, the parent node) and traces the dataclass back
through the registry to the component or study it belongs to, whose parameters it can then list.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from distlab.errors import nearest
from distlab.params import ParamInfo, describe

if TYPE_CHECKING:
    from distlab.component import Component
    from distlab.registry import Registry
    from distlab.study import Study

__all__ = ["explain"]

_RUN_KEYS = ("seed", "repeats", "force", "retry_failed", "trial_timeout_s", "provenance")
_GRAMMAR = "Hydra's override grammar: https://hydra.cc/docs/advanced/override_grammar/basic/"
_OMEGACONF_TYPES = {"Integer": "an integer", "Float": "a number", "String": "a string", "Boolean": "a boolean"}


def _example() -> str:
    """"Overrides are key=value, e.g. ..." with an installed study's names."""
    from distlab.host import get_registry
    from distlab.hydra.examples import override_example

    return f"Overrides are key=value, e.g. {override_example(get_registry())}"


def explain(err: Exception, registry: Registry, overrides: Sequence[str] = ()) -> str:
    """A one-paragraph message for a Hydra or OmegaConf error met while composing a case.

    It names the key, the value and what is allowed, and lists the parameters that do exist where a
    key does not; it never advises ``+key`` (a parameter a dataclass does not declare cannot run).

    Args:
        err: what Hydra or OmegaConf raised.
        registry: the components, whose parameters the message may list.
        overrides: the command line's overrides, if known; they tell which study a case uses when
            the error itself does not.

    Examples:
        >>> from distlab.host import get_registry
        >>> from hydra.errors import OverrideParseException
        >>> explain(OverrideParseException("a=[1", "no viable alternative at input '[1'"), get_registry())[:41]
        "Cannot read the override 'a=[1': a '[' is"
    """
    chain = _chain(err)
    try:
        said = _explain(err, chain, registry, overrides)
    except Exception:  # a plugin's odd dataclass must not turn a config error into a traceback
        said = None
    return said or _raw(chain)


def _explain(err: Exception, chain: list[BaseException], registry: Registry, overrides: Sequence[str]) -> str | None:
    from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
    from omegaconf.errors import OmegaConfBaseException

    said: str | None = None
    if isinstance(err, OverrideParseException):
        said = _parse_error(err)
    elif isinstance(err, MissingConfigException):
        said = _missing_config(err, registry)
    else:
        cause = next((c for c in chain if isinstance(c, OmegaConfBaseException) and _get(c, "full_key")), None)
        override = next((o for c in chain if isinstance(c, ConfigCompositionException)
                         for o in [_override_of(str(c))] if o), "")
        if cause is not None:
            said = _omegaconf_error(cause, override, registry)
        elif isinstance(err, ConfigCompositionException):
            said = _defaults_error(str(err), registry, overrides)
        elif "Can only enumerate CHOICE and RANGE sweeps" in str(err):
            said = ("interval(...) is a continuous range, which a sweep cannot enumerate (Hydra's basic "
                    "sweeper runs listed values only); list the values instead, e.g. -m 'key=1,2,4', or use "
                    "range(start, stop, step).")
        elif "ConfigLoader is not set" in str(err):
            from distlab.hydra.examples import sweep_example

            said = ("glob(...) could not be expanded while checking the overrides; list the names instead, "
                    f"e.g. -m '{sweep_example(registry)}'.")
    return said


# -- reading the errors ---------------------------------------------------------------------------


def _chain(err: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None and len(out) < 5:
        out.append(cause)
        cause = cause.__cause__
    return out


def _get(err: BaseException, name: str) -> Any:
    # OmegaConf fills these on the errors it formats; others lack them.
    return getattr(err, name, None)


def _first_line(err: BaseException) -> str:
    msg = _get(err, "msg") or str(err)
    return str(msg).strip().splitlines()[0] if str(msg).strip() else type(err).__name__


def _raw(chain: list[BaseException]) -> str:
    """Hydra's words, without OmegaConf's internals and without the '+key' advice."""
    parts: list[str] = []
    for cause in chain[:3]:
        lines = [ln.strip() for ln in str(cause).splitlines()]
        kept = [ln for ln in lines if ln and not ln.startswith(("full_key:", "object_type=", "reference_type=",
                                                               "To append to your", "Config search path",
                                                               "provider=", "See https://hydra.cc"))
                and "HYDRA_FULL_ERROR" not in ln]
        text = " ".join(kept)
        if text and text not in parts:
            parts.append(text)
    return ": ".join(parts) or type(chain[0]).__name__


def _override_of(message: str) -> str:
    """The override a composition error is about, as the user wrote it (also without '+')."""
    m = re.search(r"^Error merging override (.+)$", message, re.MULTILINE)
    if m:
        return m.group(1).strip()
    m = re.search(r"^To append to your (?:config|default list) use \+(.+)$", message, re.MULTILINE)
    if m:
        return m.group(1).strip()
    m = re.search(r"Could not override '([^']+)'", message)
    return m.group(1) if m else ""


def _split(override: str) -> tuple[str, str | None]:
    key, eq, value = override.lstrip("~+").partition("=")
    return key, (value if eq else None)


def _show(value: str | None) -> str:
    if value is None or value.strip() == "null":
        return "null"
    if value == "":
        return "an empty value"
    return f"'{value}'"


def _and(words: Sequence[str], conjunction: str = "and") -> str:
    return ", ".join(words[:-1]) + f" {conjunction} {words[-1]}" if len(words) > 1 else "".join(words)


# -- where a key lives ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Node:
    """A node of the config that a distlab dataclass declares: a component's parameters or a world.

    Attributes:
        cls: the dataclass of the node.
        path: its full key: ``"KIND"``, ``"world"`` or a nested section such as ``"world.SECTION"``.
        component: the component whose parameters it is (or holds), if any.
        study: the study whose world it is (or holds), if any.
    """

    cls: type
    path: str
    component: Component | None = None
    study: Study | None = None

    @property
    def label(self) -> str:
        """The node in words: the component's name, or ``the STUDY study's world.SECTION``."""
        if self.component is not None:
            inner = self.path.partition(".")[2]
            return self.component.name + (f" ({inner})" if inner else "")
        assert self.study is not None
        return f"the {self.study.name} study's {self.path}"

    def keys(self) -> list[str]:
        """Its parameters: full keys in a world, names relative to the component in a component."""
        if self.component is not None:
            inner = self.path.partition(".")[2]
            return [i.key for i in describe(self.cls, f"{inner}." if inner else "")]
        return [i.key for i in describe(self.cls, self.path + ".")]


def _dataclass_of(tp: Any) -> type | None:
    """The dataclass a field type names, also through ``Optional``."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    base = args[0] if typing.get_origin(tp) is not None and len(args) == 1 else tp
    return base if isinstance(base, type) and dataclasses.is_dataclass(base) else None


def _walk(cls: type, names: Sequence[str]) -> type | None:
    """The dataclass reached from ``cls`` through the fields ``names`` (None if there is none)."""
    for name in names:
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # an unresolvable annotation: nothing to say about it
            return None
        if name not in hints:
            return None
        nested = _dataclass_of(hints[name])
        if nested is None:
            return None
        cls = nested
    return cls


def _roots(registry: Registry, group: str) -> list[_Node]:
    """Every dataclass that may sit at the top-level key ``group``: each study's world, or each component."""
    if group == "world":
        return [_Node(s.world, "world", study=s) for s in registry.studies()]
    if group in {k.name for k in registry.kinds()}:
        return [_Node(c.params, group, component=c) for c in registry.components(group)]
    return []


def _locate(registry: Registry, path: str, cls: Any) -> _Node | None:
    """The node at ``path`` (e.g. ``"world.vm"``) whose dataclass is ``cls``."""
    group, *inner = path.split(".")
    for root in _roots(registry, group):
        found = _walk(root.cls, inner)
        if found is not None and found is cls:
            return dataclasses.replace(root, cls=found, path=path)
    return None


def _param(cls: type, name: str) -> ParamInfo | None:
    return next((i for i in describe(cls) if i.key == name), None)


def _is_group(cls: type, name: str) -> bool:
    return any(i.key.startswith(name + ".") for i in describe(cls))


def _has(registry: Registry, key: str) -> list[_Node]:
    """The roots (components of a kind, or studies' worlds) that declare the full ``key``."""
    group, _, inner = key.partition(".")
    return [root for root in _roots(registry, group)
            if inner and (_param(root.cls, inner) is not None or _is_group(root.cls, inner))]


# -- OmegaConf's errors ---------------------------------------------------------------------------


def _omegaconf_error(cause: BaseException, override: str, registry: Registry) -> str | None:
    from omegaconf.errors import (
        ConfigAttributeError,
        ConfigKeyError,
        ConfigTypeError,
        InterpolationResolutionError,
        ValidationError,
    )

    full_key = str(_get(cause, "full_key"))
    path, _, name = full_key.rpartition(".")
    wanted, value = _split(override)
    if not wanted.startswith(full_key):
        wanted, value = full_key, None
    node = _locate(registry, path, _get(cause, "object_type")) if path else None
    if isinstance(cause, InterpolationResolutionError):
        return _interpolation(cause, full_key, node, name)
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
        if not path:
            return _unknown_top_level(cause, wanted, registry)
        if node is not None:
            return _unknown_param(node, name, wanted, registry)
        return _unknown_elsewhere(cause, full_key, wanted, name)
    if isinstance(cause, ConfigTypeError) and "does not support deletion" in str(cause):
        where = f"; {node.label} always has it" if node is not None else ""
        change = (f"set its parameters with {full_key}.KEY=VALUE" if node is not None and _is_group(node.cls, name)
                  else f"give it another value with {full_key}=VALUE")
        return (f"Cannot delete '{full_key}' (~{full_key}): a parameter cannot be removed{where}. Leave the "
                f"override out to keep its default, or {change}.")
    if isinstance(cause, ValidationError):
        return _invalid_value(cause, full_key, wanted, value, node, name)
    return None


def _allowed(node: _Node | None, name: str) -> tuple[str, str]:
    """What a parameter allows, in words, and whose parameter it is, with its doc."""
    info = _param(node.cls, name) if node is not None else None
    if node is None or info is None:
        return "", ""
    if node.component is not None:
        whose = f"{node.component.name}'s {node.path.partition('.')[2] + '.' if '.' in node.path else ''}{name}"
    else:
        whose = f"the {node.study.name if node.study else ''} study's {node.path}.{name}"
    allowed = info.allowed.replace("a boolean", "true or false") if info.type == "boolean" else info.allowed
    return allowed, whose + (f": {info.doc}" if info.doc else "")


def _invalid_value(cause: BaseException, full_key: str, wanted: str, value: str | None, node: _Node | None,
                   name: str) -> str:
    msg = _first_line(cause)
    if value is None:
        raw = _get(cause, "value")
        value = None if raw is None else str(raw)
    if node is not None and wanted != full_key and wanted.startswith(full_key + "."):
        # world.vm.memory_mib.x=5: OmegaConf complains about converting {} to an integer.
        allowed, whose = _allowed(node, name)
        return (f"Unknown key '{wanted}': '{full_key}' is a single value, not a group of keys, so it has no key "
                f"'{wanted[len(full_key) + 1:]}'. Allowed for '{full_key}': {allowed} ({whose}).")
    if node is not None and _is_group(node.cls, name):
        keys = [i.key for i in describe(node.cls) if i.key.startswith(name + ".")]
        prefix = full_key.rsplit(".", 1)[0] + "."
        return (f"Invalid value for '{full_key}': {_show(value)}. '{full_key}' is a group of parameters, not one "
                f"value; set one of them, e.g. {prefix}{keys[0]}=VALUE. Its parameters are: "
                f"{', '.join(prefix + k for k in keys)}.")
    allowed, whose = _allowed(node, name)
    info = _param(node.cls, name) if node is not None else None
    if "is not Optional" in msg or (value == "null" and info is not None):
        problem = "null is not allowed"
    elif info is not None:
        problem = f"{_show(value)} is not {'an' if info.type[:1] in 'aeiou' else 'a'} {info.type}"
    else:
        m = re.search(r"converted to (\w+)|not a valid (bool)", msg)
        kind = (_OMEGACONF_TYPES.get(m.group(1) or "Boolean") if m else None)
        problem = f"{_show(value)} is not {kind}" if kind else f"{_show(value)}: {msg}"
        allowed = allowed or (kind or "")
        if kind == "a boolean":
            allowed = "true or false"
    hint = ""
    if value and value.startswith("[") and "," in value:
        hint = (f" To sweep over several values, write them without brackets and add --multirun, e.g. "
                f"-m '{full_key}={value.strip('[]')}'.")
    allowed_text = f" Allowed: {allowed}" + (f" ({whose})." if whose else ".") if allowed else ""
    return f"Invalid value for '{full_key}': {problem}.{allowed_text}{hint}"


def _interpolation(cause: BaseException, full_key: str, node: _Node | None, name: str) -> str:
    allowed, whose = _allowed(node, name)
    allowed_text = f" Allowed: {allowed} ({whose})." if allowed else ""
    return (f"Cannot resolve the value of '{full_key}': {_first_line(cause)}.{allowed_text} A value written "
            "${...} is an OmegaConf interpolation: a reference to another key (${world.vm.memory_mib}) or a "
            "resolver (${oc.env:NAME}).")


def _unknown_param(node: _Node, name: str, wanted: str, registry: Registry) -> str:
    """A key the dataclass of ``node`` does not declare."""
    try:
        hints = typing.get_type_hints(node.cls)
    except Exception:
        hints = {}
    siblings = list(hints)
    guess = nearest(name, siblings)
    rest = wanted[len(node.path) + 1 + len(name):]
    suggestion = ""
    if guess:
        better = f"{node.path}.{guess}{rest}"
        suggestion = better if not rest or _has(registry, better) else f"{node.path}.{guess}"
    did_you_mean = f"; did you mean '{suggestion}'?" if suggestion else ""
    keys = node.keys()
    elsewhere = [r for r in _has(registry, wanted) if r.cls is not _walk_root(node)]
    if node.component is not None:
        kind = node.component.kind
        inner = f"'{name}'" if node.path == kind else f"'{name}' in {node.path.partition('.')[2]}"
        listed = f"its parameters are: {', '.join(keys)}" if keys else "it has no parameters"
        text = f"Unknown key '{wanted}': {node.component.name} has no parameter {inner}{did_you_mean}"
        text += f"; {listed}." if not suggestion else f" Its parameters are: {', '.join(keys)}."
        if elsewhere and not suggestion:
            names = [r.component.name for r in elsewhere if r.component is not None]
            text += (f" {wanted.partition('.')[2]} is a parameter of {_and(names)}: choose "
                     f"{'it' if len(names) == 1 else 'one'} with {kind}={names[0]}"
                     f"{'' if len(names) == 1 else ' (or ' + ', '.join(f'{kind}={n}' for n in names[1:]) + ')'}.")
        return text
    assert node.study is not None
    where = "world parameters" if node.path == "world" else f"parameters in {node.path}"
    text = f"Unknown key '{wanted}': {node.label} has no '{name}'{did_you_mean}"
    text += f"; its {where} are: {', '.join(keys)}." if not suggestion else f" Its {where} are: {', '.join(keys)}."
    if elsewhere and not suggestion:
        studies = [r.study.name for r in elsewhere if r.study is not None]
        text += (f" {wanted} is a world parameter of the {_and(studies)} study: choose it with "
                 f"study={studies[0]}.")
    return text


def _walk_root(node: _Node) -> type | None:
    if node.component is not None:
        return node.component.params
    return node.study.world if node.study is not None else None


def _unknown_top_level(cause: BaseException, wanted: str, registry: Registry) -> str:
    """A key at the top of the config: a kind of another study, or a typo."""
    from omegaconf import DictConfig

    root = _get(cause, "parent_node")
    key = str(_get(cause, "key") or wanted.partition(".")[0])
    present = [str(k) for k in root.keys()] if isinstance(root, DictConfig) else []
    study = root.get("study") if isinstance(root, DictConfig) else None
    kinds = {k.name: k for k in registry.kinds()}
    shown = [k for k in present if k != "hydra"] or ["study", "world", *_RUN_KEYS]
    def owners(kind: str) -> str:
        names = [s.name for s in registry.studies_of(kind)]
        if not names:
            return f"{kind} is a kind no study lists"
        return (f"{kind} is a kind of the {_and(names)} stud{'ies' if len(names) > 1 else 'y'}: "
                f"choose it with {' or '.join(f'study={n}' for n in names)}")

    def own_kinds() -> list[str]:
        return [k.name for s in registry.studies() if s.name == study for k in s.kinds]

    if key in kinds and study and study not in {s.name for s in registry.studies_of(key)}:
        return (f"Unknown key '{wanted}': the {study} study has no kind '{key}' ({owners(key)}). The {study} study's kinds: {', '.join(own_kinds()) or '(none)'}; "
                f"its top-level keys: {', '.join(shown)}.")
    guess = nearest(key, sorted({*shown, *kinds}))
    rest = wanted[len(key):]
    hint = f"; did you mean '{guess}{rest}'?" if guess else "."
    if guess in kinds and study and study not in {s.name for s in registry.studies_of(guess)}:
        hint = f"; did you mean '{guess}{rest}'? ({owners(guess)}.)"
    return f"Unknown key '{wanted}'{hint} The top-level keys are: {', '.join(shown)}."


def _unknown_elsewhere(cause: BaseException, full_key: str, wanted: str, name: str) -> str:
    """A key under a node distlab does not declare (e.g. Hydra's own ``hydra.*``)."""
    from omegaconf import DictConfig

    parent = _get(cause, "parent_node")
    keys = [str(k) for k in parent.keys()] if isinstance(parent, DictConfig) else []
    where = full_key.rpartition(".")[0]
    guess = nearest(name, keys)
    hint = f"; did you mean '{where}.{guess}'?" if guess else "."
    listed = f" Its keys are: {', '.join(f'{where}.{k}' for k in keys)}." if keys else ""
    return f"Unknown key '{wanted}': '{where}' has no key '{name}'{hint}{listed}"


# -- Hydra's errors -------------------------------------------------------------------------------


def _parse_error(err: Any) -> str:
    """An override Hydra's grammar cannot read, or a sweep function it cannot evaluate."""
    override = str(getattr(err, "override", ""))
    message = str(getattr(err, "message", err))
    lines = message.splitlines()
    if override.startswith("-"):
        return (f"'{override}' is a flag, not an override, and flags are not accepted here. {_example()}; "
                "see distlab --help.")
    m = re.search(r"(\w+) while evaluating '(.*)': ((?:.|\n)*?)\s*(?:See https|$)", message)
    if m:
        reason = " ".join(m.group(3).replace("\nAvailable:", "; available:").split()).rstrip(".")
        return (f"Cannot evaluate '{m.group(2)}' in the override '{override}': {reason}. "
                f"{_example()}; sweeps: choice(1,2), range(1,10,2), 1,2,4. {_GRAMMAR}")
    where = ""
    unbalanced = _unbalanced(override.partition("=")[2] if "=" in override else override)
    if unbalanced:
        where = f" {unbalanced}"
    elif lines and lines[0].startswith("LexerNoViableAltException") and len(lines) > 1 and "^" in lines[1]:
        pos = lines[1].index("^") - len("LexerNoViableAltException: ")
        if 0 <= pos < len(override):
            where = f" unexpected {override[pos]!r} at character {pos + 1}."
    if not where:
        m = re.search(r"no viable alternative at input '(.*)'|((?:mismatched|extraneous|missing) .*)", message)
        where = f" cannot read {m.group(1)!r}." if m and m.group(1) else f" {m.group(2)}." if m else ""
    return (f"Cannot read the override '{override}':{where} {_example()}; a value with spaces, quotes or "
            f"brackets needs quoting for the shell, e.g. 'KIND.path=\"my file.csv\"'. {_GRAMMAR}")


def _unbalanced(text: str) -> str:
    for quote in ("'", '"'):
        if text.count(quote) % 2:
            return f"a {quote} is never closed."
    for opening, closing in ("[]", "{}", "()"):
        if text.count(opening) > text.count(closing):
            return f"a '{opening}' is never closed."
        if text.count(closing) > text.count(opening):
            return f"a '{closing}' has no '{opening}' before it."
    return ""


def _missing_config(err: Any, registry: Registry) -> str:
    missing = str(getattr(err, "missing_cfg_file", "") or "")
    options = [str(o) for o in getattr(err, "options", None) or []]
    group, _, name = missing.rpartition("/")
    if not group:
        return (f"There is no primary config '{missing}' (--config-name {missing}) in the config search path: "
                f"give the name of a YAML file (without .yaml) in distlab's config or in --config-dir.")
    guess = nearest(name, options)
    hint = f" Did you mean '{guess}'?" if guess else ""
    listed = ", ".join(sorted(options)) or "(none)"
    if group == "world":
        studies = ", ".join(s.name for s in registry.studies())
        return (f"Unknown world '{name}'. A world comes with its study: choose it with study=NAME (studies: "
                f"{studies}) and set its parameters with world.KEY=VALUE (see distlab plugins).")
    return f"Unknown {group} '{name}'.{hint} Available {group} names: {listed}."


def _defaults_error(message: str, registry: Registry, overrides: Sequence[str]) -> str | None:
    """Errors of Hydra's defaults list: a group the chosen study does not have, '+' and '@' misuse."""
    m = re.search(r"Could not override '([^']+)'\. No match in the defaults list", message)
    at = re.search(r"Could not override '(([^'@]+)@[^']+)'", message)
    twice = re.search(r"^(\S+) appears more than once in the final defaults list", message)
    multiple = re.search(r"^Multiple values for (\S+)\.", message)
    appended = re.search(r"Could not append to config\. An item is already at '([^']+)'", message)
    override = _override_of(message)
    value = _split(override)[1]
    kinds = {k.name: k for k in registry.kinds()}
    if m:
        group = m.group(1)
        if group in kinds:
            study = _chosen_study(overrides)
            homes = [st.name for st in registry.studies_of(group)]
            home = (_and(homes) or "no") + (" studies" if len(homes) > 1 else " study")
            choose = _and([f"study={n}" for n in homes], "or") or "a study that lists it"
            if study and study not in homes and study in {s.name for s in registry.studies()}:
                own = [k.name for s in registry.studies() if s.name == study for k in s.kinds]
                return (f"Cannot choose {group}={value}: the {study} study has no kind '{group}' ({group} is a "
                        f"kind of the {home}: choose that study with {choose}). The "
                        f"{study} study's kinds: {', '.join(own) or '(none)'}.")
            return (f"Cannot choose {group}={value}: {group} is a kind of the {home}, which this "
                    f"case does not use; choose that study with {choose}, or leave {group}= out.")
        groups = ["study", *kinds]
        guess = nearest(group, groups)
        hint = f" Did you mean '{guess}'?" if guess else ""
        return f"Unknown config group '{group}'.{hint} The groups are: {', '.join(groups)}."
    if at:
        return (f"'{at.group(1)}' moves a config group to another key with '@', which distlab does not support: "
                f"study, world and each kind have one fixed key. Write {at.group(2)}={value or 'NAME'}.")
    again = twice or multiple
    if again:
        group = again.group(1)
        value = value or next((v for o in overrides for k, v in [_split(o)] if k == group and v), None)
        if group == "world":
            return (f"'+world={value or 'NAME'}' adds a second world, but the study already brings its own; "
                    f"choose a world by choosing its study, e.g. study={value or 'NAME'}.")
        return (f"'+{group}={value or 'NAME'}' adds a second {group}, but one is already chosen; write "
                f"{group}={value or 'NAME'} (without '+') to replace it.")
    gone = re.search(r"Could not delete from config\. '([^']+)' does not exist", message)
    if gone:
        key = gone.group(1)
        top = ["study", "world", *_RUN_KEYS, *kinds]
        guess = nearest(key.partition(".")[0], top)
        hint = f"; did you mean '~{guess}{key[len(key.partition('.')[0]):]}'?" if guess else "."
        return f"Cannot delete '{key}' (~{key}): there is no such key{hint}"
    if appended:
        key = appended.group(1)
        plain = re.search(r"remove \+ prefix: '([^']+)'", message)
        return (f"'{key}' already has a value, so '+' cannot add it; write {plain.group(1) if plain else key + '=...'} "
                "(without '+') to change it.")
    return None


def _chosen_study(overrides: Sequence[str]) -> str | None:
    """The study the overrides choose, if one is chosen plainly (not swept)."""
    chosen = None
    for override in overrides:
        key, value = _split(override)
        if key == "study" and value and not re.search(r"[,()\[\]]", value):
            chosen = value
    return chosen
