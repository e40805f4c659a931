"""An organisation's theme (issue 13): the ``classic`` theme (red and gold) beside ``base``,
chosen per organisation in its console; its colours keep WCAG 2.1 AA contrast; the precedence
organisation theme → plugin → base holds for it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import db, themes
from core.audit import AuditEntry
from core.plugins.testing import csrf_token
from tenants.models import Organisation
from tests.feedback_helpers import html, sign_in
from tests.items_helpers import build_world

PAGE = "/admin/o/it-unit/appearance"


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def choose(client, theme: str):
    token = csrf_token(client, PAGE)
    return client.post(PAGE, data={"theme": theme, "csrf_token": token})


def theme_of(code: str) -> str:
    db.session.rollback()
    return db.session.scalar(select(Organisation.theme).where(Organisation.code == code))


def test_an_admin_gives_the_unit_the_classic_theme_and_its_pages_take_it(app, w):
    client = sign_in(app, "it-admin")
    page = html(client.get(PAGE))
    assert 'value="classic"' in page and 'value="base"' in page
    assert "Classic (red and gold)" in page
    response = choose(client, "classic")
    assert response.status_code == 302
    assert theme_of("it-unit") == "classic"
    visitor = app.test_client()
    portal = html(visitor.get("/o/it-unit/"))
    assert "/static/t/classic/gongkai.css" in portal
    assert "/static/t/base/gongkai.css" in html(visitor.get("/o/it-sibling/"))  # its own choice
    css = visitor.get("/static/t/classic/gongkai.css").get_data(as_text=True)
    assert '@import url("../base/gongkai.css")' in css  # the base rules, recoloured
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.update"))
    assert entry.changes["theme"] == ["base", "classic"] and entry.actor_id == w["admin"].id
    choose(client, "base")
    assert theme_of("it-unit") == "base"


def test_a_theme_that_is_not_installed_is_refused_and_nothing_changes(app, w):
    client = sign_in(app, "it-admin", lang="zh_Hans_CN")
    response = choose(client, "../../etc")
    assert response.status_code == 400
    page = html(response)
    assert "主题“../../etc”未安装" in page or "请选择所列主题之一" in page
    assert 'aria-invalid="true"' in page
    assert theme_of("it-unit") == "base"


def test_only_admins_of_the_unit_or_above_choose(app, w):
    for username in ("it-admin", "it-county-admin"):
        assert sign_in(app, username).get(PAGE).status_code == 200, username
    for username in (
        "it-editor",
        "it-reviewer",
        "it-member",
        "it-bureau-reviewer",
        "it-other-member",
    ):
        client = sign_in(app, username)
        assert client.get(PAGE).status_code == 403, username
        token = csrf_token(client, "/notifications")
        assert client.post(PAGE, data={"theme": "classic", "csrf_token": token}).status_code == 403
    assert theme_of("it-unit") == "base"


# --- contrast ----------------------------------------------------------------------------------


def luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colours(theme: str) -> dict[str, str]:
    css = (themes.THEMES_DIR / theme / "static" / "gongkai.css").read_text(encoding="utf-8")
    root = re.search(r":root\s*\{([^}]*)\}", css).group(1)
    return dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", root))


@pytest.mark.parametrize("theme", ["base", "classic"])
def test_the_themes_text_colours_keep_aa_contrast(theme):
    c = colours(theme)
    assert contrast(c["ink"], c["bg"]) >= 4.5  # body text
    assert contrast(c["muted"], c["bg"]) >= 4.5  # hints, dates
    assert contrast(c["red"], c["bg"]) >= 4.5  # links
    assert contrast(c["red"], "#ffffff") >= 4.5  # links on panels, header text on red
    assert (
        contrast("#767676", "#ffffff") >= 4.5 > contrast("#777777", "#ffffff")
    )  # the check's edge


# --- precedence --------------------------------------------------------------------------------


def test_precedence_is_the_organisations_theme_then_plugins_then_base(app, w):
    """An organisation with the classic theme and an enabled plugin: a template the theme has
    comes from the theme, one only the plugin has from the plugin, the rest from base."""
    from flask import g

    unit = db.session.get(Organisation, w["unit"].id)
    unit.theme = "classic"
    unit.plugin_settings = {"enabled": ["testplugin"]}
    db.session.commit()
    with app.test_request_context("/o/it-unit/"):
        g.org = unit
        chain = themes.chain()
        assert chain == ["theme:classic", "plugin:testplugin", "theme:base"]
        assert themes.names("layout.html")[0] == "theme:classic/layout.html"
        # classic has no templates of its own: the layout falls through to base
        assert themes.theme_template("layout.html").name == "theme:base/layout.html"
        assert themes.theme_static("gongkai.css") == "/static/t/classic/gongkai.css"
        assert themes.theme_static("testplugin.css") == "/static/p/testplugin/testplugin.css"
        assert themes.theme_static("screen.css") == "/static/t/base/screen.css"
