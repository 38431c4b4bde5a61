"""Manifests tell the truth: each addon's ``external_dependencies`` lists exactly the third-party
Python distributions and binaries its code needs, followed through the engine modules it imports.

Odoo refuses to install an addon whose declared dependency is missing, so a dependency left out
is found only when a user reaches the code that imports it, and one declared for nothing blocks
installs for no reason. The engine's own ``pyproject.toml`` is checked the same way: its core
dependencies plus extras cover what its modules import.
"""

import ast
import importlib.metadata
import re
import sys
from functools import cache
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
ENGINE_SRC = ROOT / "odm_engine" / "src"
ADDONS = ("odm_quote", "odm_mrp", "odm_partner_network", "odm_machine_link")
# Binaries the engine runs, by the module that runs them.
BINARIES = {"odm_engine.slicing.slicer": "prusa-slicer"}


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _engine_file(module: str) -> Path | None:
    base = ENGINE_SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(path: Path, module: str) -> set[str]:
    """Absolute dotted names imported anywhere in the file (functions included)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif _is_import_module_call(node):
            names.add(_literal_prefix(node.args[0]).rstrip("."))
    return names


def _is_import_module_call(node) -> bool:
    """``importlib.import_module("X...")``: modules the engine loads lazily by name."""
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
        and bool(node.args)
        and bool(_literal_prefix(node.args[0]))
    )


def _literal_prefix(arg) -> str:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        return arg.values[0].value
    return ""


@cache
def _engine_closure(module: str) -> frozenset[str]:
    """Top-level third-party names and engine modules reached from an engine module."""
    reached, todo, seen = set(), [module], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        reached.add(current)
        path = _engine_file(current)
        for name in _imported(path, current):
            if name.startswith("odm_engine"):
                if _engine_file(name) is not None:
                    todo.append(name)
            else:
                reached.add(name)
    return frozenset(reached)


def _needs(files, module_of) -> tuple[set[str], set[str]]:
    """(third-party top-level modules, binaries) needed by the given source files."""
    modules, binaries = set(), set()
    for path in files:
        for name in _imported(path, module_of(path)):
            reached = (
                _engine_closure(name)
                if name.startswith("odm_engine") and _engine_file(name)
                else {name}
            )
            for item in reached:
                binaries.update(b for m, b in BINARIES.items() if item == m)
                top = item.split(".")[0]
                if top in {"odoo", "odm_engine", *ADDONS} or top in sys.stdlib_module_names:
                    continue
                modules.add(top)
    return modules, binaries


def _distributions(modules: set[str]) -> set[str]:
    owners = importlib.metadata.packages_distributions()
    found = set()
    for module in modules:
        assert module in owners, f"no installed distribution provides {module!r}"
        found.add(_normalise(owners[module][0]))
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> str:
    return _normalise(re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0])


def _addon_files(addon: str) -> list[Path]:
    return [p for p in (ROOT / addon).rglob("*.py") if "tests" not in p.relative_to(ROOT).parts]


@pytest.mark.parametrize("addon", ADDONS)
def test_external_dependencies_match_the_code(addon):
    manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())
    declared = manifest.get("external_dependencies", {})
    modules, binaries = _needs(_addon_files(addon), lambda p: _module_name(p, ROOT))
    needed = _distributions(modules) | {"odm-engine"}
    listed = {_requirement_name(spec) for spec in declared.get("python", [])}
    assert listed == needed, (
        f"{addon}: missing {sorted(needed - listed)}, not needed {sorted(listed - needed)}"
    )
    assert set(declared.get("bin", [])) == binaries


def test_engine_distribution_declares_its_imports():
    project = tomllib.loads((ROOT / "odm_engine" / "pyproject.toml").read_text())["project"]
    declared = {_requirement_name(spec) for spec in project["dependencies"]}
    for name, extra in project["optional-dependencies"].items():
        if name != "test":  # the engine tests' own tools, not the engine's
            declared |= {_requirement_name(s) for s in extra if not s.startswith("odm-engine")}
    files = list((ENGINE_SRC / "odm_engine").rglob("*.py"))
    modules, _ = _needs(files, lambda p: _module_name(p, ENGINE_SRC))
    needed = _distributions(modules)
    # OpenCASCADE's proxy distribution only supplies the shared libraries the OCP module loads.
    assert declared - {"cadquery-ocp-proxy"} == needed, (
        f"missing {sorted(needed - declared)}, not needed {sorted(declared - needed)}"
    )
