"""Plugins: entry points, installed versus enabled, the per-organisation relay, the CLI.

Most tests use the real distribution ``tests/fixtures/gongkai-testplugin`` (installed into the
test environment with ``pip install -e tests/fixtures/gongkai-testplugin``). Every hook of
``core/hookspecs.py`` has a ``test_hook_<name>`` test here (``tests/test_plugin_docs.py``
checks it).
"""

from __future__ import annotations

import ast
import inspect
import logging

import pytest
from markupsafe import Markup

from core.cli import main
from core.plugins import Plugins
from core.toolkit import hookimpl

try:
    import gongkai_testplugin
except ImportError as exc:  # pragma: no cover - environment problem, not a test failure
    raise ImportError(
        "the fixture plugin is not installed: "
        ".venv/bin/pip install -e tests/fixtures/gongkai-testplugin"
    ) from exc

MARKER = gongkai_testplugin.PANEL_MARKER


@pytest.fixture
def plugins(app) -> Plugins:
    return app.extensions["gongkai.plugins"]


@pytest.fixture
def calls():
    """The ``portal_panels`` calls the fixture plugin received during the test."""
    gongkai_testplugin.CALLS.clear()
    yield gongkai_testplugin.CALLS
    gongkai_testplugin.CALLS.clear()


@pytest.fixture
def county(make_org):
    return make_org("plug-county", type_code="county_committee")


@pytest.fixture
def test_branch(make_org, county):
    """A branch of the sector ``testsector``: the fixture plugin is one of its defaults."""
    return make_org("plug-test", parent=county, sector="testsector")


@pytest.fixture
def agency_branch(make_org, county):
    """A branch of another sector: the fixture plugin is not enabled for it."""
    return make_org("plug-agency", parent=county, sector="agency")


def panels(plugins, org, locale="en"):
    return [p for batch in plugins.relay(org).portal_panels(org=org, locale=locale) for p in batch]


# --- installed ---------------------------------------------------------------------------------


def test_entry_point_plugin_is_installed(plugins):
    assert plugins.installed()["testplugin"] is gongkai_testplugin
    [info] = [i for i in plugins.info() if i.name == "testplugin"]
    assert info.version == "0.1.0"
    assert info.distribution == "gongkai-testplugin"
    assert info.hooks == (
        "catalogue_template_sections", "portal_panels", "register_sectors",
        "sector_default_plugins", "workflow_guard", "workflow_transitioned",
    )  # fmt: skip


def test_core_default_plugin_is_not_listed_as_installed(plugins):
    assert "core" not in plugins.installed()
    assert "core" not in {i.name for i in plugins.info()}


def test_fixture_plugin_imports_only_the_toolkit():
    tree = ast.parse(inspect.getsource(gongkai_testplugin))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported == {"__future__", "core.toolkit"}


def test_without_entry_points_nothing_is_installed(app):
    assert Plugins(load_entry_points=False).installed() == {}


# --- the hooks ---------------------------------------------------------------------------------


def test_hook_register_sectors(plugins):
    sectors = plugins.sectors()
    assert sectors["testsector"] == {
        "zh_Hans_CN": "测试行业",
        "en": "Test sector",
        "ug": "سىناق ساھە",
    }
    assert sectors["agency"]["en"] == "Government agency"  # the core plugin's sectors stay


def test_hook_sector_default_plugins(plugins, test_branch, agency_branch):
    assert plugins.sector_defaults("testsector") == {"testplugin"}
    assert plugins.sector_defaults("agency") == frozenset()
    assert plugins.enabled_for(test_branch) == {"testplugin"}
    assert plugins.enabled_for(agency_branch) == frozenset()
    assert plugins.is_enabled(test_branch, "testplugin")
    assert not plugins.is_enabled(agency_branch, "testplugin")


def test_hook_portal_panels(plugins, test_branch, calls):
    [panel] = panels(plugins, test_branch, "en")
    assert isinstance(panel["html"], Markup)
    assert MARKER in panel["html"]
    assert "plug-test" in panel["html"]
    assert calls == [("plug-test", "en")]


# --- enabled per organisation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sector", "settings", "enabled"),
    [
        ("testsector", {}, True),
        ("agency", {}, False),
        ("agency", {"enabled": ["testplugin"]}, True),
        ("testsector", {"disabled": ["testplugin"]}, False),
        ("agency", {"enabled": ["testplugin"], "disabled": ["testplugin"]}, False),
        ("agency", {"enabled": ["not-installed"]}, False),
    ],
)
def test_enabled_set_is_sector_defaults_plus_settings(
    plugins, make_org, county, sector, settings, enabled
):
    org = make_org("plug-x", parent=county, sector=sector, plugin_settings=settings)
    assert plugins.is_enabled(org, "testplugin") is enabled
    assert "not-installed" not in plugins.enabled_for(org)  # only installed plugins count


def test_disabled_plugin_is_never_called_through_the_relay(
    plugins, make_org, county, agency_branch, calls
):
    opted_out = make_org(
        "plug-out", parent=county, sector="testsector", plugin_settings={"disabled": ["testplugin"]}
    )
    assert panels(plugins, agency_branch) == []
    assert panels(plugins, opted_out) == []
    assert calls == []


def test_enabling_in_settings_calls_the_plugin(plugins, make_org, county, calls):
    org = make_org("plug-in", parent=county, plugin_settings={"enabled": ["testplugin"]})
    assert [MARKER in p["html"] for p in panels(plugins, org)] == [True]
    assert calls == [("plug-in", "en")]


def test_changed_settings_take_effect_on_the_next_relay(plugins, test_branch, calls):
    assert len(panels(plugins, test_branch)) == 1
    test_branch.plugin_settings = {"disabled": ["testplugin"]}
    assert panels(plugins, test_branch) == []
    assert calls == [("plug-test", "en")]


def test_relays_are_cached_per_enabled_set(plugins, make_org, county, test_branch, agency_branch):
    other_test = make_org("plug-test-2", parent=county, sector="testsector")
    opted_in = make_org("plug-in", parent=county, plugin_settings={"enabled": ["testplugin"]})
    assert plugins.relay(test_branch) is plugins.relay(other_test)
    assert plugins.relay(test_branch) is plugins.relay(opted_in)
    assert plugins.relay(agency_branch) is not plugins.relay(test_branch)
    assert plugins.relay(agency_branch).enabled == frozenset()


def test_relay_refuses_hooks_that_are_not_tenant_hooks(plugins, test_branch):
    relay = plugins.relay(test_branch)
    with pytest.raises(AttributeError, match="not a tenant hook"):
        relay.register_sectors  # noqa: B018
    with pytest.raises(AttributeError):
        relay.no_such_hook  # noqa: B018


def test_tenant_hooks_are_refused_on_the_process_wide_path(plugins, calls):
    with pytest.raises(AttributeError, match=r"relay\(org\)"):
        plugins.hook.portal_panels  # noqa: B018
    assert plugins.hook.register_sectors is plugins.pm.hook.register_sectors
    assert calls == []


# --- the unit portal ---------------------------------------------------------------------------


def test_portal_shows_the_panel_of_an_enabled_plugin(client, test_branch, calls):
    response = client.get("/o/plug-test/?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="plugin-panel"' in html
    assert f'<p class="{MARKER}">' in html  # Markup is not escaped again
    assert "plug-test" in html
    assert calls == [("plug-test", "en")]


def test_portal_has_no_panel_where_the_plugin_is_disabled(client, agency_branch, calls):
    response = client.get("/o/plug-agency/?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert MARKER not in html
    assert 'class="plugin-panel"' not in html
    assert calls == []


# --- plugin authors' tools ---------------------------------------------------------------------


class Greeter:
    """A plugin registered for one test with the ``with_plugins`` fixture."""

    @hookimpl
    def portal_panels(self, org, locale):
        return [{"title": "Greeter", "html": Markup("<p>greeter-panel {}</p>").format(org.code)}]


def test_with_plugins_registers_a_plugin_for_one_test(
    plugins, with_plugins, make_org, county, agency_branch, client
):
    with_plugins(greeter=Greeter())
    assert "greeter" in plugins.installed()
    org = make_org("plug-greet", parent=county, plugin_settings={"enabled": ["greeter"]})
    assert [p["title"] for p in panels(plugins, org)] == ["Greeter"]
    assert panels(plugins, agency_branch) == []  # installed is not enabled
    assert "greeter-panel plug-greet" in client.get("/o/plug-greet/").get_data(as_text=True)


def test_with_plugins_unregisters_after_the_test(plugins):
    assert "greeter" not in plugins.installed()


def test_plugins_list_command(app, test_branch, agency_branch, make_org, county):
    make_org("plug-in", parent=county, plugin_settings={"enabled": ["testplugin"]})
    result = app.test_cli_runner().invoke(main, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "testplugin 0.1.0 (gongkai-testplugin)"
    assert lines[1] == (
        "  hooks: catalogue_template_sections, portal_panels, register_sectors, "
        "sector_default_plugins, workflow_guard, workflow_transitioned"
    )
    assert lines[2].startswith("  enabled for: ")
    enabled_for = set(lines[2].removeprefix("  enabled for: ").split(", "))
    assert enabled_for == {"plug-test", "plug-in"}


def test_trace_env_var_logs_hook_calls(app, monkeypatch, caplog, test_branch, calls):
    monkeypatch.setenv("GONGKAI_TRACE_HOOKS", "1")
    traced = Plugins()
    with caplog.at_level(logging.WARNING, logger="core.plugins"):
        panels(traced, test_branch)
    messages = [r.getMessage() for r in caplog.records if r.name == "core.plugins"]
    assert any("portal_panels" in m for m in messages)
