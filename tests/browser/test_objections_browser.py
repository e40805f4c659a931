"""An objection in headless Chromium, from the notice to its outcome, without typing an address
after the first page: a visitor objects to a notice on the unit's portal and keeps the receipt
and the code; the unit's admin is told in the inbox, finds the objection from the items page,
records what was checked and the outcome (a dismissal without a reason is refused first); the
visitor opens the link of the receipt and reads the outcome."""

from __future__ import annotations

import pytest

from tests.browser.world import NOTICE_TITLE

pytestmark = [pytest.mark.browser, pytest.mark.rule("PUB-5")]


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_an_objection_is_lodged_handled_and_its_outcome_read(
    page, pages, sign_in, live_server, artifacts
):
    notice = live_server.ids["notice"]
    page.goto("/o/it-unit/")
    page.locator(f"a[href='/o/it-unit/items/{notice}']").first.click()
    expect(page.locator("h1")).to_have_text(NOTICE_TITLE)
    page.fill("#objection-text", "古丽娜同志的培养考察材料不完整。")
    page.locator("form[action$='/objections'] button[type=submit]").click()
    receipt = page.locator(".receipt-number").inner_text()
    code = page.locator(".lookup-code").inner_text()
    assert receipt.startswith("YY-") and len(code) == 8
    page.screenshot(path=artifacts / "objection-received.png", full_page=True)

    # the unit's admin is told, and finds it from the console
    admin = sign_in("it-admin")
    admin.goto("/notifications")
    expect(admin.locator("body")).to_contain_text(receipt)
    admin.goto("/admin/o/it-unit/")  # the unit's home: objections in the side navigation
    admin.get_by_role("link", name="异议", exact=True).click()
    admin.locator(f"text={receipt}").click()
    entry = admin.locator("article.objection-entry", has_text=receipt)
    entry.locator("textarea[name$='-checked']").fill("核对了培养考察档案")
    entry.locator("input[value=dismissed]").check()
    entry.locator("button[type=submit]").click()
    entry = admin.locator("article.objection-entry", has_text=receipt)
    expect(entry.locator(".error-summary")).to_be_visible()  # no reason: refused, text kept
    expect(entry.locator("textarea[name$='-checked']")).to_have_value("核对了培养考察档案")
    pages.errors[:] = [e for e in pages.errors if "status of 400" not in e]
    entry.locator("textarea[name$='-reason']").fill("档案齐全，异议不成立。")
    entry.locator("button[type=submit]").click()
    expect(admin.locator("article.objection-entry", has_text=receipt)).to_contain_text(
        "档案齐全，异议不成立。"
    )
    admin.screenshot(path=artifacts / "objection-recorded.png", full_page=True)

    # the visitor follows the receipt's link and reads the outcome
    page.locator("a.lookup-link").click()
    expect(page.locator(".objection-entry")).to_contain_text("档案齐全，异议不成立。")
    expect(page.locator(".objection-entry")).to_contain_text("核对了培养考察档案")
    page.screenshot(path=artifacts / "objection-outcome.png", full_page=True)
