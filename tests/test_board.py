"""The printed notice board, QR codes, the screen and the in-page table of contents (issue 13).

The board is rendered for real (WeasyPrint) and read back as a person would: its text with
poppler's ``pdftotext``, where its words stand on the page (``pdftotext -bbox``), and every QR
code decoded with zxing-cpp from the pages rendered to PNG by ``pdftoppm``; the decoded addresses
are then opened. The board, the QR codes and the screen hold what an anonymous visitor may see
(SCOPE-1), the same as the portal (VIL-5), whoever asks.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from core import db
from core.catalogue import operations as cat
from core.items import operations as items
from core.portal import board as board_module
from tenants.models import Organisation
from tests import items_helpers
from tests.browser.world import NAMES, UNIT_DETAILS
from tests.items_helpers import PUBLIC_ENTRY, build_world, plan
from tests.printed import (
    pdf_fonts,
    pdf_info,
    pdf_page_size,
    pdf_qr_codes,
    pdf_text,
    pdf_words,
    png_qr_codes,
)

HOST = "http://localhost"
PAPER_POINTS = {"A4": (595.28, 841.89), "A3": (841.89, 1190.55)}
MARGIN = 12 / 25.4 * 72  # the board's 12 mm margin, in points

PUBLIC_TITLE = "支部委员会换届选举结果公告"
NOTICE_TITLE = "关于拟接收古丽娜同志为中共预备党员的公示"
CLEAN_TITLE = "2026年党风廉政建设责任制落实情况"
PARTY_TITLE = "内部通报：党费补缴名单"
DRAFT_TITLE = "尚未公开的换届方案"


@pytest.fixture
def w(make_org):
    """The items tests' world, with Kashgar's names (Chinese, Uyghur, English) and the unit's
    contact channels, and a second category in the catalogue."""

    def named(code, **fields):
        if code in NAMES:
            fields = {"names": NAMES[code], "locales": ["zh_Hans_CN", "ug", "en"], **fields}
        if code == "it-unit":
            fields.update(UNIT_DETAILS)
        return make_org(code, **fields)

    def clean_category(template):
        titles = {"zh_Hans_CN": "党风廉政建设", "ug": "پارتىيە ئىستىلى"}
        clean = cat.add_category(template, key="clean", titles=titles)
        entry = {**PUBLIC_ENTRY, "titles": {"zh_Hans_CN": "党风廉政建设情况"}}
        cat.add_entry(template, clean, entry, key="clean.duty")

    return build_world(named, template_extra=clean_category)


def publish(w, title: str, *, entry="org.election", scope="public", run=True, **fields):
    data = {
        "titles": {"zh_Hans_CN": title},
        "bodies": {"zh_Hans_CN": f"{title}的正文。\n\n公示期间如有异议，请在本页提出。"},
        "entry_key": entry,
        "scope": scope,
        "channels": ["notice_board", "website"] if scope == "public" else ["meeting"],
        **fields,
    }
    if run:
        return items_helpers.published(w, **data)
    item = items.create(w["unit"], plan(**data), actor=w["editor"])
    db.session.commit()
    return item


@pytest.fixture
def published(w):
    """A public item, a public notice in its period, a public item of the second category, an
    intra-Party item and a draft."""
    return {
        "public": publish(w, PUBLIC_TITLE),
        "notice": publish(w, NOTICE_TITLE, is_notice=True),
        "clean": publish(w, CLEAN_TITLE, entry="clean.duty"),
        "party": publish(w, PARTY_TITLE, entry="org.fees", scope="party_wide"),
        "draft": publish(w, DRAFT_TITLE, run=False),
    }


def pdf(client, path="/o/it-unit/board.pdf", **query):
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/pdf"
    return response


def item_url(item) -> str:
    return f"{HOST}/o/it-unit/items/{item.id}"


CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"


def plain(text: str) -> str:
    """Text without bidi controls, with one space between words and none where a line broke
    between Chinese characters."""
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = " ".join(text.split())
    return re.sub(rf"(?<={CJK}) (?={CJK})", "", text)


# --- the board -----------------------------------------------------------------------------------


@pytest.mark.rule("SCOPE-1")
@pytest.mark.rule("VIL-5")
def test_the_board_prints_the_public_items_by_category_with_working_qr_codes(client, w, published):
    response = pdf(client, lang="en")
    text = plain(pdf_text(response.data, "-raw"))  # in the order it was set
    assert "Party affairs notice board" in text
    assert "Party Branch of Kashgar No. 3 Kindergarten" in text
    assert NAMES["it-unit"]["en"]["full"] in pdf_info(response.data)["Title"]
    # grouped by catalogue category, in catalogue order, with the current item of each entry
    # (the notice is the newest of its entry); then the other latest disclosures
    order = ["组织管理", NOTICE_TITLE, "党风廉政建设 ", CLEAN_TITLE, "Other notices", PUBLIC_TITLE]
    assert [text.index(part) for part in order] == sorted(text.index(part) for part in order)
    # every item with its publication date; the notice with its period and how to object
    assert text.count("Published on") == 3
    notice = text.split(NOTICE_TITLE, 1)[1]
    assert re.search(r"Notice period: from .+ to .+How to object: Until", notice)
    assert "Supervision hotline: 0998-0000003." in notice
    # nothing that is not public (SCOPE-1), nothing unpublished
    assert PARTY_TITLE not in text and DRAFT_TITLE not in text
    # the QR codes: one per item, the portal and the feedback form in the footer of every sheet
    pages = pdf_qr_codes(response.data)
    codes = {code for page in pages for code in page}
    expected_items = {item_url(published[k]) for k in ("public", "notice", "clean")}
    footer = {f"{HOST}/o/it-unit/", f"{HOST}/o/it-unit/feedback"}
    assert codes == expected_items | footer
    assert all(footer <= set(page) for page in pages)
    # and they lead where they say: the item's page, the unit's portal, the feedback form
    for code in codes:
        page = client.get(code.removeprefix(HOST))
        assert page.status_code == 200, code
    assert NOTICE_TITLE in client.get(item_url(published["notice"])).get_data(as_text=True)


def test_the_board_is_the_same_for_a_member_who_may_see_more(client, login, w, published):
    login("it-member", "long-enough-pw")
    assert PARTY_TITLE in client.get("/o/it-unit/").get_data(as_text=True)  # the web shows it
    response = pdf(client)
    assert response.headers["Cache-Control"].startswith("public")
    text = plain(pdf_text(response.data))
    assert PUBLIC_TITLE in text and PARTY_TITLE not in text
    codes = {c for page in pdf_qr_codes(response.data) for c in page}
    assert item_url(published["party"]) not in codes


@pytest.mark.parametrize(
    ("size", "orientation"),
    [("A4", "portrait"), ("A4", "landscape"), ("a3", "portrait"), ("A3", "LANDSCAPE")],
)
def test_the_board_comes_on_a4_and_a3_in_both_orientations(client, w, published, size, orientation):
    response = pdf(client, size=size, orientation=orientation)
    short, long = PAPER_POINTS[size.upper()]
    width, height = pdf_page_size(response.data)
    if orientation.lower() == "landscape":
        short, long = long, short
    assert abs(width - short) < 1 and abs(height - long) < 1, (width, height)
    assert (
        f"board-{size.upper()}-{orientation.lower()}.pdf" in response.headers["Content-Disposition"]
    )
    assert NOTICE_TITLE in plain(pdf_text(response.data))


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"size": "B5"}, "不支持纸张规格“B5”：请选择A4或A3。"),
        ({"orientation": "sideways"}, "不支持版式“sideways”"),
        ({"size": "A5", "orientation": "up"}, "不支持版式“up”"),
    ],
)
def test_a_paper_we_do_not_print_on_is_a_translated_400(client, w, query, problem):
    response = client.get("/o/it-unit/board.pdf", query_string={**query, "lang": "zh_Hans_CN"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "无法按此规格打印公开栏" in page and problem in page
    english = client.get("/o/it-unit/board.pdf", query_string={**query, "lang": "en"})
    assert "The notice board cannot be printed so" in english.get_data(as_text=True)


def test_an_empty_board_says_so(client, w):
    text = plain(pdf_text(pdf(client, lang="en").data))
    assert "Nothing has been disclosed to the public yet." in text


def test_an_unknown_or_disabled_unit_has_no_board(client, w):
    assert client.get("/o/no-such-unit/board.pdf").status_code == 404
    db.session.get(Organisation, w["unit"].id).enabled = False
    db.session.commit()
    assert client.get("/o/it-unit/board.pdf").status_code == 404


def test_the_uyghur_board_is_set_right_to_left_with_its_fonts_embedded(client, w, published):
    uyghur = pdf(client, lang="ug").data
    chinese = pdf(client, lang="zh_Hans_CN").data
    # the unit's name, قەشقەر شەھەرلىك 3-يەسلى پارتىيە ياچېيكىسى: its words without a ligature
    # (poppler reads the letters of a lam-alef ligature back in visual order)
    tokens = ["قەشقەر", "پارتىيە", "ياچېيكىسى"]
    # the text reads back in its logical order (it can be searched and copied)
    assert "پارتىيە ياچېيكىسى" in plain(pdf_text(uyghur))
    # the heading stands at the right margin and its words run from right to left
    first_page = [word for word in pdf_words(uyghur) if word.page == 1]

    def box(token):
        return next(
            w for w in first_page if plain(w.text) in (token, token[::-1]) and w.y_min < 200
        )

    heading = [box(t) for t in tokens]
    xs = [word.x_max for word in heading]
    assert xs == sorted(xs, reverse=True), xs  # the first word is the rightmost
    width = heading[0].page_width
    assert abs(max(xs) - (width - MARGIN)) < 3, (max(xs), width - MARGIN)
    assert min(word.x_min for word in heading) > MARGIN + 20  # ragged at the left
    # the Chinese board's heading stands at the left margin
    chinese_heading = next(
        w for w in pdf_words(chinese) if w.page == 1 and "喀什市第三幼儿园党支部" in w.text
    )
    assert abs(chinese_heading.x_min - MARGIN) < 3
    # the fonts: Arabic script and CJK, embedded
    fonts = pdf_fonts(uyghur)
    assert fonts and all(embedded for _name, embedded in fonts), fonts
    assert any("Arabic" in name for name, _embedded in fonts), fonts
    assert any("CJK" in name for name, _embedded in fonts), fonts


def test_the_qr_codes_point_at_the_mapped_host_of_the_county(client, w, published):
    db.session.get(Organisation, w["county"].id).host = "gk.kashgar.example"
    db.session.commit()
    base = "http://gk.kashgar.example"
    response = client.get("/o/it-unit/board.pdf", base_url=base)
    assert response.status_code == 200
    codes = {c for page in pdf_qr_codes(response.data) for c in page}
    assert f"{base}/o/it-unit/" in codes
    assert f"{base}/o/it-unit/items/{published['public'].id}" in codes
    png = client.get(f"/o/it-unit/items/{published['public'].id}/qr.png", base_url=base)
    assert png_qr_codes(png.data) == [f"{base}/o/it-unit/items/{published['public'].id}"]


# --- cache and rate limit ------------------------------------------------------------------------


def test_the_pdf_is_rendered_again_only_when_its_content_changes(client, w, published, monkeypatch):
    renders = []
    real = board_module.render_pdf

    def counted(*args, **kwargs):
        renders.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(board_module, "render_pdf", counted)
    first = pdf(client, lang="en")
    again = pdf(client, lang="en")
    assert len(renders) == 1 and again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    unchanged = client.get(
        "/o/it-unit/board.pdf?lang=en", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert unchanged.status_code == 304 and len(renders) == 1
    # another paper or language is another PDF
    pdf(client, lang="en", size="A3")
    pdf(client, lang="zh_Hans_CN")
    assert len(renders) == 3
    # a publication changes the board: rendered again, with the new item
    publish(w, "新公开的事项")
    changed = pdf(client, lang="en")
    assert len(renders) == 4 and changed.headers["ETag"] != first.headers["ETag"]
    assert "新公开的事项" in plain(pdf_text(changed.data))
    # and so does the end of a notice's period (it leaves the board)
    notice = db.session.get(type(published["notice"]), published["notice"].id)
    notice.notice_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    ended = plain(pdf_text(pdf(client, lang="en").data))
    assert len(renders) == 5
    assert NOTICE_TITLE in ended and "Notice period:" not in ended  # still its entry's latest


class TestRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_rendering_is_rate_limited_per_address_but_copies_are_not(self, client, w, published):
        limit = int(board_module.PDF_LIMIT.split(";")[1].split()[0])  # per minute
        papers = [
            (s, o, lang) for lang in ("zh_Hans_CN", "en", "ug") for s, o in board_module.PAPERS
        ]
        for size, orientation, lang in papers[:limit]:  # the last one allowed
            pdf(client, size=size, orientation=orientation, lang=lang)
        for _ in range(3):  # copies from the cache do not count
            pdf(client, size="A4", orientation="portrait", lang="zh_Hans_CN")
        size, orientation, lang = papers[limit]  # the first one refused
        query = {"size": size, "orientation": orientation, "lang": lang}
        refused = client.get("/o/it-unit/board.pdf", query_string=query)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "Too many notice boards were printed from your address" in refused.get_data(
            as_text=True
        )
        other = client.get(
            "/o/it-unit/board.pdf?size=A3&lang=ug", environ_base={"REMOTE_ADDR": "192.0.2.7"}
        )
        assert other.status_code == 200  # another address has its own count


# --- QR codes ------------------------------------------------------------------------------------


def test_the_qr_codes_of_the_unit_and_of_a_public_item(client, w, published):
    svg = client.get("/o/it-unit/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert f"<title>{HOST}/o/it-unit/</title>" in svg.get_data(as_text=True)
    assert png_qr_codes(client.get("/o/it-unit/qr.png").data) == [f"{HOST}/o/it-unit/"]
    item = published["public"]
    png = client.get(f"/o/it-unit/items/{item.id}/qr.png")
    assert png.mimetype == "image/png" and png.headers["Cache-Control"].startswith("public")
    assert png_qr_codes(png.data) == [item_url(item)]
    item_svg = client.get(f"/o/it-unit/items/{item.id}/qr.svg").get_data(as_text=True)
    assert f"<title>{item_url(item)}</title>" in item_svg


@pytest.mark.rule("SCOPE-1")
def test_no_qr_code_for_an_item_that_is_not_public_or_not_this_units(client, login, w, published):
    login("it-member", "long-enough-pw")  # who may read the intra-Party item on the web
    for key in ("party", "draft"):
        for kind in ("svg", "png"):
            path = f"/o/it-unit/items/{published[key].id}/qr.{kind}"
            assert client.get(path).status_code == 404, path
    other = client.get(f"/o/it-sibling/items/{published['public'].id}/qr.svg")  # another unit
    assert other.status_code == 404
    assert client.get(f"/o/it-unit/items/{published['public'].id}/qr.gif").status_code == 404


# --- the pages offer it --------------------------------------------------------------------------


def test_an_item_page_offers_its_qr_code_the_board_and_feedback_on_the_item(client, w, published):
    item = published["public"]
    page = client.get(f"/o/it-unit/items/{item.id}?lang=en").get_data(as_text=True)
    block = page.split('class="on-paper"')[1].split("</section>")[0]
    assert f'src="/o/it-unit/items/{item.id}/qr.svg"' in block
    assert f'href="/o/it-unit/items/{item.id}/qr.png"' in block
    assert "/o/it-unit/board.pdf?size=A3&amp;orientation=landscape" in block
    date = re.search(r"The printed notice board of (.+?) \(PDF\)", block).group(1)
    assert date in plain(pdf_text(pdf(client, lang="en").data))  # the date printed on the board
    assert "/o/it-unit/screen" in block
    feedback = re.search(r'href="([^"]+)">Give feedback on this item', block).group(1)
    assert feedback == f"/o/it-unit/feedback?item={item.id}"
    form = client.get(feedback.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(rf'<option(?=[^>]*\bselected\b)[^>]*value="{item.id}"', form), "not chosen"


def test_an_intra_party_item_offers_feedback_but_no_printed_code(client, login, w, published):
    login("it-member", "long-enough-pw")
    item = published["party"]
    page = client.get(f"/o/it-unit/items/{item.id}?lang=en").get_data(as_text=True)
    block = page.split('class="on-paper"')[1].split("</section>")[0]
    assert "qr.svg" not in block and f"feedback?item={item.id}" in block


def test_the_unit_portal_offers_its_qr_code_the_board_and_the_screen(client, w, published):
    page = client.get("/o/it-unit/?lang=en").get_data(as_text=True)
    block = page.split('class="on-paper"')[1].split("</section>")[0]
    assert 'src="/o/it-unit/qr.svg"' in block and 'href="/o/it-unit/qr.png"' in block
    for size, orientation in board_module.PAPERS:
        assert f"/o/it-unit/board.pdf?size={size}&amp;orientation={orientation}" in block
    assert 'href="/o/it-unit/screen"' in block
    assert "Give feedback on this item" not in block


# --- in-page navigation --------------------------------------------------------------------------


def test_long_portal_pages_have_the_categories_as_a_table_of_contents(client, w, published):
    for path, prefix in (("/o/it-unit/?lang=en", "category-"), ("/o/it-unit/catalogue", "c-")):
        page = client.get(path).get_data(as_text=True)
        toc = page.split('<nav class="toc"')[1].split("</nav>")[0]
        anchors = re.findall(rf'href="#({prefix}\d+)"', toc)
        assert len(anchors) == 2, (path, toc)
        for anchor in anchors:  # each leads to its category on the page
            assert f'id="{anchor}"' in page, (path, anchor)
        assert toc.index("组织管理") < toc.index("党风廉政建设")


def test_a_short_page_has_no_table_of_contents(client, make_org):
    make_org("lonely")
    assert '<nav class="toc"' not in client.get("/o/lonely/").get_data(as_text=True)


# --- the screen ----------------------------------------------------------------------------------


@pytest.mark.rule("SCOPE-1")
@pytest.mark.rule("PUB-5")
def test_the_screen_shows_notices_with_their_countdown_then_the_latest_items(
    client, login, w, published
):
    login("it-member", "long-enough-pw")  # a screen shows the public view, whoever opened it
    page = client.get("/o/it-unit/screen?lang=en")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-cache"
    html = page.get_data(as_text=True)
    slides = re.findall(r'<article class="slide slide-(\w+)" id="slide-(\d+)"', html)
    ids = [int(i) for _kind, i in slides]
    assert slides[0] == ("notice", str(published["notice"].id))  # notices first
    assert {published[k].id for k in ("public", "clean")} <= set(ids)
    assert published["party"].id not in ids and PARTY_TITLE not in html
    assert re.search(r"\d+ days? \d+ hours? left", html)  # PUB-5: the countdown
    assert re.search(r'<script src="/static/t/base/screen\.js" defer>', html)
    # readable without the script: every slide is in the page, with its QR code
    assert f'src="/o/it-unit/items/{published["public"].id}/qr.svg"' in html
    data = client.get("/o/it-unit/screen.json?lang=en")
    assert data.status_code == 200 and data.headers["Cache-Control"] == "no-cache"
    body = data.get_json()
    assert [s["id"] for s in body["slides"]] == ids
    notice = body["slides"][0]
    assert notice["kind"] == "notice" and notice["ends_at"] and "left" in notice["countdown"]
    assert body["stale_after_seconds"] == 3600 and body["dir"] == "ltr"
    assert PARTY_TITLE not in data.get_data(as_text=True)


def test_the_screen_speaks_the_readers_language_and_direction(client, w, published):
    uyghur = client.get("/o/it-unit/screen?lang=ug").get_data(as_text=True)
    assert '<html lang="ug" dir="rtl"' in uyghur and "تولۇق ئوقۇش ئۈچۈن سىكانېرلاڭ" in uyghur
    assert NAMES["it-unit"]["ug"]["full"] in uyghur
    assert client.get("/o/it-unit/screen.json?lang=ug").get_json()["dir"] == "rtl"
    chinese = client.get("/o/it-unit/screen?lang=zh_Hans_CN").get_data(as_text=True)
    assert "扫码阅读全文" in chinese and "公示" in chinese


def test_an_empty_screen_says_so(client, w):
    page = client.get("/o/it-unit/screen?lang=en").get_data(as_text=True)
    assert "Nothing has been disclosed to the public yet." in page
    assert client.get("/o/it-unit/screen.json").get_json()["slides"] == []
