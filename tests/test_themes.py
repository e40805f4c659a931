"""Theme resolution: the organisation's theme, then enabled plugins, then themes/base."""

from __future__ import annotations

import shutil

import pytest

from core import themes
from core.app import create_app

BODY = '<body class="{% block body_class %}{% endblock %}">'  # the base layout's


@pytest.fixture
def themed_app(app_settings, tmp_path, monkeypatch):
    """An app whose themes folder holds base and a 'red' theme overriding the layout only."""
    folder = tmp_path / "themes"
    shutil.copytree(themes.THEMES_DIR / "base", folder / "base")
    red = folder / "red"
    (red / "templates").mkdir(parents=True)
    (red / "static").mkdir()
    (red / "theme.toml").write_text('name = "red"\n', encoding="utf-8")
    layout = (folder / "base" / "templates" / "layout.html").read_text(encoding="utf-8")
    (red / "templates" / "layout.html").write_text(
        layout.replace(BODY, BODY.replace('class="', 'class="theme-red')), encoding="utf-8"
    )
    (red / "static" / "gongkai.css").write_text("body { color: red; }", encoding="utf-8")
    monkeypatch.setattr(themes, "THEMES_DIR", folder)
    return create_app(**app_settings)


def test_themes_are_discovered(themed_app):
    assert set(themed_app.extensions["gongkai.themes"]) == {"base", "red"}


def test_organisation_theme_overrides_the_layout_and_falls_back_to_base(themed_app, make_org):
    county = make_org("theme-county", type_code="county_committee")
    make_org("theme-red", parent=county, theme="red")
    client = themed_app.test_client()
    red = client.get("/o/theme-red/").get_data(as_text=True)
    assert 'class="theme-red"' in red  # layout from the red theme
    assert "该党组织没有下级单位" in red  # page body from base
    assert "/static/t/red/gongkai.css" in red  # static from the red theme
    plain = client.get("/o/theme-county/").get_data(as_text=True)
    assert 'class="theme-red"' not in plain
    assert "/static/t/base/gongkai.css" in plain


def test_theme_static_files_are_served(client):
    response = client.get("/static/t/base/gongkai.css")
    assert response.status_code == 200
    assert "inset-inline-start" in response.get_data(as_text=True)
    assert client.get("/static/t/nope/gongkai.css").status_code == 404
    assert client.get("/static/t/base/../theme.toml").status_code == 404


def test_base_css_uses_logical_properties_only():
    css = (themes.THEMES_DIR / "base" / "static" / "gongkai.css").read_text(encoding="utf-8")
    for physical in (
        "margin-left",
        "margin-right",
        "padding-left",
        "padding-right",
        "text-align: left",
    ):
        assert physical not in css
