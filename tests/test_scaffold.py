"""distlab new plugin: the package it writes passes its own tests, installs, and runs beside the built-ins."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Protocol

import polars as pl
import pytest
from testkit import run_cli

from distlab import host
from distlab.component import Kind
from distlab.errors import ConfigError, PluginError
from distlab.registry import Registry
from distlab.scaffold import main

# The kinds that declare a template (Kind.template), read from the registry so that none is missed.
TEMPLATE_KINDS = sorted(k.name for k in host.load_registry().kinds() if k.template)


def _new(tmp_path: Path, name: str, kind: str) -> Path:
    assert main(["plugin", name, "--kind", kind, "--dir", str(tmp_path)]) == 0
    return tmp_path / name


def _pytest(package: Path, env: dict[str, str] | None = None, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package)],
                          capture_output=True, text=True, env=env, timeout=600)


def _with_path(path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.mark.parametrize(("version", "allowed"), [
    ("0.1.0", ">=0.1,<0.2"), ("0.12.3", ">=0.12,<0.13"), ("1.0.0", ">=1.0,<2"), ("2.3.1rc1", ">=2.3,<3"),
])
def test_a_new_plugin_depends_on_the_releases_of_its_contract(version: str, allowed: str) -> None:
    from distlab.scaffold import contract_range

    assert contract_range(version) == allowed


def test_the_builtin_kinds_have_templates() -> None:
    assert TEMPLATE_KINDS == ["serializer", "strategy", "workload"]


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_the_package_passes_its_own_tests(tmp_path: Path, kind: str) -> None:
    package = _new(tmp_path, "myplug", kind)
    files = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    assert files == {"pyproject.toml", "README.md", "myplug/__init__.py", "myplug/component.py", "tests/test_myplug.py"}
    pyproject = (package / "pyproject.toml").read_text()
    assert '[project.entry-points.distlab]\nmyplug = "myplug"' in pyproject
    from distlab import __version__
    from distlab.scaffold import contract_range

    assert f'dependencies = ["distlab{contract_range(__version__)}"]' in pyproject and '"hypothesis' in pyproject
    # Only public names: the core's top level, and each study's public surface.
    for source in (package / "myplug").glob("*.py"):
        for line in source.read_text().splitlines():
            if line.lstrip().startswith("from distlab"):
                assert line.split()[1] in {"distlab", "distlab.migration", "distlab.rpc"}, line
    # The test imports its kind's contract check from the study's testing module.
    test = (package / "tests" / "test_myplug.py").read_text()
    study = {"strategy": "migration", "workload": "migration", "serializer": "rpc"}[kind]
    assert f"from distlab.{study}.testing import check_{kind}\n" in test
    done = _pytest(package, _with_path(package))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_generated_test_fails_when_the_component_breaks(tmp_path: Path) -> None:
    package = _new(tmp_path, "myplug", "strategy")
    component = package / "myplug" / "component.py"
    # Forget the stop-and-copy after the round bound: the contract check must catch it.
    component.write_text(component.read_text().replace(
        "        session.stop_and_copy(converged=False)", "        pass"))
    done = _pytest(package, _with_path(package))
    assert done.returncode == 1 and "returned without ending the migration" in done.stdout


def test_another_kind_gets_a_skeleton_from_its_protocol(tmp_path: Path, toy_env: dict[str, str]) -> None:
    package = _new(tmp_path, "myshape", "shape")  # the toy plugin's kind, with no template
    component = (package / "myshape" / "component.py").read_text()
    assert "def draw(self, rng: Any, scale: Any) -> Any:" in component and "NotImplementedError" in component
    done = _pytest(package, _with_path(package))
    assert done.returncode == 0, done.stdout + done.stderr


class _Gadget(Protocol):
    def spin(self, turns: int) -> int: ...


def test_a_kind_finds_its_template_through_its_declaration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A third-party kind: its Kind names its template; no core edit, and no template is a skeleton.
    (tmp_path / "gadget_templates.py").write_text(
        "from distlab.scaffold import KindTemplate\n"
        "GADGET = KindTemplate('class ${cls}:  # a ${kind}\\n', '# the test of ${name}\\n')\n"
        "WRONG = 3\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    registry.add_kind(Kind("gadget", _Gadget, "turns", template="gadget_templates:GADGET"))
    registry.add_kind(Kind("widget", _Gadget, "turns", template="gadget_templates:WRONG"))
    registry.add_kind(Kind("gizmo", _Gadget, "turns"))
    monkeypatch.setattr(host, "get_registry", lambda: registry)
    out = tmp_path / "out"
    out.mkdir()

    package = _new(out, "mygadget", "gadget")
    assert (package / "mygadget" / "component.py").read_text() == "class Mygadget:  # a gadget\n"
    test = (package / "tests" / "test_mygadget.py").read_text()
    assert test.startswith("# the test of mygadget\n") and "def test_registration_names_the_component" in test

    skeleton = (_new(out, "mygizmo", "gizmo") / "mygizmo" / "component.py").read_text()
    assert "def spin(self, turns: Any) -> Any:" in skeleton
    with pytest.raises(PluginError, match="template of kind 'widget' .* is not a distlab.scaffold.KindTemplate: 3"):
        main(["plugin", "mywidget", "--kind", "widget", "--dir", str(out)])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plugin", "My-Plug", "--kind", "strategy"], "invalid plugin NAME 'My-Plug': use a snake_case Python identifier"),
        (["plugin", "class", "--kind", "strategy"], "invalid plugin NAME 'class'"),
        (["plugin", "distlab", "--kind", "strategy"], "clashes with the importable module 'distlab'"),
        (["plugin", "json", "--kind", "serializer"], "clashes with the importable module 'json'"),
        (["plugin", "precopy", "--kind", "strategy"], "'precopy' is already a registered strategy"),
        (["plugin", "myplug", "--kind", "stratgy"], "unknown kind 'stratgy' for --kind; the registered kinds are: .*strategy"),
        (["plugin", "myplug"], "the following arguments are required: --kind"),
        (["widget", "myplug"], "invalid choice: 'widget'"),
    ],
)
def test_bad_arguments_are_config_errors(tmp_path: Path, args: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        main([*args, "--dir", str(tmp_path)])
    assert not any(tmp_path.iterdir())  # nothing written


def test_an_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "myplug").mkdir()
    (tmp_path / "myplug" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="already exists and is not an empty folder"):
        main(["plugin", "myplug", "--kind", "workload", "--dir", str(tmp_path)])
    assert (tmp_path / "myplug" / "notes.txt").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    _new(tmp_path / "empty", "myplug", "workload")  # an empty folder is fine


def test_the_cli_verb(tmp_path: Path) -> None:
    done = run_cli(["new", "plugin", "myplug", "--kind", "workload", "--dir", str(tmp_path)])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "myplug" / "myplug" / "component.py").is_file()
    bad = run_cli(["new", "plugin", "distlab", "--kind", "workload", "--dir", str(tmp_path)])
    assert bad.returncode == 2 and "clashes with the importable module 'distlab'" in bad.stderr


@pytest.mark.slow
def test_installed_in_a_fresh_venv_it_runs_beside_the_builtins(tmp_path: Path) -> None:
    package = _new(tmp_path, "myplug", "strategy")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    # A fresh venv that sees distlab (installed editable in this one) and its dependencies, pip and
    # setuptools: a .pth line adding this venv's site-packages as a site dir (so that its own .pth
    # files, the editable install's among them, run too), an offline stand-in for `pip install distlab`.
    fresh_site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                capture_output=True, text=True, check=True).stdout.strip()
    project_site = sysconfig.get_paths()["purelib"]
    Path(fresh_site, "distlab_from_project.pth").write_text(f"import site; site.addsitedir({project_site!r})\n")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "DISTLAB_PLUGINS", "DISTLAB_DISABLE_PLUGIN_AUTOLOAD"}}
    # Build isolation fetches setuptools and wheel from the configured index (a local one offline).
    install = subprocess.run([python, "-m", "pip", "install", "--no-deps", "-e", str(package)],
                             capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr

    done = _pytest(package, env, python)
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout + done.stderr

    # Not from tmp_path: with `python -m`, the current folder comes first on sys.path, and there the
    # project folder myplug/ would import as an empty namespace package instead of the installed one.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cli = [python, "-m", "distlab"]
    listing = subprocess.run([*cli, "plugins"], capture_output=True, text=True, env=env, cwd=elsewhere, timeout=300)
    assert listing.returncode == 0, listing.stderr
    assert "strategy=myplug  (myplug 0.1.0; plugin myplug)" in listing.stdout and "strategy=precopy" in listing.stdout

    sweep = tmp_path / "sweep"
    run = subprocess.run(
        [*cli, "-m", "strategy=myplug,precopy", "strategy.max_rounds=5", "workload=uniform", "world.vm.memory_mib=64",
         "repeats=1", f"hydra.sweep.dir={sweep}"],
        capture_output=True, text=True, env=env, cwd=elsewhere, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = pl.concat([pl.read_parquet(p) for p in sweep.rglob("results.parquet")], how="diagonal_relaxed")
    assert sorted(rows["strategy"].to_list()) == ["myplug", "precopy"]
    assert rows["status"].to_list() == ["ok", "ok"]
