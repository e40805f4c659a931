"""A citizen without a government-portal identity, in a real browser (headless Chromium): from
the unit's portal to the request form, which asks for sign-in; the sign-in page offers an
account (the county allows it); register, read the confirmation link from the mail the local
SMTP server received, confirm, sign in and file a disclosure request — without typing an
address after the portal. Screenshots of the register page at 1366 and 390 px in zh, en and ug
go to ``tests/browser/artifacts/``."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

CONTENT = "请公开本支部2026年党员发展工作情况（注册用户浏览器测试）"
PASSWORD = "citizen-password-1"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture
def allowed(live_server, tmp_path):
    """Self-registration on in the test county, mail to a local SMTP server; both undone."""
    from core import db
    from core.params import operations as params
    from tenants import operations
    from tests.notification_helpers import debug_smtp

    app = live_server.app
    with app.app_context():
        params.set_value(operations.get_org("it-county"), "auth.self_registration", True)
        db.session.commit()
    try:
        with debug_smtp(app, tmp_path / "smtp") as server:
            app.config["GONGKAI_BASE_URL"] = live_server.url
            yield server
    finally:
        with app.app_context():
            params.clear_value(operations.get_org("it-county"), "auth.self_registration")
            db.session.commit()


def mailed_link(live_server, smtp, address: str) -> str:
    from core import jobs

    with live_server.app.app_context():
        jobs.work_burst()  # the mail queue, as a worker runs it
    [mail] = [m for m in smtp.messages() if m["To"].addresses[0].addr_spec == address]
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:\d+/auth/verify/[0-9a-f]{64}", text).group(0)


def test_a_citizen_registers_confirms_the_address_and_files_a_request(
    pages, page, live_server, allowed, artifacts
):
    page.goto("/o/it-unit/")
    page.locator("a[href='/o/it-unit/requests/new']").click()
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    page.locator(".signin-register a").click()
    expect(page).to_have_url(re.compile(r"/auth/register\?org=it-unit"))

    for lang in ("zh_Hans_CN", "en", "ug"):  # the page in every language, wide and narrow
        shot = pages.new_context().new_page()
        for width in (1366, 390):
            shot.set_viewport_size({"width": width, "height": 900})
            shot.goto(f"/auth/register?org=it-unit&lang={lang}")
            width_used = shot.evaluate("document.documentElement.scrollWidth")
            assert width_used <= width, (lang, width, width_used)
            shot.screenshot(path=artifacts / f"register-{lang}-{width}.png", full_page=True)

    page.fill("#display_name", "王小明")
    page.fill("#email", "wangxm@example.org")
    page.fill("#username", "wangxm")
    page.fill("#password", PASSWORD)
    page.fill("#repeat", PASSWORD)
    page.locator("form[action^='/auth/register'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/auth/register/sent"))

    link = mailed_link(live_server, allowed, "wangxm@example.org")
    page.goto(link)  # the person opens the link of the mail
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/auth/login\?next=.*requests"))
    page.fill("#username", "wangxm")
    page.fill("#password", PASSWORD)
    page.click("form[action^='/auth/login'] button[type=submit]")
    expect(page).to_have_url(live_server.url + "/o/it-unit/requests/new")

    page.fill("#content", CONTENT)
    page.fill("#purpose", "了解党员发展情况")
    page.fill("#contact_email", "wangxm@example.org")
    page.locator("#request-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/o/it-unit/requests/\d+\?received=1$"))
    expect(page.locator(".confirmation")).to_be_visible()
    ((applicant,),) = live_server.query(
        "SELECT u.username FROM disclosure_requests r JOIN users u ON u.id = r.applicant_id "
        "WHERE r.content = ?",
        CONTENT,
    )
    assert applicant == "wangxm"
