"""The layering of the code (docs/architecture.md), checked on every import of every module.

Imports flow one way: kernel ← tenants ← engine ← composition; plugins import ``core.toolkit``
only; nothing in core or tenants imports a plugin; no module takes part in an import cycle; and
the engine's packages depend on each other one way, but for the pairs listed (with their reason)
in :data:`PACKAGE_CYCLES_ALLOWED`.

Every ``import`` counts, at module level or inside a function, and every module of ``core/``,
``tenants/``, ``plugins/`` and the test plugin is read (Alembic revisions excepted: they import
nothing of the project but ``core.db`` types, and are checked by the migration tests).

To add a kernel module, list it in :data:`KERNEL` (it may then import only kernel modules).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_PLUGIN = ROOT / "tests" / "fixtures" / "gongkai-testplugin"

KERNEL = {
    "core",
    "core.audit",
    "core.audit_labels",
    "core.cleaning",
    "core.cliutil",
    "core.config",
    "core.db",
    "core.errors",
    "core.problem",
    "core.events",
    "core.evidence",
    "core.hookspecs",
    "core.i18n",
    "core.images",
    "core.jobs",
    "core.localtime",
    "core.outbound",
    "core.pdf",
    "core.progress",
    "core.ratelimit",
    "core.receipts",
    "core.spreadsheets",
    "core.storage",
    "core.text",
    "core.themes",
}
"""The kernel: small modules that import nothing of the project but each other."""

COMPOSITION = {"core.app", "core.cli", "core.toolkit", "core.plugins.testing", "core.synthesize"}
"""What wires everything: the application factory, the command, the plugins' one import surface,
the pytest plugin (it builds applications) and the synthetic province of the benchmarks (it
builds data across every package). Nothing below imports them."""

LAYERS = ("kernel", "tenants", "engine", "composition")

PACKAGE_CYCLES_ALLOWED = {
    frozenset({"core.migrations", "core.plugins"}): (
        "the migrations upgrade the installed plugins' branches too (core.migrations → the "
        "plugin manager), and `gongkai plugins revision` writes a plugin's next revision "
        "(core.plugins.cli → core.migrations)"
    ),
    frozenset({"core.items", "core.search"}): (
        "the items API answers ?q= through the search index (core.items.api → core.search), "
        "and the index is built from items (core.search → core.items)"
    ),
}
"""Pairs of engine packages that import each other, each with its reason (docs/architecture.md).
Modules never form a cycle; these pairs only mean that one package's pages read the other."""


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the project, by dotted name (the test plugin's under its own name)."""
    found = {}
    for top in ("core", "tenants", "plugins"):
        for path in (ROOT / top).rglob("*.py"):
            if "migrations/versions" in path.as_posix():
                continue
            found[module_name(path, ROOT)] = path
    for path in (TEST_PLUGIN / "gongkai_testplugin").rglob("*.py"):
        found[module_name(path, TEST_PLUGIN)] = path
    return found


MODULES = project_modules()


def _target(name: str) -> str | None:
    """The project module an import of ``name`` loads (the longest existing prefix)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(name: str) -> set[str]:
    """The project modules that module ``name`` imports, anywhere in its code."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [_target(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [_target(f"{base}.{alias.name}") or _target(base) for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t and t != name)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def layer(name: str) -> str:
    if name in KERNEL:
        return "kernel"
    if name in COMPOSITION:
        return "composition"
    if name == "tenants" or name.startswith("tenants."):
        return "tenants"
    if name.startswith("core."):
        return "engine"
    return "plugin"


def plugin_of(name: str) -> str:
    """The plugin package a plugin module belongs to (``plugins.village_affairs``)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "plugins" else parts[0]


def package_of(name: str) -> str:
    """The engine package of an engine module (``core.items`` for ``core.items.views``)."""
    return ".".join(name.split(".")[:2])


def test_every_module_is_read():
    assert {"core.db", "core.items.views", "tenants.models", "plugins.village_affairs.demo"} <= set(
        MODULES
    )
    assert "gongkai_testplugin" in MODULES
    assert GRAPH["core.items.views"], "the import reader found nothing"


def test_cores_top_level_holds_the_kernel_and_the_composition_only():
    """Every other module of core lives in a package (one per capability)."""
    top = {
        name for name, path in MODULES.items() if name.count(".") == 1 and name.startswith("core.")
    }
    top = {n for n in top if MODULES[n].name != "__init__.py"}
    assert top <= KERNEL | COMPOSITION, sorted(top - KERNEL - COMPOSITION)


def test_the_kernel_is_listed_and_exists():
    missing = sorted(k for k in KERNEL | COMPOSITION if k not in MODULES)
    assert not missing, f"listed but not found: {missing}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) != "plugin"))
def test_imports_flow_one_way(name):
    """kernel ← tenants ← engine ← composition: a module imports its own layer or lower ones,
    and nothing in core or tenants imports a plugin."""
    own = LAYERS.index(layer(name))
    wrong = sorted(t for t in GRAPH[name] if layer(t) == "plugin" or LAYERS.index(layer(t)) > own)
    assert not wrong, (
        f"{name} ({layer(name)}) imports {', '.join(f'{t} ({layer(t)})' for t in wrong)}"
    )


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) == "plugin"))
def test_plugins_import_the_toolkit_only(name):
    """Of the project, a plugin imports ``core.toolkit`` and its own modules only."""
    wrong = sorted(
        t for t in GRAPH[name] if t != "core.toolkit" and plugin_of(t) != plugin_of(name)
    )
    assert not wrong, f"{name} imports {wrong}: plugins import core.toolkit only"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_takes_part_in_an_import_cycle():
    found = cycles(GRAPH)
    assert not found, "modules that import each other: " + "; ".join(" ↔ ".join(c) for c in found)


def test_engine_packages_depend_on_each_other_one_way():
    """Between engine packages (``core.items``, ``core.catalogue`` ...) imports go one way,
    but for the listed pairs."""
    packages: dict[str, set[str]] = defaultdict(set)
    for name, targets in GRAPH.items():
        if layer(name) != "engine":
            continue
        for target in targets:
            if layer(target) == "engine" and package_of(target) != package_of(name):
                packages[package_of(name)].add(package_of(target))
    allowed = set()
    for pair in PACKAGE_CYCLES_ALLOWED:
        allowed |= {(a, b) for a in pair for b in pair if a != b}
    pruned = {p: {t for t in ts if (p, t) not in allowed} for p, ts in packages.items()}
    found = cycles(pruned)
    assert not found, "engine packages that import each other: " + "; ".join(
        " ↔ ".join(c) for c in found
    )
    for pair in PACKAGE_CYCLES_ALLOWED:
        a, b = sorted(pair)
        assert b in packages.get(a, ()) and a in packages.get(b, ()), (
            f"{a} and {b} no longer import each other: remove them from PACKAGE_CYCLES_ALLOWED"
        )


def test_the_check_finds_a_broken_rule(tmp_path):
    """The readers above see imports inside functions and relative ones (a check that cannot
    fail is no check)."""
    code = "def f():\n    from core.items import operations\n\nfrom . import models\n"
    tree = ast.parse(code)
    kinds = {type(n).__name__ for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)}
    assert kinds == {"ImportFrom"}
    assert fnmatch("core.items.views", "core.*")
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert layer("core.db") == "kernel" and layer("plugins.x.y") == "plugin"
    assert layer("tenants.models") == "tenants" and layer("core.app") == "composition"
