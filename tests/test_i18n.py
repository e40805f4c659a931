"""Language selection, right-to-left rendering and complete catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core import db
from tenants import operations

I18N = Path(__file__).resolve().parent.parent / "i18n"


@pytest.fixture
def unit(make_org):
    county = make_org("lang-county", type_code="county_committee", default_locale="zh_Hans_CN")
    return make_org(
        "lang-unit", parent=county, default_locale="ug",
        names={"zh_Hans_CN": {"full": "测试党支部"}, "ug": {"full": "سىناق ياچېيكىسى"}},
    )  # fmt: skip


def lang_of(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index("<html")
    return html[start : html.index(">", start)]


def test_default_language_is_chinese(client):
    response = client.get("/")
    assert 'lang="zh-Hans-CN" dir="ltr"' in lang_of(response)
    assert "托管的县（市）" in response.get_data(as_text=True)


def test_query_parameter_selects_and_is_remembered_in_a_cookie(client):
    response = client.get("/?lang=en")
    assert 'lang="en"' in lang_of(response)
    assert "Hosted counties" in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    # the cookie alone keeps the choice on the next page
    assert 'lang="en"' in lang_of(client.get("/"))


def test_uyghur_is_right_to_left(client, unit):
    response = client.get("/o/lang-unit/?lang=ug")
    assert 'lang="ug" dir="rtl"' in lang_of(response)
    html = response.get_data(as_text=True)
    assert "سىناق ياچېيكىسى" in html
    assert "تۆۋەن دەرىجىلىك ئورۇنلار" in html  # "Subordinate units" in Uyghur


def test_accept_language_comes_before_the_organisation_default(client, unit):
    response = client.get("/o/lang-unit/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert 'lang="en"' in lang_of(response)


def test_organisation_default_when_nothing_else_asks(client, unit):
    assert 'lang="ug" dir="rtl"' in lang_of(client.get("/o/lang-unit/"))
    assert 'lang="zh-Hans-CN"' in lang_of(client.get("/o/lang-county/"))


def test_query_parameter_beats_cookie_and_accept_language(client, unit):
    client.set_cookie("lang", "en")
    response = client.get("/o/lang-unit/?lang=zh_Hans_CN", headers={"Accept-Language": "ug"})
    assert 'lang="zh-Hans-CN"' in lang_of(response)


def test_cookie_beats_accept_language(client):
    client.set_cookie("lang", "ug")
    assert 'lang="ug"' in lang_of(client.get("/", headers={"Accept-Language": "en"}))


def test_user_setting_comes_first(client, unit, login):
    operations.create_user("lang-user", password="long-enough-pw", locale="en")
    db.session.commit()
    assert login("lang-user", "long-enough-pw").status_code == 302
    response = client.get("/o/lang-unit/?lang=ug")
    assert 'lang="en"' in lang_of(response)


def test_unknown_language_falls_back(client):
    assert 'lang="zh-Hans-CN"' in lang_of(client.get("/?lang=xx"))
    assert 'lang="zh-Hans-CN"' in lang_of(client.get("/", headers={"Accept-Language": "fr"}))


def test_language_switcher_on_every_page(client, unit):
    html = client.get("/o/lang-unit/").get_data(as_text=True)
    for code in ("zh_Hans_CN", "en", "ug"):
        assert f'href="?lang={code}"' in html


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "ug"])
def test_catalog_is_complete(locale):
    """Every UI string is translated (no empty or fuzzy entries) for the shipped languages."""
    with (I18N / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    with (I18N / "messages.pot").open("rb") as f:
        template = read_po(f)
    assert {m.id for m in template if m.id} <= {m.id for m in catalog if m.id}, "run make i18n"
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_catalog_folders_use_the_flask_babel_names():
    assert (I18N / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").exists()
    assert not (I18N / "zh_CN").exists()
