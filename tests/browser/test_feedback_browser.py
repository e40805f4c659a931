"""The visitor's path through the feedback ledger in headless Chromium: from the unit's portal, give
feedback without an account, get the receipt and its code, and later — once the unit has
answered and published — read the answer on the receipt's page and on the answers page. XSS
payloads given as feedback never open a dialog."""

from __future__ import annotations

import re

import pytest

from tests.browser.world import NAMES

pytestmark = [pytest.mark.browser, pytest.mark.rule("FB-1")]

UNIT_NAME = NAMES["it-unit"]["zh_Hans_CN"]["full"]
PAYLOADS = [
    "<script>alert('script')</script>",
    "<img src=x onerror=alert('img')>",
    '"><svg onload=alert("svg")>',
    "<a href=\"javascript:alert('link')\">点我</a>",
    "</textarea><script>alert('textarea')</script>",
    "<details open ontoggle=alert('toggle')>",
    "{{7*7}}",
]


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def expected_refusal(pages, path: str) -> None:
    """A refusal (4xx) the test asked for: Chromium logs its status as a console error."""
    logged = "the server responded with a status of 4"
    pages.errors[:] = [e for e in pages.errors if not (path in e and logged in e)]


def answer_and_publish(live_server, receipt: str, *, answer: str, summary: str) -> None:
    """The unit's side (tested in the console tests): assign, answer, publish and close."""
    from sqlalchemy import select

    from core import db
    from core.feedback import operations as feedback
    from core.feedback.models import FeedbackEntry
    from tenants import operations as tenants

    with live_server.app.app_context():
        entry = db.session.scalar(select(FeedbackEntry).where(FeedbackEntry.receipt == receipt))
        admin, member = tenants.get_user("it-admin"), tenants.get_user("it-member")
        feedback.assign(entry, actor=admin, handler=member)
        feedback.answer(entry, actor=member, text=answer)
        feedback.publish(entry, actor=admin, public_question=summary)
        feedback.close(entry, actor=admin)
        db.session.commit()
        db.session.remove()


def test_a_visitor_gives_feedback_and_later_reads_the_published_answer(
    page, pages, live_server, artifacts
):
    page.goto("/o/it-unit/")
    expect(page.locator("h1")).to_have_text(UNIT_NAME)
    page.locator("nav.portal-links a[href='/o/it-unit/feedback']").click()
    expect(page).to_have_url(live_server.url + "/o/it-unit/feedback")
    # the honeypot is there for bots, not for people
    expect(page.locator("input[name=website]")).to_be_hidden()
    expect(page.locator("input[type=file]")).to_have_count(0)

    page.locator("form.feedback-form button[type=submit]").click()  # nothing written
    expect(page.locator("#content-error-1")).to_be_visible()
    expected_refusal(pages, "/o/it-unit/feedback")

    text = "建议幼儿园公开栏\n每月更新一次党费收缴情况。"
    page.fill("#content", text)
    page.locator("form.feedback-form button[type=submit]").click()

    confirmation = page.locator(".confirmation")
    expect(confirmation.locator("h1")).to_be_visible()
    receipt = page.locator(".receipt-number").inner_text()
    code = page.locator(".lookup-code").inner_text()
    assert re.fullmatch(r"FK-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt), receipt
    page.screenshot(path=artifacts / "feedback-received-zh.png", full_page=True)
    rows = live_server.query(
        "SELECT content, channel, state, user_id FROM feedback_entries WHERE receipt = ?", receipt
    )
    assert rows == [("建议幼儿园公开栏\n每月更新一次党费收缴情况。", "online", "received", None)]
    link = page.locator("a.lookup-link").get_attribute("href")

    # not answered yet: the receipt's page says so, in a fresh browser (no session)
    later = page.context.browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        visit = later.new_page()
        visit.goto(link)
        expect(visit.locator(".feedback-entry")).to_contain_text("每月更新一次党费收缴情况")
        expect(visit.locator(".answer-text")).to_have_count(0)

        answer_and_publish(
            live_server,
            receipt,
            answer="已采纳，自下月起每月更新公开栏。",
            summary="关于每月更新公开栏党费情况的建议",
        )
        visit.reload()
        expect(visit.locator(".answer-text")).to_have_text("已采纳，自下月起每月更新公开栏。")

        # the answers page: the summary and the answer, never the visitor's own words
        visit.goto("/o/it-unit/")
        visit.locator("nav.portal-links a[href='/o/it-unit/feedback/answers']").click()
        published = visit.locator(f"#answer-{receipt}")
        expect(published.locator(".question")).to_have_text("关于每月更新公开栏党费情况的建议")
        expect(published.locator(".answer-text")).to_have_text("已采纳，自下月起每月更新公开栏。")
        expect(visit.locator("main")).not_to_contain_text("每月更新一次党费收缴情况")
        visit.screenshot(path=artifacts / "feedback-answers-zh.png", full_page=True)

        # the lookup form: the receipt typed by hand
        visit.goto("/o/it-unit/feedback/lookup")
        visit.fill("#lookup-receipt", receipt.lower())
        visit.fill("#lookup-code", code)
        visit.locator("form.lookup-form button[type=submit]").click()
        expect(visit.locator(".answer-text")).to_be_visible()
    finally:
        later.close()


def test_xss_payloads_given_as_feedback_open_no_dialog(page, pages, live_server):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for payload in PAYLOADS:
        page.goto("/o/it-unit/feedback")
        page.fill("#content", payload)
        page.fill("#name", payload[:100])
        page.locator("form.feedback-form button[type=submit]").click()
        expect(page.locator(".confirmation")).to_be_visible()
        receipt = page.locator(".receipt-number").inner_text()
        page.locator("a.lookup-link").click()  # the visitor's own words, shown back
        expect(page.locator(".feedback-entry")).to_contain_text(payload[:10])
        answer_and_publish(live_server, receipt, answer=payload, summary=payload)
    # a form sent without its token comes back with the text kept: still inert
    page.goto("/o/it-unit/feedback")
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'expired'")
    page.fill("#content", PAYLOADS[1] + PAYLOADS[4])
    page.locator("form.feedback-form button[type=submit]").click()
    expect(page.locator("#content")).to_have_value(PAYLOADS[1] + PAYLOADS[4])
    expected_refusal(pages, "/o/it-unit/feedback")
    # the published answers: shown as text (the load event waits for every image)
    page.goto("/o/it-unit/feedback/answers")
    answers = page.locator(".feedback-answers")
    expect(answers).to_contain_text("{{7*7}}")
    expect(answers).to_contain_text("<script>alert('script')</script>")
    expect(answers.locator("img, svg, script, details")).to_have_count(0)
    page.hover(".feedback-answers")
    assert dialogs == []
