"""Plugins: entry points, installed versus enabled, the per-organisation relay, the CLI.

Most tests use the real distribution ``tests/fixtures/gongkai-testplugin`` (installed for the
test run only, by ``tests/testplugin.py``). Every hook of
``core/hookspecs.py`` has a ``test_hook_<name>`` test here (``tests/test_plugin_docs.py``
checks it).
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from markupsafe import Markup

from core.cli import main
from core.plugins import Plugins
from core.plugins.testing import csrf_token
from core.toolkit import hookimpl

try:
    import gongkai_testplugin
except ImportError as exc:  # pragma: no cover - environment problem, not a test failure
    raise ImportError(
        "the fixture plugin is not on sys.path: tests/conftest.py installs it (tests/testplugin.py)"
    ) from exc

MARKER = gongkai_testplugin.PANEL_MARKER
HOOKS_OF_THE_FIXTURE = (
    "assessment_metrics", "audit_labels", "catalogue_template_sections", "console_navigation",
    "demo_data", "item_types", "my_work", "notification_channels", "periodic_jobs", "portal_panels",
    "publication_channels", "register_blueprints", "register_commands", "register_sectors",
    "report_sections", "sector_default_plugins", "validate_item", "workflow_guard",
    "workflow_transitioned",
)  # fmt: skip


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
    assert info.hooks == HOOKS_OF_THE_FIXTURE


def test_core_default_plugin_is_not_listed_as_installed(plugins):
    assert "core" not in plugins.installed()
    assert "core" not in {i.name for i in plugins.info()}


def test_fixture_plugin_imports_only_the_toolkit():
    """Of the project, the plugin (its module and its migrations) imports core.toolkit only."""
    package = Path(gongkai_testplugin.__file__).parent
    imported = set()
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    project = {m for m in imported if m.split(".")[0] in ("core", "tenants", "plugins")}
    assert project == {"core.toolkit"}
    assert len(list(package.rglob("*.py"))) == 3  # the module and its migrations: all checked


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
    # the built-in sector plugins are listed too (installed, enabled by their sectors' defaults)
    lines = lines[lines.index("testplugin 0.1.0 (gongkai-testplugin)") :]
    assert lines[1] == f"  hooks: {', '.join(HOOKS_OF_THE_FIXTURE)}"
    assert lines[2].startswith("  enabled for: ")
    enabled_for = set(lines[2].removeprefix("  enabled for: ").split(", "))
    assert enabled_for == {"plug-test", "plug-in"}


def test_the_fixture_plugin_is_installed_for_the_test_run_only(tmp_path):
    """``make demo`` and production run from the virtualenv, which never holds the fixture
    plugin: ``gongkai plugins list`` there shows the built-in plugins and not ``testplugin``,
    while the test processes (and the commands they start) find it by its entry point."""
    import os
    import subprocess
    import sys

    from tests import testplugin

    def plugins_list(env):
        env = {k: v for k, v in env.items() if not k.startswith("GONGKAI_")}
        env["GONGKAI_INSTANCE_PATH"] = str(tmp_path / "instance")
        for command in (["db", "upgrade"], ["plugins", "list"]):
            done = subprocess.run(
                [sys.executable, "-m", "core.cli", *command], env=env, cwd=tmp_path,
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
        return [line.split()[0] for line in done.stdout.splitlines() if not line.startswith(" ")]

    as_in_the_demo = plugins_list(testplugin.without(os.environ))
    assert {"three_important", "school_affairs", "village_affairs"} <= set(as_in_the_demo)
    assert "testplugin" not in as_in_the_demo
    assert "testplugin" in plugins_list(dict(os.environ))
    makefile = (Path(__file__).parent.parent / "Makefile").read_text(encoding="utf-8")
    assert "install --quiet -e tests/fixtures" not in makefile


def test_trace_env_var_logs_hook_calls(app, monkeypatch, caplog, test_branch, calls):
    monkeypatch.setenv("GONGKAI_TRACE_HOOKS", "1")
    traced = Plugins()
    with caplog.at_level(logging.WARNING, logger="core.plugins"):
        panels(traced, test_branch)
    messages = [r.getMessage() for r in caplog.records if r.name == "core.plugins"]
    assert any("portal_panels" in m for m in messages)


# --- item types, validation, channels (tenant hooks used by items and catalogues) --------------


@pytest.fixture
def w(make_org):
    """The items world of tests/items_helpers.py; ``it-unit`` enables the fixture plugin."""
    from core import db
    from tests.items_helpers import build_world, user

    world = build_world(make_org)
    world["unit"].plugin_settings = {"enabled": ["testplugin"]}
    world["sibling_admin"] = user("it-sibling-admin", ("admin", world["sibling"]))
    db.session.commit()
    return world


def grant(**overrides):
    from tests.items_helpers import plan

    defaults = {
        "entry_key": None,
        "item_type": "testplugin.grant",
        "extra": {"amount": "8000.50", "recipients": "12"},
        "scope": "public",
        "channels": ["notice_board", "website"],
    }
    return plan(**{**defaults, **overrides})


def test_hook_item_types(w, english):
    from core.errors import UserError
    from core.items import operations as items
    from core.items import types

    assert set(types.types_for(w["unit"])) == {"testplugin.grant"}
    assert types.types_for(w["sibling"]) == {}  # not enabled there
    item = items.create(w["unit"], grant(), actor=w["editor"])
    assert item.item_type == "testplugin.grant"
    assert item.extra == {"amount": "8000.50", "recipients": 12}  # cleaned per field type
    with pytest.raises(UserError) as refused:
        items.create(w["unit"], grant(extra={"recipients": "many"}), actor=w["editor"])
    assert set(refused.value.problems) == {
        "extra.amount: This field is required.",
        "extra.recipients: Give a whole number.",
    }
    with pytest.raises(UserError) as refused:
        items.create(w["sibling"], grant(), actor=w["sibling_admin"])
    assert "item_type: “testplugin.grant” is not an item type of this unit." in (
        refused.value.problems
    )


def test_item_type_fields_are_in_the_console_form_of_enabling_units_only(w, client, login):
    login("it-editor", "long-enough-pw")
    html = client.get("/admin/o/it-unit/items/new?lang=en").get_data(as_text=True)
    assert "Amount (yuan)" in html and 'name="x_testplugin_grant__amount"' in html
    response = client.post(
        "/admin/o/it-unit/items/new?lang=en",
        data={
            "csrf_token": csrf_token(client, "/admin/o/it-unit/items/new"),
            "entry_key": "~off",
            "title_zh_Hans_CN": "补助发放情况",
            "body_zh_Hans_CN": "发放补助。",
            "scope": "public",
            "channels": ["notice_board"],
            "item_type": "testplugin.grant",
            "x_testplugin_grant__recipients": "3",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (
        'id="x_testplugin_grant__amount-error-1">This field is required.<' in html
    )  # under its field
    login("it-sibling-admin", "long-enough-pw")
    html = client.get("/admin/o/it-sibling/items/new?lang=en").get_data(as_text=True)
    assert "Amount (yuan)" not in html


def test_item_type_values_are_shown_on_the_items_page(w, client, login):
    from core import db
    from core.items import operations as items

    item = items.create(w["unit"], grant(), actor=w["editor"])
    db.session.commit()
    login("it-editor", "long-enough-pw")
    html = client.get(f"/admin/o/it-unit/items/{item.id}?lang=en").get_data(as_text=True)
    assert "<dt>Amount (yuan)</dt><dd>8000.50</dd>" in html
    assert "<dt>Recipients</dt><dd>12</dd>" in html


def test_hook_validate_item(w):
    from core.errors import UserError
    from core.items import operations as items

    problem = "scope: a grant of 10,000 yuan or more is disclosed to the public"
    with pytest.raises(UserError) as refused:  # refuses saving
        items.create(
            w["unit"],
            grant(extra={"amount": "12000"}, scope="unit", channels=["meeting"]),
            actor=w["editor"],
        )
    assert refused.value.problems == [problem]
    item = items.create(w["unit"], grant(extra={"amount": "12000"}), actor=w["editor"])
    with pytest.raises(UserError) as refused:  # ... and updating
        items.update(item, {"scope": "unit", "channels": ["meeting"]}, actor=w["editor"])
    assert refused.value.problems == [problem]
    item.scope = "unit"  # changed behind the operations' back: proposing checks again
    with pytest.raises(UserError) as refused:
        items.propose(item, actor=w["editor"])
    assert refused.value.problems == [problem]
    assert item.state == "draft"
    item.scope = "public"
    items.propose(item, actor=w["editor"])
    assert item.state == "proposed"


def test_validate_item_is_not_asked_where_the_plugin_is_disabled(w, with_plugins):
    from core.items import operations as items
    from tests.items_helpers import plan

    calls = []

    class Recorder:
        @hookimpl
        def validate_item(self, org, item, data):
            calls.append((org.code, data["item_type"], item))
            return []

    with_plugins(recorder=Recorder())
    w["unit"].plugin_settings = {"enabled": ["testplugin", "recorder"]}
    items.create(w["unit"], grant(), actor=w["editor"])
    items.create(w["sibling"], plan(entry_key=None), actor=w["sibling_admin"])
    assert calls == [("it-unit", "testplugin.grant", None)]  # None: a new item


def test_hook_publication_channels(w, english):
    from core.catalogue import operations as cat
    from core.errors import UserError
    from core.items import operations as items

    screen = ["notice_board", "testplugin_screen"]
    item = items.create(w["unit"], grant(channels=screen), actor=w["editor"])
    assert item.channels == screen
    assert cat.channel_labels("en", w["unit"])["testplugin_screen"] == "Electronic screen"
    assert "testplugin_screen" in cat.channels_for_scope("public", w["unit"])
    assert "testplugin_screen" not in cat.channels_for_scope("unit", w["unit"])  # society only
    with pytest.raises(UserError) as refused:
        items.create(
            w["sibling"],
            grant(item_type=None, extra=None, channels=screen),
            actor=w["sibling_admin"],
        )
    assert "channels: Unknown channel “testplugin_screen”." in refused.value.problems
    assert "testplugin_screen" not in cat.channel_labels("en", w["sibling"])


def test_publication_channel_is_offered_in_the_forms_of_enabling_units(w, client, login):
    login("it-editor", "long-enough-pw")
    html = client.get("/admin/o/it-unit/items/new?lang=en").get_data(as_text=True)
    assert 'value="testplugin_screen"' in html and "Electronic screen" in html
    login("it-sibling-admin", "long-enough-pw")
    html = client.get("/admin/o/it-sibling/items/new?lang=en").get_data(as_text=True)
    assert "testplugin_screen" not in html


# --- blueprints, commands and periodic jobs (process-wide, read at app creation) ---------------


def test_hook_register_blueprints(client, test_branch, agency_branch):
    from core import db
    from tenants.operations import get_org

    page = client.get("/o/plug-test/testplugin/?lang=en")
    assert page.status_code == 200
    assert '<h1 class="testplugin-page">Notes of the test plugin</h1>' in page.get_data(True)
    assert client.get("/o/plug-agency/testplugin/").status_code == 404  # not enabled there
    assert client.get("/o/no-such-org/testplugin/").status_code == 404
    get_org("plug-test").plugin_settings = {"disabled": ["testplugin"]}
    db.session.commit()
    assert client.get("/o/plug-test/testplugin/").status_code == 404  # disabled: gone at once


def test_plugin_routes_are_guarded_by_core(app):
    from core.plugins import guard_plugin_route

    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("testplugin.")]
    assert [r.rule for r in rules] == ["/o/<org_code>/testplugin/"]
    blueprints = app.extensions["gongkai.plugin_blueprints"]  # blueprint name -> plugin name
    assert blueprints["testplugin"] == "testplugin"  # (built-in plugins bring theirs too)
    assert guard_plugin_route in app.url_value_preprocessors[None]


def test_hook_register_commands(app, test_branch):
    from core import db

    db.session.add(gongkai_testplugin.Note(org_id=test_branch.id, text="one"))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["testplugin-notes", "plug-test"])
    assert result.exit_code == 0, result.output
    assert result.output == "plug-test: 1 notes\n"
    assert "testplugin-notes" in runner.invoke(main, ["--help"]).output


def test_hook_demo_data(app, test_branch, agency_branch):
    """``gongkai demo load`` loads every installed plugin's demo data after core's, once."""
    from sqlalchemy import select

    from core import db
    from core.cli import plugin_demos

    lines = plugin_demos()
    assert "Test plugin: 1 welcome notes." in lines
    db.session.commit()
    notes = db.session.scalars(select(gongkai_testplugin.Note)).all()
    assert [(n.org_id, n.text) for n in notes] == [(test_branch.id, "welcome to plug-test")]
    assert "Test plugin: 0 welcome notes." in plugin_demos()  # running it again changes nothing


def test_hook_periodic_jobs(app, test_branch, agency_branch, make_org, county):
    from sqlalchemy import select

    from core import db, jobs

    opted_in = make_org("plug-in", parent=county, plugin_settings={"enabled": ["testplugin"]})
    [sweep] = [s for s in jobs.sweeps() if s.name == "plugin:testplugin:note"]
    assert (sweep.interval, sweep.args) == (3600, ("testplugin", "note"))
    jobs.reset_embedded()
    assert jobs.run_sweep("plugin:testplugin:note") == 2  # one job per enabling organisation
    jobs.work_burst()
    notes = db.session.scalars(select(gongkai_testplugin.Note).order_by("text")).all()
    assert [(n.org_id, n.text) for n in notes] == [
        (opted_in.id, "tick for plug-in"),
        (test_branch.id, "tick for plug-test"),
    ]  # written with the organisation the job carried; none for plug-agency
