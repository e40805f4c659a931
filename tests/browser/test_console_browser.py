"""The console's journeys in Chromium, without typing an address after sign-in: sign-in lands on
My work, whose rows lead to the page where the action is taken; the organisation's home leads to
its pages and to the unit furthest behind. Screenshots of My work and the home at 1366 and 390
px in zh_Hans_CN, en and ug go to ``tests/browser/artifacts/``."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser.world import fill_item_form

pytestmark = pytest.mark.browser

CONSOLE = "/admin/o/it-unit"


@pytest.fixture
def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def state_badge(page):
    """The item's state badge under the console page's title (as in test_browser)."""
    return page.locator("main h1 + p.meta .state")


def my_work_row(page, group: str, title: str):
    """The link of ``title`` in the My work group ``group`` (``items.review``)."""
    section = page.locator(f"#work-{group.replace('.', '-')}")
    return section.get_by_role("link", name=title, exact=True)


def test_an_item_is_published_by_people_acting_from_their_my_work_pages(
    sign_in, live_server, artifacts, expect
):
    title = "2026年“七一”党员志愿服务安排"
    now = datetime.now(ZoneInfo("Asia/Shanghai"))

    # the editor lands on My work, opens the unit's console and its quick action
    editor = sign_in("it-editor")
    expect(editor).to_have_url(re.compile(r"/admin$"))
    editor.locator(f".my-work a[href='{CONSOLE}/']").first.click()
    editor.locator(f".quick-actions a[href='{CONSOLE}/items/new']").click()
    fill_item_form(editor, title, "七一期间，支部组织党员开展**志愿服务**。", now)
    expect(editor.locator("h1")).to_have_text(title)
    editor.locator("form[action$='/propose'] button").click()
    expect(state_badge(editor)).to_have_class(re.compile(r"\bstate-proposed\b"))

    # the reviewer finds it on My work and reviews it there
    reviewer = sign_in("it-reviewer")
    expect(reviewer).to_have_url(re.compile(r"/admin$"))
    my_work_row(reviewer, "items.review", title).click()
    form = reviewer.locator("#review-form")
    for name in ("secrecy_passed", "necessity_ok", "accuracy_ok"):
        form.locator(f"input[name={name}][value=yes]").check()
    form.locator("#secrecy_basis").fill("《中国共产党党务公开条例（试行）》第十条；不涉及秘密")
    form.locator("input[name=outcome][value=pass]").check()
    form.locator("button[type=submit]").click()
    expect(state_badge(reviewer)).to_have_class(re.compile(r"\bstate-reviewed\b"))
    reviewer.locator(".breadcrumb a[href='/admin']").click()
    expect(reviewer.locator("#work-items-review")).to_have_count(0)  # nothing left to review

    # the admin approves from My work, goes back by the breadcrumb, schedules and publishes
    admin = sign_in("it-admin")
    my_work_row(admin, "items.approve", title).click()
    admin.locator("form[action$='/approve'] button").click()
    expect(state_badge(admin)).to_have_class(re.compile(r"\bstate-approved\b"))
    admin.locator(".breadcrumb a[href='/admin']").click()
    my_work_row(admin, "items.schedule", title).click()
    for step, state in (("schedule", "scheduled"), ("publish", "published")):
        admin.locator(f"form[action$='/{step}'] button").click()
        expect(state_badge(admin)).to_have_class(re.compile(rf"\bstate-{state}\b"))
    admin.locator(".breadcrumb a[href='/admin']").click()
    expect(admin.locator("body")).not_to_contain_text(title)  # nothing waits any more


def test_the_county_reaches_the_unit_furthest_behind_in_two_clicks(
    sign_in, live_server, artifacts, expect
):
    unit_id = live_server.query("SELECT id FROM organisations WHERE code = 'it-unit'")[0][0]
    with contextlib.closing(sqlite3.connect(live_server.database)) as conn:
        conn.execute(
            "INSERT INTO disclosure_flags"
            " (org_id, county_id, entry_key, period_key, kind, due_on, raised_at)"
            " VALUES (?, (SELECT coalesce(root_id, id) FROM organisations WHERE id = ?),"
            " 'org.fees', '2026-Q1', 'overdue', '2026-03-31', '2026-04-01 00:00:00')",
            (unit_id, unit_id),
        )
        conn.commit()
    county = sign_in("it-county-admin")
    county.locator(".my-work a[href='/admin/o/it-county/']").first.click()  # 1
    county.locator(".status-units a[href='/admin/o/it-unit/']").click()  # 2
    expect(county).to_have_url(re.compile(r"/admin/o/it-unit/$"))
    expect(county.locator(".breadcrumb a[href='/admin/o/it-county/']")).to_have_count(1)


@pytest.mark.parametrize("width", [1366, 390])
def test_my_work_and_the_home_fit_the_screen_in_every_language(
    sign_in, live_server, artifacts, expect, width
):
    admin = sign_in("it-admin")
    admin.set_viewport_size({"width": width, "height": 900})
    for lang in ("zh_Hans_CN", "en", "ug"):
        for name, path in (("my-work", "/admin"), ("home", f"{CONSOLE}/")):
            admin.goto(f"{path}?lang={lang}")
            assert admin.evaluate("document.documentElement.scrollWidth") <= width, (path, lang)
            admin.screenshot(path=artifacts / f"console-{name}-{lang}-{width}.png", full_page=True)
        if width == 390:  # the side navigation folds into a menu that opens
            menu = admin.locator(".console-menu > summary")
            expect(menu).to_be_visible()
            menu.click()
            expect(admin.locator(f".console-side a[href='{CONSOLE}/items']").first).to_be_visible()
