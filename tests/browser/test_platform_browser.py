"""The platform console in Chromium, without typing an address after sign-in: a platform admin
lands on My work, opens the platform console from it, finds a person, makes them a link to choose
a new password, looks at the job health and finds the link's audit entry. Screenshots of every
platform page at 1366 and 390 px in zh_Hans_CN, en and ug go to ``tests/browser/artifacts/``."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

ADMIN = "bt-platform-admin"


@pytest.fixture
def platform_admin(live_server):
    from core import db
    from tenants import operations

    with live_server.app.app_context():
        if operations.get_user(ADMIN) is None:
            operations.create_user(
                ADMIN, password=PASSWORD, platform_admin=True, display_name="平台管理员"
            )
            db.session.commit()
    return ADMIN


@pytest.fixture
def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def test_a_platform_admin_resets_a_password_and_finds_it_in_the_audit_log(
    sign_in, platform_admin, live_server, expect
):
    admin = sign_in(platform_admin)
    expect(admin).to_have_url(re.compile(r"/admin$"))

    # My work links the platform console; its overview lists the hosted county
    admin.locator(".my-work-side").get_by_role("link", name="概况").click()
    expect(admin).to_have_url(re.compile(r"/admin/platform/$"))
    expect(
        admin.locator("table.counties a[href='/admin/platform/counties/it-county']")
    ).to_have_count(1)

    # the side navigation leads to the users; a search finds the editor
    admin.locator(".console-side a[href='/admin/platform/users/']").click()
    admin.fill("#q", "it-editor")
    admin.locator("form.user-search button[type=submit]").click()
    admin.locator("table a[href^='/admin/platform/users/']").first.click()
    expect(admin.locator("h1")).to_contain_text("it-editor")

    # a one-time link to choose a new password, shown once
    admin.locator("form[action$='/password-link'] button[type=submit]").click()
    expect(admin.locator("#new-password-link")).to_have_value(re.compile(r"/auth/password/\w+"))

    # the job health page, then the audit log, which has the link's entry for this person
    admin.locator(".console-side a[href='/admin/platform/jobs/']").click()
    expect(admin.locator("h1")).to_be_visible()
    admin.locator(".console-side a[href='/admin/platform/audit/']").click()
    admin.fill("#actor", platform_admin)
    admin.locator("form.audit-search button[type=submit]").click()
    first = admin.locator("main table tbody tr").first
    expect(first).to_contain_text("平台管理员")
    expect(first).to_contain_text("生成重置密码链接")  # the action in words, not its code
    expect(first.locator("a[href^='/admin/platform/users/']")).to_have_count(1)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_platform_pages_fit_the_screen_in_every_language(
    sign_in, platform_admin, live_server, artifacts, expect, width
):
    admin = sign_in(platform_admin)
    admin.set_viewport_size({"width": width, "height": 900})
    pages = {
        "overview": "/admin/platform/",
        "county": "/admin/platform/counties/it-county",
        "users": "/admin/platform/users/?q=it-",
        "jobs": "/admin/platform/jobs/",
        "audit": "/admin/platform/audit/",
        "calendar": "/admin/platform/calendar/",
        "sso": "/admin/platform/sso/",
    }
    for lang in ("zh_Hans_CN", "en", "ug"):
        for name, path in pages.items():
            sep = "&" if "?" in path else "?"
            response = admin.goto(f"{path}{sep}lang={lang}")
            assert response.status == 200, (path, lang)
            assert admin.evaluate("document.documentElement.scrollWidth") <= width, (path, lang)
            admin.screenshot(path=artifacts / f"platform-{name}-{lang}-{width}.png", full_page=True)
