"""The portal and the items console in a real browser (headless Chromium through Playwright):
a visitor browses, searches, reads and objects; a unit's editor, reviewer and admin take an item
from the console form to the public portal. Screenshots go to tests/browser/artifacts/."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser.world import (
    DUES_TITLE,
    ELECTION_TITLE,
    INTERNAL_DUES_TITLE,
    NAMES,
    NOTICE_TITLE,
    fill_item_form,
)

pytestmark = pytest.mark.browser

UNIT_NAME = NAMES["it-unit"]["zh_Hans_CN"]["full"]
COUNTY_NAME = NAMES["it-county"]["zh_Hans_CN"]["full"]
CONSOLE = "/admin/o/it-unit"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def state_badge(page):
    """The item's state badge under the console page's title."""
    return page.locator("main h1 + p.meta .state")


# A row of an item list: the left edge of the title, the right edge of the date after it.
BOXES = """row => [row.querySelector("a").getBoundingClientRect().left,
                  row.querySelector("time").getBoundingClientRect().right]"""


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is wider than the window: {width} at {page.url}"


def test_a_visitor_goes_from_the_county_to_a_unit_searches_and_opens_an_item(page, live_server):
    page.goto("/o/it-county/")
    expect(page.locator("h1")).to_have_text(COUNTY_NAME)
    page.locator("section.units").get_by_role("link", name=UNIT_NAME, exact=True).click()
    expect(page).to_have_url(live_server.url + "/o/it-unit/")
    expect(page.locator("h1")).to_have_text(UNIT_NAME)

    # the notice in its period, with its countdown and its end time
    notice = page.locator("section.notices li.item-row", has_text=NOTICE_TITLE)
    # a 7-day notice published moments ago: 6 days 23 hours (or 7 days) left, in any wording
    expect(notice.locator(".countdown strong")).to_have_text(re.compile(r"(^|\D)[67]\s*(天|day)"))
    expect(notice.locator(".countdown time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
    )
    expect(page.locator("section.recent")).to_contain_text(ELECTION_TITLE)
    expect(page.get_by_text(INTERNAL_DUES_TITLE)).to_have_count(0)  # party_wide (SCOPE-1)

    # a two-character word, found by the search box; the intra-Party item stays hidden
    page.fill("#search-q", "党费")
    page.press("#search-q", "Enter")
    expect(page).to_have_url(re.compile(r"/o/it-unit/search\?q=%E5%85%9A%E8%B4%B9$"))
    expect(page.locator("#q")).to_have_value("党费")
    results = page.locator(".result-list .result")
    expect(results).to_have_count(1)
    results.get_by_role("link", name=DUES_TITLE).click()

    expect(page).to_have_url(live_server.url + f"/o/it-unit/items/{live_server.ids['dues']}")
    expect(page.locator("h1")).to_have_text(DUES_TITLE)
    expect(page.locator(".item-body strong")).to_have_text("3600")  # Markdown, rendered
    expect(page).to_have_title(re.compile("^" + re.escape(DUES_TITLE)))


@pytest.mark.rule("PUB-5")
def test_a_visitor_lodges_an_objection_to_a_notice_without_an_account(page, live_server, artifacts):
    page.goto("/o/it-unit/")
    page.locator("section.notices").get_by_role("link", name=NOTICE_TITLE).click()
    expect(page.locator("h1")).to_have_text(NOTICE_TITLE)
    expect(page.locator(".notice-period .countdown strong")).to_have_text(re.compile(r"\d"))
    page.screenshot(path=artifacts / "notice-zh.png", full_page=True)
    page.locator(".notice-period a[href='#objection-h']").click()
    expect(page.locator("#objection-text")).to_be_in_viewport()

    submit = page.locator("section.objection form button[type=submit]")
    submit.click()  # empty: the browser asks for the text first
    assert page.eval_on_selector("#objection-text", "el => el.validity.valueMissing")
    expect(page.locator(".confirmation")).to_have_count(0)

    text = "古丽娜同志的培养考察期不足一年，请支部核实。"
    page.fill("#objection-text", text)
    page.fill("#objection-contact", "13800000000")
    submit.click()

    confirmation = page.locator(".confirmation")
    expect(confirmation.locator("h1")).to_be_visible()
    expect(confirmation).to_contain_text(NOTICE_TITLE)
    rows = live_server.query(
        "SELECT text, name, contact, user_id FROM item_objections WHERE item_id = ?",
        live_server.ids["notice"],
    )
    assert (text, None, "13800000000", None) in rows
    page.locator(f"a[href='/o/it-unit/items/{live_server.ids['notice']}']").click()
    expect(page.locator("h1")).to_have_text(NOTICE_TITLE)


@pytest.mark.rule("PUB-1")
def test_an_item_goes_from_the_console_form_through_review_and_approval_to_the_portal(
    sign_in, page, live_server, artifacts
):
    title = "2026年“六一”儿童节党员志愿服务安排"
    zone = ZoneInfo("Asia/Shanghai")  # the unit's time zone (the default)
    now = datetime.now(zone)

    # the editor drafts the plan in the form and proposes it
    editor = sign_in("it-editor")
    editor.goto(CONSOLE + "/items")
    editor.locator(f"a[href='{CONSOLE}/items/new']").click()
    fill_item_form(editor, title, "六一期间，支部组织党员到园开展**志愿服务**。", now)
    expect(editor).to_have_url(re.compile(CONSOLE + r"/items/\d+$"))
    detail = editor.url
    expect(editor.locator("h1")).to_have_text(title)
    expect(state_badge(editor)).to_have_class(re.compile(r"\bstate-draft\b"))
    editor.locator("form[action$='/propose'] button").click()
    expect(state_badge(editor)).to_have_class(re.compile(r"\bstate-proposed\b"))

    # the reviewer records the secrecy review, necessity and accuracy
    reviewer = sign_in("it-reviewer")
    reviewer.goto(detail)
    form = reviewer.locator("#review-form")
    for name in ("secrecy_passed", "necessity_ok", "accuracy_ok"):
        form.locator(f"input[name={name}][value=yes]").check()
    form.locator("#secrecy_basis").fill("《中国共产党党务公开条例（试行）》第十条；不涉及秘密")
    form.locator("input[name=outcome][value=pass]").check()
    form.locator("button[type=submit]").click()
    expect(state_badge(reviewer)).to_have_class(re.compile(r"\bstate-reviewed\b"))
    expect(reviewer.locator("section[aria-labelledby=reviews-h] tbody tr")).to_contain_text(
        "不涉及秘密"
    )

    # the admin approves, schedules and publishes it
    admin = sign_in("it-admin")
    admin.goto(detail)
    for step, state in (
        ("approve", "approved"),
        ("schedule", "scheduled"),
        ("publish", "published"),
    ):
        admin.locator(f"form[action$='/{step}'] button").click()
        expect(state_badge(admin)).to_have_class(re.compile(rf"\bstate-{state}\b"))
    admin.screenshot(path=artifacts / "console-item-published.png", full_page=True)

    # an anonymous visitor finds it on the portal (public scope) and by search
    page.goto("/o/it-unit/")
    page.locator("section.recent").get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".item-body strong")).to_have_text("志愿服务")
    page.goto("/o/it-unit/")
    page.fill("#search-q", "六一")
    page.press("#search-q", "Enter")
    expect(page.locator(".result-list .result")).to_have_count(1)
    expect(page.locator(".result-list .result")).to_contain_text(title)


def test_the_uyghur_portal_reads_right_to_left(page, live_server, artifacts):
    page.goto("/o/it-unit/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    no_horizontal_scroll(page)
    page.screenshot(path=artifacts / "unit-portal-zh.png", full_page=True)

    page.locator("nav.languages a[hreflang=ug]").click()
    expect(page).to_have_url(live_server.url + "/o/it-unit/?lang=ug")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ug")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    expect(page.locator("h1")).to_have_text(NAMES["it-unit"]["ug"]["full"])
    # an item without a Uyghur title is shown in Chinese, marked and isolated as such, so that
    # the date after it is not torn apart by the bidi algorithm ("27" glued to the title)
    title = page.locator("section.recent span[lang='zh-Hans-CN']", has_text=DUES_TITLE)
    expect(title).to_have_attribute("dir", "ltr")
    for row in page.locator("section.recent li.item-row").all():
        title_left, date_right = row.evaluate(BOXES)
        assert date_right <= title_left, f"the date runs into the title: {row.inner_text()}"
    no_horizontal_scroll(page)
    page.screenshot(path=artifacts / "unit-portal-ug.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    no_horizontal_scroll(page)
    page.screenshot(path=artifacts / "unit-portal-ug-phone.png", full_page=True)
