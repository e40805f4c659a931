"""The county admin's path through compliance and supervision in headless Chromium (issue 12): from
sign-in, without typing an address — the county's portal, its console, the compliance page; sort
by disclosure rate, open the worst unit, start an inspection of it with a finding; then the
unit's admin answers it; and the page's XLSX export opens with one row per unit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = [pytest.mark.browser, pytest.mark.rule("SUP-1")]


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_the_county_admin_finds_the_worst_unit_inspects_it_and_exports_the_page(
    sign_in, live_server, artifacts
):
    page = sign_in("it-county-admin")
    # from My work (where sign-in lands) to the county's home, and its compliance page
    page.locator("a[href='/admin/o/it-county/']").first.click()  # My work: the county's home
    page.locator("nav.console-side a[href='/admin/o/it-county/compliance']").click()
    expect(page.locator("h1")).to_contain_text("公开工作总览")
    units = live_server.query(
        "SELECT code FROM organisations WHERE path LIKE "
        "(SELECT path FROM organisations WHERE code = 'it-county') || '%' AND enabled"
    )
    expect(page.locator("tbody tr[data-unit]")).to_have_count(len(units))

    # sort by disclosure rate: the first click sorts the highest first, the second the lowest
    header = page.locator("thead th a", has_text="公开率").first
    header.click()
    page.locator("thead th a", has_text="公开率").first.click()
    expect(page.locator("thead th[aria-sort=ascending]")).to_contain_text("公开率")
    worst = page.locator("tbody tr[data-unit]").first
    assert worst.get_attribute("data-unit") == "it-unit"
    page.screenshot(path=artifacts / "compliance-sorted-zh.png", full_page=True)
    worst.locator("th a").click()
    expect(page).to_have_url(live_server.url + "/admin/o/it-unit/compliance")

    # start an inspection of this unit, from its compliance page
    page.locator("a", has_text="对本单位开展检查").click()
    page.select_option("#kind", "ad_hoc")
    page.fill("#subject", "党务公开专项检查")
    page.get_by_role("button", name="登记该检查").click()
    expect(page.locator(".flash").first).to_contain_text("检查已登记")
    page.fill("#description", "第三季度党费收缴情况应公开未公开")
    page.fill("#requirement", "十日内补充公开")
    deadline = page.locator("#deadline").input_value()
    assert deadline  # the default deadline: the parameter's days from today
    page.locator(
        "#findings form button[type=submit], form[action$='/findings'] button"
    ).first.click()
    expect(page.locator("body")).to_contain_text("第三季度党费收缴情况应公开未公开")
    page.screenshot(path=artifacts / "inspection-with-finding-zh.png", full_page=True)
    finding = live_server.query(
        "SELECT f.id, o.code, f.state FROM inspection_findings f "
        "JOIN organisations o ON o.id = f.org_id"
    )
    assert [(code, state) for _id, code, state in finding] == [("it-unit", "open")]
    # recorded by the county (the admin's own level), of the unit
    assert live_server.query(
        "SELECT o.code, t.code FROM inspections i JOIN organisations o ON o.id = i.org_id "
        "JOIN organisations t ON t.id = i.target_org_id"
    ) == [("it-county", "it-unit")]

    # the unit's admin is told and answers from the notification
    unit = sign_in("it-admin")
    unit.locator("a[href^='/notifications']").first.click()
    unit.locator("button.link", has_text="问题").first.click()
    unit.fill("#rectification", "已在公开栏补充公开第三季度党费收缴情况")
    unit.locator("#answer button[type=submit]").click()
    expect(unit.locator("body")).to_contain_text("已在公开栏补充公开")
    rows = live_server.query("SELECT state FROM inspection_findings")
    assert rows == [("answered",)]

    # the page as XLSX: one row per unit
    page.goto("/admin/o/it-county/compliance")
    with page.expect_download() as download:
        page.locator("a", has_text="导出Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    wanted = {code for (code,) in units}
    codes = [r[1] for r in book.active.iter_rows(values_only=True) if r[1] in wanted]
    assert sorted(codes) == sorted(wanted)
