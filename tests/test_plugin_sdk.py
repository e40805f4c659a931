"""The plugin SDK: the scaffold, per-plugin migrations and translations, template and static
precedence, and per-organisation enablement in the console and the CLI.

The scaffold test follows plugins/README.md as a plugin author would: ``gongkai plugins new``,
``pip install`` (into a temporary folder, never into the project's environment), discovery
through the real entry points, and the package's own generated tests run with pytest.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from flask import g
from flask_babel import force_locale, gettext
from sqlalchemy import inspect, select

from core import db, migrations, themes
from core.app import create_app
from core.audit import AuditEntry
from core.cli import main
from core.plugins import Plugins
from core.plugins.testing import csrf_token
from tenants import operations as tenants
from tenants.operations import get_org

PASSWORD = "long-enough-pw"


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=900, check=False, **kwargs)


# --- gongkai plugins new: scaffold, install, discover, its own tests ---------------------------


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    """``gongkai plugins new greeter`` in a temporary folder, pip-installed into another one."""
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("scaffold")
    result = CliRunner().invoke(main, ["plugins", "new", "greeter", "--dir", str(folder / "src")])
    assert result.exit_code == 0, result.output
    root = folder / "src" / "gongkai-greeter"
    target = folder / "site"
    pip = run(sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target),
              str(root))  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return root, target


def test_scaffold_writes_a_complete_plugin_package(scaffolded):
    root, _target = scaffolded
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert {
        "pyproject.toml",
        "README.md",
        "gongkai_greeter/__init__.py",
        "gongkai_greeter/migrations/greeter_0001_initial.py",
        "gongkai_greeter/translations/zh_Hans_CN/LC_MESSAGES/greeter.po",
        "tests/test_greeter.py",
    } <= files
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."gongkai.plugins"]\ngreeter = "gongkai_greeter"' in pyproject
    migration = (root / "gongkai_greeter/migrations/greeter_0001_initial.py").read_text("utf-8")
    assert 'branch_labels = ("greeter",)' in migration
    from core.plugins.cli import core_head

    assert f'depends_on = "{core_head()}"' in migration


def test_installed_scaffold_answers_for_organisations_that_enable_it_only(
    scaffolded, app, app_settings, make_org, monkeypatch
):
    _root, target = scaffolded
    monkeypatch.syspath_prepend(str(target))
    monkeypatch.delitem(sys.modules, "gongkai_greeter", raising=False)
    importlib.invalidate_caches()
    plugins = Plugins()  # the real entry-point discovery, with the target folder on sys.path
    [info] = [i for i in plugins.info() if i.name == "greeter"]
    assert (info.distribution, info.version, info.hooks) == (
        "gongkai-greeter",
        "0.1.0",
        ("portal_panels",),
    )
    assert plugins.folders("migrations")["greeter"] == target / "gongkai_greeter" / "migrations"
    county = make_org("greet-county", type_code="county_committee")
    on = make_org("greet-on", parent=county, plugin_settings={"enabled": ["greeter"]})
    off = make_org("greet-off", parent=county)
    [[panel]] = plugins.relay(on).portal_panels(org=on, locale="en")
    assert panel["title"] == "Greeter"
    assert plugins.relay(off).portal_panels(org=off, locale="en") == []
    client = create_app(plugins=plugins, **app_settings).test_client()
    assert "greeter-panel" in client.get("/o/greet-on/").get_data(as_text=True)
    assert "来自 Greeter 的问候。" in client.get("/o/greet-on/").get_data(as_text=True)
    assert "greeter-panel" not in client.get("/o/greet-off/").get_data(as_text=True)


def developer_python(folder) -> str:
    """A new virtual environment in which Gongkai is installed, as in a plugin developer's: it
    sees this environment's packages (a ``.pth`` adds its site-packages as a site directory, so
    Gongkai's own editable install and entry points count) and gets its own packages."""
    made = run(sys.executable, "-m", "venv", "--without-pip", str(folder))
    assert made.returncode == 0, made.stdout + made.stderr
    python = str(folder / "bin" / "python")
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    host = sysconfig.get_paths()["purelib"]
    (Path(site.stdout.strip()) / "gongkai_host.pth").write_text(
        f"import site; site.addsitedir({host!r})\n", encoding="utf-8"
    )
    return python


@pytest.mark.parametrize("name", ["greeter", "zz_probe", "a1_b2_c3", "q_"])
def test_a_scaffolded_plugin_installs_and_passes_its_own_tests(name, tmp_path):
    """plugins/README.md's path: ``gongkai plugins new NAME``, ``pip install -e`` into Gongkai's
    environment, ``cd`` into it and ``pytest``: the generated tests pass (the panel shows on
    the portal of the organisation that enables the plugin only, translated), and Gongkai
    discovers the plugin by its entry point with its hook."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGKAI_", "PYTHONPATH"))}
    python = developer_python(tmp_path / "venv")
    made = run(python, "-m", "core.cli", "plugins", "new", name, "--dir", str(tmp_path / "src"),
               env=env, cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    [root] = (tmp_path / "src").iterdir()
    pip = run(python, "-m", "pip", "install", "-e", str(root), env=env, cwd=tmp_path)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    assert "Package would be ignored" not in pip.stdout + pip.stderr
    tests = run(python, "-m", "pytest", "-q", "-p", "no:randomly", env=env, cwd=root)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
    found = run(python, "-c", "from core.plugins import Plugins\n"
                f"[i] = [i for i in Plugins().info() if i.name == {name!r}]\n"
                "print(i.distribution, i.hooks)", env=env, cwd=tmp_path)  # fmt: skip
    assert found.returncode == 0, found.stdout + found.stderr
    assert found.stdout.split() == [root.name, "('portal_panels',)"]


def test_scaffolded_plugin_gets_its_own_migration_branch(scaffolded, tmp_path):
    """The README's path: a model, ``gongkai plugins revision``, ``gongkai db upgrade``."""
    _root, target = scaffolded
    site = tmp_path / "site"
    shutil.copytree(target, site)
    package = site / "gongkai_greeter" / "__init__.py"
    package.write_text(
        package.read_text(encoding="utf-8").replace(
            "from core.toolkit import ",
            "from sqlalchemy import String\nfrom sqlalchemy.orm import Mapped, mapped_column\n\n"
            "from core.toolkit import Base, ",
        )
        + '\n\nclass Greeting(Base):\n    __tablename__ = "greeter_greetings"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    text: Mapped[str] = mapped_column(String(100))\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'plugin.sqlite'}"
    env = {**os.environ, "PYTHONPATH": str(site), "GONGKAI_DATABASE_URL": url,
           "GONGKAI_INSTANCE_PATH": str(tmp_path / "instance")}  # fmt: skip
    gongkai = [sys.executable, "-m", "core.cli"]
    for command in (["db", "upgrade"], ["plugins", "revision", "greeter", "-m", "greetings"]):
        result = run(*gongkai, *command, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    [generated] = [
        p for p in (site / "gongkai_greeter" / "migrations").glob("*.py") if "greetings" in p.name
    ]
    text = generated.read_text(encoding="utf-8")
    assert "greeter_greetings" in text and "down_revision = 'greeter_0001'" in text
    assert "organisations" not in text  # only the plugin's own table
    result = run(*gongkai, "db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    tables = inspect(db.get_engine(url)).get_table_names()
    assert "greeter_greetings" in tables


def string_constants(path) -> list[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


@pytest.mark.parametrize(
    ("name", "title", "human"),
    [
        ("ab", None, "Ab"),
        ("a" * 40, None, "A" + "a" * 39),
        ("x_", None, "X"),
        ("a__b_9", None, "A b 9"),
        ("zz_probe", 'Ma\'s "Z" \\ 探针', 'Ma\'s "Z" \\ 探针'),
    ],
)
def test_the_scaffold_holds_for_the_edges_of_the_name_pattern_and_any_title(
    name, title, human, tmp_path
):
    """Without installing: what the installed package and its tests rely on holds for the edges
    of the name pattern (length, digits, ``_`` doubled or last) and a title with quotes."""
    import tomllib

    from babel.messages.pofile import read_po

    from core.plugins.cli import scaffold
    from tenants.models import CODE_PATTERN

    root = scaffold(name, tmp_path, title=title)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    dist = pyproject["project"]["name"]
    assert re.fullmatch(r"gongkai(-[a-z0-9]+)+", dist) and dist == root.name  # PEP 508 names
    assert pyproject["project"]["entry-points"]["gongkai.plugins"] == {name: f"gongkai_{name}"}
    package = root / f"gongkai_{name}"
    for source in root.rglob("*.py"):
        compile(source.read_text(encoding="utf-8"), str(source), "exec")
    test = root / "tests" / f"test_{name}.py"
    codes = re.findall(r'make_org\(\s*"([^"]+)"', test.read_text(encoding="utf-8"))
    assert len(codes) == 5 and all(re.match(CODE_PATTERN, code) for code in codes)
    # the panel's text, its Chinese translation and the generated test's expectation agree
    with (package / "translations/zh_Hans_CN/LC_MESSAGES" / f"{name}.po").open("rb") as fp:
        catalog = read_po(fp)
    assert f"Hello from {human}." in string_constants(package / "__init__.py")
    assert catalog.get(f"Hello from {human}.").string == f"来自 {human} 的问候。"
    assert f"来自 {human} 的问候。" in string_constants(test)


@pytest.mark.parametrize("title", ["x" * 81, "bell\a", "   "])
def test_scaffold_refuses_a_title_that_is_not_one_short_line(title, tmp_path):
    from click.testing import CliRunner

    bad = CliRunner().invoke(
        main, ["plugins", "new", "greeter", "--dir", str(tmp_path), "--title", title]
    )
    assert bad.exit_code == 2 and "is not a title" in bad.output
    assert list(tmp_path.iterdir()) == []
    assert (
        CliRunner()
        .invoke(main, ["plugins", "new", "greeter", "--dir", str(tmp_path), "--title", "x" * 80])
        .exit_code
        == 0
    )


def test_scaffold_refuses_a_bad_name_and_an_existing_folder(tmp_path):
    from click.testing import CliRunner

    runner = CliRunner()
    bad = runner.invoke(main, ["plugins", "new", "Bad-Name", "--dir", str(tmp_path)])
    assert bad.exit_code == 2 and "is not a plugin name" in bad.output
    assert runner.invoke(main, ["plugins", "new", "twice", "--dir", str(tmp_path)]).exit_code == 0
    again = runner.invoke(main, ["plugins", "new", "twice", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "exists already" in again.output


# --- per-plugin migrations -------------------------------------------------------------------


def test_the_test_plugins_branch_is_migrated_with_core(app):
    url = app.config["DATABASE_URL"]
    # (the built-in plugins' branches are heads too; those that depend on core's latest
    # revision make it no head of its own, so core is checked by its current revision)
    assert "testplugin_0002" in migrations.heads(url) and migrations.current(url)
    assert "testplugin_notes" in inspect(db.session.get_bind()).get_table_names()


def test_a_plugin_branch_downgrades_and_upgrades_on_its_own(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    migrations.upgrade(url)
    core_revision = migrations.current(url)
    migrations.downgrade(url, "testplugin@base")
    assert "testplugin_0002" not in migrations.heads(url)
    assert migrations.current(url) == core_revision
    assert "testplugin_notes" not in inspect(db.get_engine(url)).get_table_names()
    migrations.upgrade(url)
    assert "testplugin_0002" in migrations.heads(url) and migrations.current(url) == core_revision
    assert "testplugin_notes" in inspect(db.get_engine(url)).get_table_names()


# --- translations: enabled plugins' domains, then core, then the other plugins -----------------


@pytest.fixture
def county(make_org):
    return make_org("sdk-county", type_code="county_committee")


@pytest.fixture
def test_branch(make_org, county):
    return make_org("sdk-test", parent=county, sector="testsector")  # enables the test plugin


@pytest.fixture
def agency_branch(make_org, county):
    return make_org("sdk-agency", parent=county)


def test_plugin_domain_comes_before_core_where_the_plugin_is_enabled(
    client, test_branch, agency_branch
):
    enabled = client.get("/o/sdk-test/?lang=en").get_data(as_text=True)
    assert "Give feedback to the test sector" in enabled  # the plugin's catalog wins
    other = client.get("/o/sdk-agency/?lang=en").get_data(as_text=True)
    assert "Give feedback to the test sector" not in other and "Give feedback" in other
    chinese = client.get("/o/sdk-test/?lang=zh_Hans_CN").get_data(as_text=True)
    assert "测试面板" in chinese  # the plugin's own message, from its .po file
    assert "来自测试插件" in chinese
    assert "公开目录" in chinese or "目录" in chinese  # core's messages still translated


def test_without_an_organisation_core_comes_first_except_for_a_plugins_own_pages(
    app, agency_branch
):
    from core.i18n import as_plugin

    with force_locale("zh_Hans_CN"):
        assert gettext("Test panel") == "Test panel"  # no organisation: core only
        with as_plugin("testplugin"):  # a page of the plugin, its description in the console
            assert gettext("Test panel") == "测试面板"
    g.org = agency_branch  # an organisation that does not enable the test plugin
    with force_locale("zh_Hans_CN"):
        assert gettext("Test panel") == "Test panel"
    with force_locale("en"):
        assert gettext("Give feedback") == "Give feedback"


def test_compiled_catalog_is_used_when_it_is_newer(tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from core.i18n import plugin_catalog

    folder = tmp_path / "zh_Hans_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "demo.po").write_text('msgid "Hi"\nmsgstr "你好（po）"\n', encoding="utf-8")
    assert plugin_catalog(tmp_path, "zh_Hans_CN", "demo").gettext("Hi") == "你好（po）"
    catalog = Catalog(locale="zh_Hans_CN", domain="demo")
    catalog.add("Hi", "你好（mo）")
    with (folder / "demo.mo").open("wb") as fp:
        write_mo(fp, catalog)
    assert plugin_catalog(tmp_path, "zh_Hans_CN", "demo").gettext("Hi") == "你好（mo）"
    assert plugin_catalog(tmp_path, "en", "demo") is None


# --- templates and static files: organisation theme → enabled plugins → base -----------------


@pytest.fixture
def layered_app(app_settings, tmp_path, monkeypatch):
    """Themes base and red (layout), a plugin ``layers`` with a layout and a stylesheet."""
    folder = tmp_path / "themes"
    shutil.copytree(themes.THEMES_DIR / "base", folder / "base")
    layout = (folder / "base" / "templates" / "layout.html").read_text(encoding="utf-8")
    red = folder / "red"
    (red / "templates").mkdir(parents=True)
    (red / "theme.toml").write_text('name = "red"\n', encoding="utf-8")
    (red / "templates" / "layout.html").write_text(
        re.sub(r"<body[^>]*>", '<body class="theme-red">', layout, count=1), encoding="utf-8"
    )
    monkeypatch.setattr(themes, "THEMES_DIR", folder)
    package = tmp_path / "plugins" / "sdk_layers"
    (package / "templates").mkdir(parents=True)
    (package / "static").mkdir()
    (package / "__init__.py").write_text('"""Layers."""\n', encoding="utf-8")
    (package / "templates" / "layout.html").write_text(
        re.sub(r"<body[^>]*>", '<body class="plugin-layers">', layout, count=1), encoding="utf-8"
    )
    (package / "static" / "gongkai.css").write_text("body { color: green; }", encoding="utf-8")
    spec = importlib.util.spec_from_file_location(
        "sdk_layers", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return create_app(plugins=Plugins(extra={"layers": module}), **app_settings)


def test_templates_and_static_files_resolve_theme_then_plugins_then_base(layered_app, make_org):
    county = make_org("layer-county", type_code="county_committee")
    both = {"theme": "red", "plugin_settings": {"enabled": ["layers"]}}
    make_org("layer-both", parent=county, **both)
    make_org("layer-plugin", parent=county, plugin_settings={"enabled": ["layers"]})
    client = layered_app.test_client()
    page = client.get("/o/layer-both/").get_data(as_text=True)
    assert 'class="theme-red"' in page  # the organisation's theme wins over the plugin
    assert "/static/p/layers/gongkai.css" in page  # red has no stylesheet: the plugin's
    page = client.get("/o/layer-plugin/").get_data(as_text=True)
    assert 'class="plugin-layers"' in page and "/static/p/layers/gongkai.css" in page
    page = client.get("/o/layer-county/").get_data(as_text=True)  # does not enable it
    assert "plugin-layers" not in page and "/static/t/base/gongkai.css" in page
    assert client.get("/static/p/layers/gongkai.css").get_data(as_text=True).startswith("body")
    assert client.get("/static/p/layers/../__init__.py").status_code == 404
    assert client.get("/static/p/nope/gongkai.css").status_code == 404


def test_the_test_plugins_static_file_is_served(client):
    response = client.get("/static/p/testplugin/testplugin.css")
    assert response.status_code == 200
    assert "border-block-end" in response.get_data(as_text=True)


# --- enablement per organisation: the console --------------------------------------------------


@pytest.fixture
def people(test_branch, agency_branch, county):
    made = {}
    for username, role, org in (
        ("sdk-admin", "admin", test_branch),
        ("sdk-county-admin", "admin", county),
        ("sdk-editor", "editor", test_branch),
        ("sdk-member", "member", test_branch),
        ("sdk-other-admin", "admin", agency_branch),
    ):
        made[username] = tenants.create_user(username, password=PASSWORD)
        tenants.grant_membership(made[username], org, role)
    db.session.commit()
    return made


def post_choice(client, code, plugin, choice, **extra):
    page = f"/admin/o/{code}/plugins"
    data = {"csrf_token": csrf_token(client, page), "plugin": plugin, "choice": choice, **extra}
    return client.post(page, data=data)


def test_console_lists_installed_plugins_with_the_sector_defaults(client, login, people):
    login("sdk-admin", PASSWORD)
    html = client.get("/admin/o/sdk-test/plugins?lang=en").get_data(as_text=True)
    assert "<code>testplugin</code>" in html
    assert "The test suite&#39;s plugin: one sector, a panel, an item type and a page." in html
    assert "enabled by default" in html and "As the sector decides" in html
    # the built-in plugins are listed too: look at the test plugin's buttons
    hidden = '<span class="visually-hidden" translate="no">: testplugin</span>'
    assert f'value="disabled" class="danger">Disable{hidden}' in html
    assert f'value="enabled">Enable{hidden}' not in html
    chinese = client.get("/admin/o/sdk-test/plugins?lang=zh_Hans_CN").get_data(as_text=True)
    assert "测试用插件：一个行业、一个面板、一种事项类型和一个页面。" in chinese  # plugin's domain
    html = client.get("/admin/o/sdk-test/items?lang=en").get_data(as_text=True)
    assert 'href="/admin/o/sdk-test/plugins"' in html  # the console's tab


@pytest.mark.parametrize("who", ["sdk-admin", "sdk-county-admin"])
def test_admins_of_the_unit_or_above_enable_and_disable(client, login, people, who):
    login(who, PASSWORD)
    response = post_choice(client, "sdk-test", "testplugin", "disabled")
    assert response.status_code == 302
    assert get_org("sdk-test").plugin_settings == {"disabled": ["testplugin"]}
    assert client.get("/o/sdk-test/testplugin/").status_code == 404  # its routes are gone
    assert post_choice(client, "sdk-test", "testplugin", "default").status_code == 302
    assert get_org("sdk-test").plugin_settings == {}
    assert client.get("/o/sdk-test/testplugin/").status_code == 200
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "organisation.plugins").order_by("id")
    ).all()
    assert [(e.actor_label, e.changes["choice"], e.changes["enabled"]) for e in entries] == [
        (who, ["default", "disabled"], [True, False]),
        (who, ["disabled", "default"], [False, True]),
    ]
    html = client.get("/admin/o/sdk-test/plugins?lang=en").get_data(as_text=True)
    assert "testplugin was disabled." in html
    assert "testplugin follows the sector default again (now enabled)." in html


def test_enabling_a_plugin_outside_its_sector(client, login, people):
    login("sdk-other-admin", PASSWORD)
    assert client.get("/o/sdk-agency/testplugin/").status_code == 404
    assert post_choice(client, "sdk-agency", "testplugin", "enabled").status_code == 302
    assert get_org("sdk-agency").plugin_settings == {"enabled": ["testplugin"]}
    assert client.get("/o/sdk-agency/testplugin/").status_code == 200


@pytest.mark.parametrize("who", ["sdk-editor", "sdk-member", "sdk-other-admin"])
def test_others_may_not_see_or_change_the_plugins_page(client, login, people, who):
    login(who, PASSWORD)
    assert client.get("/admin/o/sdk-test/plugins").status_code == 403
    token = csrf_token(client, "/auth/login")
    data = {"csrf_token": token, "plugin": "testplugin", "choice": "disabled"}
    assert client.post("/admin/o/sdk-test/plugins", data=data).status_code == 403
    assert get_org("sdk-test").plugin_settings == {}


def test_anonymous_visitors_are_sent_to_sign_in(client, people):
    response = client.get("/admin/o/sdk-test/plugins")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_form_needs_its_csrf_token_and_an_installed_plugin(client, login, people):
    login("sdk-admin", PASSWORD)
    data = {"plugin": "testplugin", "choice": "disabled"}
    assert client.post("/admin/o/sdk-test/plugins", data=data).status_code == 400
    assert get_org("sdk-test").plugin_settings == {}
    response = post_choice(client, "sdk-test", "not-installed", "enabled")
    assert response.status_code == 400
    assert "No plugin named" in response.get_data(as_text=True)
    assert get_org("sdk-test").plugin_settings == {}


# --- enablement per organisation: the commands -------------------------------------------------


def test_plugins_enable_disable_and_default_commands(app, test_branch, agency_branch):
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["plugins", "enable", "testplugin", "--org", "sdk-agency"])
    assert result.exit_code == 0, result.output
    assert result.output == "testplugin for sdk-agency: enabled (enabled).\n"
    result = runner.invoke(main, ["plugins", "disable", "testplugin", "--org", "sdk-test"])
    assert result.output == "testplugin for sdk-test: disabled (not enabled).\n"
    plugins = app.extensions["gongkai.plugins"]
    assert plugins.is_enabled(get_org("sdk-agency"), "testplugin")
    assert not plugins.is_enabled(get_org("sdk-test"), "testplugin")
    result = runner.invoke(main, ["plugins", "default", "testplugin", "--org", "sdk-test"])
    assert result.output == "testplugin for sdk-test: default (enabled).\n"
    [entry, *_rest] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "organisation.plugins").order_by("id")
    ).all()
    assert entry.actor_label == "system"
    refused = runner.invoke(main, ["plugins", "enable", "nope", "--org", "sdk-test"])
    assert refused.exit_code == 2 and "No plugin named 'nope'" in refused.output
    refused = runner.invoke(main, ["plugins", "enable", "testplugin", "--org", "nope"])
    assert refused.exit_code == 2 and "No organisation" in refused.output
