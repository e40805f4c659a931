"""Meta-tests: every hook is documented in ``plugins/README.md`` and tested (Datasette-style).

For each hookspec of ``core.hookspecs`` the README must have a ``### name(args)`` heading with
the exact signature, an example quoted verbatim from the test plugin, and the suite must have a
``test_hook_<name>`` test. The README must also list every name of ``core.toolkit``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

from core import hookspecs, toolkit

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "plugins" / "README.md"
TESTS = Path(__file__).resolve().parent
EXAMPLE = re.compile(r"<!-- example: ([\w.]+) -->\n```python\n(.*?)```", re.DOTALL)
HOOK_HEADING = re.compile(r"^### (\w+)\(.*\)$", re.MULTILINE)


def hookspec_functions() -> dict[str, object]:
    """Functions of ``core.hookspecs`` marked with the hookspec marker."""
    marker = f"{hookspecs.PROJECT}_spec"
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, marker)
    }


HOOKS = hookspec_functions()


def signature(name: str) -> str:
    return f"{name}{inspect.signature(HOOKS[name])}"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_hook_names_are_discovered():
    assert {"register_sectors", "sector_default_plugins", "portal_panels"} <= set(HOOKS)
    assert set(hookspecs.TENANT_HOOKS) <= set(HOOKS)


def hook_test_names() -> set[str]:
    names = set()
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and node.name.startswith("test_hook_"):
                names.add(node.name)
    return names


def examples() -> dict[str, str]:
    return {target: code for target, code in EXAMPLE.findall(readme())}


def resolve(target: str):
    module, _, attr = target.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_is_documented_with_its_exact_signature(name):
    heading = f"### {signature(name)}"
    assert re.search(rf"^{re.escape(heading)}$", readme(), re.MULTILINE), (
        f"plugins/README.md has no heading {heading!r}"
    )


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_docstring(name):
    doc = inspect.getdoc(HOOKS[name])
    assert doc, f"hookspec {name} has no docstring"
    assert "\n" not in doc.strip(), f"hookspec {name}: the docstring should be one line"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_test(name):
    assert f"test_hook_{name}" in hook_test_names(), (
        f"no test function named test_hook_{name} in tests/"
    )


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_section_has_an_example_from_the_test_plugin(name):
    section = readme().split(f"### {signature(name)}\n", 1)[1]
    section = re.split(r"^#{1,3} ", section, maxsplit=1, flags=re.MULTILINE)[0]
    targets = [t for t, _code in EXAMPLE.findall(section)]
    assert targets, f"the section of {name} has no <!-- example: ... --> block"


def test_examples_are_quoted_verbatim_from_tested_code():
    found = examples()
    assert found
    for target, code in found.items():
        assert code == inspect.getsource(resolve(target)), (
            f"the example {target} in plugins/README.md differs from its source"
        )


def test_documented_hooks_exist():
    documented = set(HOOK_HEADING.findall(readme()))
    assert documented == set(HOOKS), (
        f"sections without a hookspec: {sorted(documented - set(HOOKS))}; "
        f"hookspecs without a section: {sorted(set(HOOKS) - documented)}"
    )


@pytest.mark.parametrize("name", sorted(toolkit.__all__))
def test_toolkit_name_is_documented(name):
    section = readme().split("## The one import surface: `core.toolkit`", 1)[1].split("\n#", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    assert any(re.search(rf"`{re.escape(name)}[`(]", line) for line in table), (
        f"core.toolkit.{name} is not in the toolkit table of plugins/README.md"
    )


def test_toolkit_exports_exist():
    for name in toolkit.__all__:
        assert hasattr(toolkit, name), name


def fixtures_of_core_testing() -> set[str]:
    """The fixtures of core.plugins.testing (functions decorated with ``pytest.fixture``)."""
    tree = ast.parse((ROOT / "core" / "plugins" / "testing.py").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if isinstance(target, ast.Attribute) and target.attr == "fixture":
                    names.add(node.name)
    return names


def test_testing_fixtures_are_discovered():
    assert {"app", "client", "org", "with_plugins", "make_org"} <= fixtures_of_core_testing()


@pytest.mark.parametrize("name", sorted(fixtures_of_core_testing()))
def test_testing_fixture_is_documented(name):
    section = readme().split("## Test it", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    assert any(f"`{name}`" in line for line in table), (
        f"the fixture {name} of core.plugins.testing is not in the table of 'Test it' "
        "in plugins/README.md"
    )


def test_readme_commands_exist():
    """Every ``gongkai plugins ...`` command the guide shows exists."""
    from core.plugins.cli import plugins_group

    shown = set(re.findall(r"`gongkai plugins (\w+)", readme()))
    assert shown <= set(plugins_group.commands), shown - set(plugins_group.commands)
    assert {"list", "new", "enable", "disable", "default", "revision"} <= shown
