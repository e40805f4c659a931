"""The applicant's path in a real browser (headless Chromium): from the unit's portal to the form
(sign-in first), file a disclosure request, read the confirmation with its number and deadline
and how the deadline was computed, and find the request under "My requests" (REQ-1, REQ-2).

The pages are in Chinese (the browser's language); the test finds its way by addresses, ids and
the request's data, not by wording."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

CONTENT = "请公开本支部2026年上半年党费收缴、使用和管理的明细（浏览器测试）"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.mark.rule("REQ-1")
def test_an_applicant_files_a_request_and_finds_it_under_my_requests(page, pages, live_server):
    # a visitor follows the portal's link and is asked to sign in first
    page.goto("/o/it-unit/")
    page.locator("a[href='/o/it-unit/requests/new']").click()
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    page.fill("#username", "it-member")
    page.fill("#password", "long-enough-pw")
    page.click("form[action^='/auth/login'] button[type=submit]")
    expect(page).to_have_url(live_server.url + "/o/it-unit/requests/new")

    # the form (its refusals are tested without a browser: tests/test_requests_console.py)
    expect(page.locator("#delivery-0")).to_be_checked()  # electronic delivery by default
    page.fill("#content", CONTENT)
    page.fill("#purpose", "了解党费使用情况")
    page.fill("#contact_phone", "13800000000")
    page.fill("#contact_email", "member@example.org")
    page.locator("#request-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/o/it-unit/requests/\d+\?received=1$"))
    request_id = int(re.search(r"/requests/(\d+)", page.url).group(1))
    ((year, seq, deadline, provisional),) = live_server.query(
        "SELECT year, seq, deadline, deadline_provisional FROM disclosure_requests WHERE id = ?",
        request_id,
    )
    number = f"{year}-{seq:04d}"
    confirmation = page.locator(".confirmation")
    expect(confirmation).to_be_visible()
    expect(confirmation).to_contain_text(number)
    expect(page.locator(".deadline .deadline-date time")).to_have_attribute("datetime", deadline)
    assert not provisional  # the calendar holds this year
    # how the deadline was computed: the start day, the number of working days, the due date
    explanation = page.locator(".deadline details.explanation")
    explanation.locator("summary").click()
    lines = explanation.locator("li")
    expect(lines.first).to_be_visible()
    expect(lines.first).to_contain_text(deadline)
    expect(page.locator(".kept-text").first).to_have_text(CONTENT)

    # My requests: across units, the newest first
    page.locator("header a[href='/requests']").click()  # the header links My requests
    row = page.locator("table.requests-table tbody tr", has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(CONTENT[:20])
    row.locator(f"a[href='/o/it-unit/requests/{request_id}']").click()
    expect(page).to_have_url(live_server.url + f"/o/it-unit/requests/{request_id}")
    expect(page.locator(".confirmation")).to_have_count(0)  # the confirmation was a one-off
    expect(page.locator("h1")).to_contain_text(number)

    # nobody else reads it: another member of the unit gets "not found"
    other = pages.new_context().new_page()
    other.goto("/auth/login")
    other.fill("#username", "it-sibling-member")
    other.fill("#password", "long-enough-pw")
    other.click("form[action='/auth/login'] button[type=submit]")
    other.wait_for_selector(".signed-in")
    response = other.context.request.get(f"{live_server.url}/o/it-unit/requests/{request_id}")
    assert response.status == 404
    assert CONTENT not in response.text()
