"""A county's branding (issue 13, "Themes"): its display name per language, its emblem and its
colours, set in the county's console by its admins, shown on every public and console page of
its subtree and nowhere else; colours keep WCAG 2.1 AA contrast (BRAND-1); the theme precedence
organisation theme → plugin → base still holds."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from core import db, themes
from core.appearance import branding, contrast
from core.appearance.models import CountyAppearance
from core.audit import AuditEntry
from core.plugins.testing import csrf_token
from tenants.models import Organisation
from tests.feedback_helpers import html, sign_in
from tests.items_helpers import build_world

PAGE = "/admin/o/it-county/appearance/branding"


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def picture(fmt: str = "PNG", size=(64, 48), colour=(155, 17, 30), exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def post(client, data: dict, emblem: tuple[str, bytes] | None = None, path: str = PAGE):
    form = {
        "csrf_token": csrf_token(client, "/notifications"),
        "display_name_zh_Hans_CN": "红星县党务公开",
        "display_name_en": "",
        "display_name_ug": "",
        "primary": "",
        "accent": "",
        **data,
    }
    if emblem is not None:
        form["emblem"] = (io.BytesIO(emblem[1]), emblem[0])
    return client.post(path, data=form, content_type="multipart/form-data")


def row() -> CountyAppearance | None:
    db.session.rollback()
    return db.session.scalar(select(CountyAppearance))


def audits() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "appearance.branding")
    )


def brand(app, **data) -> None:
    client = sign_in(app, "it-county-admin")
    emblem = data.pop("emblem", ("emblem.png", picture()))
    response = post(client, data, emblem)
    assert response.status_code == 302, html(response)


# --- the contrast rule ---------------------------------------------------------------------


def test_contrast_ratio_follows_wcag():
    assert contrast.ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast.ratio("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast.ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    assert contrast.ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.005)
    assert contrast.ratio("#9b111e", "#fffaf0") == contrast.ratio("#fffaf0", "#9b111e")
    assert contrast.shown(4.4999) == "4.49"  # never rounded up over the line
    with pytest.raises(ValueError):
        contrast.parse("#12345")


@pytest.mark.rule("BRAND-1")
def test_a_primary_colour_just_under_aa_is_refused_with_its_ratio_and_just_over_accepted(app, w):
    client = sign_in(app, "it-county-admin")
    response = post(client, {"primary": "#777777", "display_name_en": "Red Star"})
    assert response.status_code == 400
    page = html(response)
    assert "4.47:1" in page and "4.5:1" in page
    assert 'value="Red Star"' in page  # what was typed is kept
    assert row() is None and audits() == 0
    assert post(client, {"primary": "#767676"}).status_code == 302
    assert row().primary_colour == "#767676"


@pytest.mark.rule("BRAND-1")
def test_an_accent_colour_just_under_aa_on_the_page_background_is_refused_and_just_over_accepted(
    app, w
):
    client = sign_in(app, "it-county-admin", lang="zh_Hans_CN")
    response = post(client, {"accent": "#747474"})
    assert response.status_code == 400
    page = html(response)
    assert "4.47:1" in page and "对比度" in page  # translated, with the measured ratio
    assert row() is None
    assert post(client, {"accent": "#737373"}).status_code == 302
    assert row().accent_colour == "#737373"


@pytest.mark.rule("BRAND-1")
def test_the_backgrounds_checked_are_those_of_the_installed_themes():
    for name in themes.available():
        css = (themes.THEMES_DIR / name / "static" / "gongkai.css").read_text(encoding="utf-8")
        root = re.search(r":root\s*\{([^}]*)\}", css).group(1)
        background = re.search(r"--bg:\s*(#[0-9a-fA-F]{6})", root)
        if background:
            assert background.group(1).lower() in branding.PAGE_BACKGROUNDS, name


def test_a_colour_that_is_no_colour_is_refused(app, w):
    client = sign_in(app, "it-county-admin")
    for bad in ("red", "#12345", "#gggggg", "url(x)", "#123456;}a{"):
        response = post(client, {"primary": bad})
        assert response.status_code == 400, bad
        assert "six hexadecimal digits" in html(response)
    assert row() is None


# --- the emblem ----------------------------------------------------------------------------


def test_upload_refusals_are_translated_and_lose_nothing_saved(app, w):
    brand(app, display_name_en="Red Star County", primary="#9b111e")
    saved = row()
    client = sign_in(app, "it-county-admin", lang="zh_Hans_CN")
    gif = io.BytesIO()
    Image.new("RGB", (32, 32)).save(gif, "GIF")
    webp = io.BytesIO()
    Image.new("RGB", (32, 32)).save(webp, "WEBP")
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (branding.EMBLEM_MAX_BYTES + 1)
    broken = picture()[:60]
    cases = [
        (("emblem.png", gif.getvalue()), "PNG 或 JPEG"),
        (("emblem.png", b"<html><script>alert(1)</script></html>"), "PNG 或 JPEG"),
        (("emblem.webp", webp.getvalue()), "PNG 或 JPEG"),
        (("emblem.png", big), "2 MB"),
        (("emblem.png", broken), "损坏"),
    ]
    for upload, words in cases:
        response = post(client, {"display_name_en": "Changed"}, upload)
        assert response.status_code == 400, upload[0]
        page = html(response)
        assert words in page, (upload[0], page[page.find("error") : page.find("error") + 400])
        assert 'lang="zh-Hans-CN"' in page
    after = row()
    assert after.sha256 == saved.sha256 and after.storage_key == saved.storage_key
    assert (
        after.display_names
        == saved.display_names
        == {
            "zh_Hans_CN": "红星县党务公开",
            "en": "Red Star County",
        }
    )
    assert after.primary_colour == "#9b111e"
    assert app.test_client().get("/o/it-county/emblem").status_code == 200


def test_an_emblem_is_re_encoded_without_metadata_and_scaled_down(app, w):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x9003] = "2026:01:02 03:04:05"
    brand(app, emblem=("emblem.jpg", picture("JPEG", size=(1600, 800), exif=exif.tobytes())))
    saved = row()
    assert saved.emblem_type == "image/jpeg"
    assert (saved.emblem_width, saved.emblem_height) == (512, 256)
    served = app.test_client().get("/o/it-county/emblem")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert b"CameraMaker" not in served.data and b"Exif" not in served.data
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_the_emblem_and_the_stylesheet_are_cacheable_at_stable_addresses(app, w):
    brand(app, primary="#9b111e", accent="#0b5394")
    client = app.test_client()
    css = client.get("/o/it-county/appearance.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert "--brand-primary: #9b111e;" in text and "--brand-accent: #0b5394;" in text
    assert css.headers["Cache-Control"].startswith("public")
    etag = css.headers["ETag"]
    again = client.get("/o/it-county/appearance.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    # a unit's address serves its county's (one copy for the subtree)
    assert client.get("/o/it-child/appearance.css").get_data(as_text=True) == text
    emblem = client.get("/o/it-county/emblem")
    assert emblem.headers["Cache-Control"].startswith("public")
    assert client.get("/o/it-county/emblem", headers={"If-None-Match": emblem.headers["ETag"]}
                      ).status_code == 304  # fmt: skip
    version = row().version()
    assert (
        "immutable"
        in client.get(f"/o/it-county/appearance.css?v={version}").headers["Cache-Control"]
    )


# --- shown on the county's subtree, nowhere else -------------------------------------------


def test_a_unit_below_the_county_shows_the_emblem_and_display_name(app, w):
    brand(app, display_name_en="Red Star County", primary="#9b111e")
    version = row().version()
    visitor = app.test_client()
    for path in ("/o/it-county/", "/o/it-unit/", "/o/it-child/", "/o/it-unit/catalogue"):
        page = html(visitor.get(path + "?lang=en"))
        assert "Red Star County" in page, path
        assert re.search(r'<img class="emblem" src="/o/it-county/emblem\?v=[0-9a-f]{16}"', page)
        assert f'href="/o/it-county/appearance.css?v={version}"' in page, path
    zh = html(visitor.get("/o/it-unit/?lang=zh_Hans_CN"))
    assert "红星县党务公开" in zh
    # ug has no display name of its own: the county's name in Uyghur (here its Chinese one)
    assert "it-county" in html(visitor.get("/o/it-unit/?lang=ug"))
    console = html(sign_in(app, "it-admin").get("/admin/o/it-unit/"))
    assert "Red Star County" in console and "/o/it-county/emblem?v=" in console
    assert "/o/it-county/appearance.css?v=" in console
    # colours only through the stylesheet: no style attribute anywhere
    assert " style=" not in console and " style=" not in page


def test_another_countys_pages_do_not_show_the_branding(app, w):
    brand(app, display_name_en="Red Star County", primary="#9b111e", accent="#0b5394")
    visitor = app.test_client()
    page = html(visitor.get("/o/it-other/?lang=en"))
    assert "Red Star County" not in page and "红星县" not in page
    assert "/emblem" not in page and "appearance.css" not in page
    assert visitor.get("/o/it-other/emblem").status_code == 404
    assert visitor.get("/o/it-other/appearance.css").status_code == 404
    console = html(sign_in(app, "it-other-member").get("/admin"))
    assert "Red Star County" not in console
    assert "Gongkai" in html(visitor.get("/?lang=en"))  # the platform's own pages: its own name


def test_precedence_organisation_theme_then_plugin_then_base_holds_with_branding(app, w):
    from flask import g

    brand(app, primary="#9b111e", accent="#0b5394")
    unit = db.session.get(Organisation, w["unit"].id)
    unit.theme = "classic"
    unit.plugin_settings = {"enabled": ["testplugin"]}
    db.session.commit()
    with app.test_request_context("/o/it-unit/"):
        g.org = unit
        assert themes.chain() == ["theme:classic", "plugin:testplugin", "theme:base"]
        assert themes.theme_template("layout.html").name == "theme:base/layout.html"
        assert themes.theme_static("gongkai.css") == "/static/t/classic/gongkai.css"
        assert themes.theme_static("testplugin.css") == "/static/p/testplugin/testplugin.css"
        assert themes.theme_static("screen.css") == "/static/t/base/screen.css"
    page = html(app.test_client().get("/o/it-unit/"))
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    # the theme's sheet first, the county's colours on top of it
    assert sheets[0] == "/static/t/classic/gongkai.css"
    assert sheets[-1].startswith("/o/it-county/appearance.css?v=")
    sibling = html(app.test_client().get("/o/it-sibling/"))
    assert "/static/t/base/gongkai.css" in sibling and "/o/it-county/appearance.css" in sibling


# --- who, and undoing ----------------------------------------------------------------------


def test_only_the_countys_admins_set_the_branding(app, w):
    assert sign_in(app, "it-county-admin").get(PAGE).status_code == 200
    for username in ("it-admin", "it-bureau-reviewer", "it-member", "it-other-member",
                     "it-editor"):  # fmt: skip
        client = sign_in(app, username)
        assert client.get(PAGE).status_code == 403, username
        assert post(client, {"primary": "#9b111e"}).status_code == 403, username
        for action in ("emblem/remove", "colours/reset"):
            token = csrf_token(client, "/notifications")
            assert client.post(f"{PAGE}/{action}", data={"csrf_token": token}).status_code == 403
    # a unit below has no branding of its own: its page does not exist
    county_admin = sign_in(app, "it-county-admin")
    assert county_admin.get("/admin/o/it-unit/appearance/branding").status_code == 404
    assert row() is None and audits() == 0
    # the side navigation offers it where it exists
    assert "/admin/o/it-county/appearance/branding" in html(county_admin.get("/admin/o/it-county/"))
    assert "appearance/branding" not in html(sign_in(app, "it-admin").get("/admin/o/it-unit/"))


def test_removing_the_emblem_and_resetting_colours_each_audited(app, w):
    brand(app, primary="#9b111e", accent="#0b5394")
    assert audits() == 1
    client = sign_in(app, "it-county-admin")
    page = html(client.get(PAGE))
    assert "Remove the emblem" in page and "Use the theme's colours again" in page
    token = csrf_token(client, PAGE)
    assert client.post(PAGE + "/emblem/remove", data={"csrf_token": token}).status_code == 302
    assert row().storage_key is None and audits() == 2
    assert app.test_client().get("/o/it-county/emblem").status_code == 404
    assert "/emblem" not in html(app.test_client().get("/o/it-unit/"))
    assert client.post(PAGE + "/colours/reset", data={"csrf_token": token}).status_code == 302
    saved = row()
    assert saved.primary_colour is None and saved.accent_colour is None and audits() == 3
    assert app.test_client().get("/o/it-county/appearance.css").status_code == 404
    assert "appearance.css" not in html(app.test_client().get("/o/it-unit/"))
    # the display name stays
    assert "红星县党务公开" in html(app.test_client().get("/o/it-unit/?lang=zh_Hans_CN"))
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "appearance.branding")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.changes["primary_colour"] == ["#9b111e", None]
    assert entry.actor_id == w["county_admin"].id and entry.org_id == w["county"].id
    # nothing to undo twice: no new entry
    client.post(PAGE + "/colours/reset", data={"csrf_token": token})
    assert audits() == 3


def test_a_change_of_branding_reaches_cached_pages(app, w):
    """The portal's response cache forgets the county's pages when its branding changes."""
    app.config["GONGKAI_RESPONSE_CACHE"] = True
    visitor = app.test_client()
    assert "红星县党务公开" not in html(visitor.get("/o/it-unit/?lang=zh_Hans_CN"))
    brand(app)
    assert "红星县党务公开" in html(visitor.get("/o/it-unit/?lang=zh_Hans_CN"))
