"""Questionnaires (调查表) in headless Chromium: an editor drafts one in the console form (one
more question slot added without saving) and opens it; a visitor finds it from the feedback page,
answers and reads the thanks (a second answer from the same address is refused: a 409 page,
tested in tests/test_questionnaires.py). After the unit published the results, the visitor reads
them (never the free text); the console lists the free text. Screenshots of the
console form, the answer page and the results page at 1366 and 390 px in zh, en and ug (they fit
the screen)."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.rule("FB-3")]

TITLE = "党务公开满意度调查"
FREE_TEXT = "希望增加夜间接待时间 zxbrowqn"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def publish(live_server, questionnaire_id: int) -> None:
    from core import db
    from core.questionnaires import operations as ops
    from core.questionnaires.models import Questionnaire
    from tenants import operations as tenants

    with live_server.app.app_context():
        q = db.session.get(Questionnaire, questionnaire_id)
        admin = tenants.get_user("it-admin")
        ops.close(q, actor=admin)
        ops.publish(q, actor=admin)
        db.session.commit()
        db.session.remove()


def shoot(pages, artifacts, name: str, path: str) -> None:
    for lang in ("zh_Hans_CN", "en", "ug"):
        shot = pages.new_context().new_page()
        for width in (1366, 390):
            shot.set_viewport_size({"width": width, "height": 900})
            shot.goto(f"{path}?lang={lang}")
            used = shot.evaluate("document.documentElement.scrollWidth")
            assert used <= width, (name, lang, width, used)
            if lang == "ug":
                assert shot.evaluate("document.documentElement.dir") == "rtl"
            shot.screenshot(path=artifacts / f"questionnaire-{name}-{lang}-{width}.png",
                            full_page=True)  # fmt: skip


def test_an_editor_opens_a_questionnaire_and_a_visitor_answers_it(
    pages, sign_in, page, live_server, artifacts
):
    editor = sign_in("it-editor")
    editor.goto("/admin/o/it-unit/")
    editor.locator(".console-side a[href='/admin/o/it-unit/questionnaires']").first.click()
    editor.locator("a[href='/admin/o/it-unit/questionnaires/new']").click()
    editor.fill("#title_zh_Hans_CN", TITLE)
    editor.fill("#title_en", "Satisfaction survey")
    editor.fill("#intro_zh_Hans_CN", "请根据实际情况填写，答卷匿名。")
    editor.fill("#questions-0-text_zh_Hans_CN", "您对党务公开的及时性是否满意？")
    editor.fill("#questions-0-options_zh_Hans_CN", "满意\n基本满意\n不满意")
    editor.locator("button[name=add_question]").click()  # one more slot, nothing saved yet
    expect(editor.locator("#questions-1-kind")).to_be_visible()
    editor.select_option("#questions-1-kind", "multiple")
    editor.fill("#questions-1-text_zh_Hans_CN", "您通过哪些渠道了解党务公开？")
    editor.fill("#questions-1-options_zh_Hans_CN", "公开栏\n网站\n会议")
    editor.locator("button[name=add_question]").click()
    editor.select_option("#questions-2-kind", "text")
    editor.fill("#questions-2-text_zh_Hans_CN", "其他意见建议")
    editor.locator("form.form button[type=submit]").first.click()
    expect(editor.locator(".flash-success")).to_be_visible()
    questionnaire_id = int(re.search(r"/questionnaires/(\d+)$", editor.url).group(1))
    detail = f"/admin/o/it-unit/questionnaires/{questionnaire_id}"
    # the console form of the saved draft, in every language, wide and narrow
    for lang in ("zh_Hans_CN", "en", "ug"):
        for width in (1366, 390):
            editor.set_viewport_size({"width": width, "height": 900})
            editor.goto(f"{detail}/edit?lang={lang}")
            expect(editor.locator("#questions-2-text_zh_Hans_CN")).to_have_value("其他意见建议")
            assert editor.evaluate("document.documentElement.scrollWidth") <= width, (lang, width)
            editor.screenshot(path=artifacts / f"questionnaire-form-{lang}-{width}.png",
                              full_page=True)  # fmt: skip
    editor.goto(f"{detail}?lang=zh_Hans_CN")
    editor.locator(f"form[action$='{detail}/open'] button").click()
    expect(editor.locator(".flash-success")).to_be_visible()

    page.goto("/o/it-unit/feedback")
    page.locator("a[href='/o/it-unit/questionnaires']").first.click()
    page.locator(f"a[href='/o/it-unit/questionnaires/{questionnaire_id}']").click()
    expect(page.locator("h1")).to_have_text(TITLE)
    shoot(pages, artifacts, "answer", f"/o/it-unit/questionnaires/{questionnaire_id}")
    page.locator("input[name=a_q1][value=o1]").check()
    page.locator("input[name=a_q2][value=o2]").check()
    page.locator("input[name=a_q2][value=o3]").check()
    page.fill("textarea[name=a_q3]", FREE_TEXT)
    page.locator("form.questionnaire-form button[type=submit]").click()
    expect(page.locator(".confirmation h1")).to_be_visible()

    publish(live_server, questionnaire_id)
    page.goto("/o/it-unit/questionnaires")
    page.locator(f"a[href='/o/it-unit/questionnaires/{questionnaire_id}/results']").click()
    expect(page.locator("main table").first).to_contain_text("100.0%")
    assert "zxbrowqn" not in page.content()
    shoot(pages, artifacts, "results", f"/o/it-unit/questionnaires/{questionnaire_id}/results")
    editor.goto(f"/admin/o/it-unit/questionnaires/{questionnaire_id}?lang=zh_Hans_CN")
    expect(editor.locator(".free-texts")).to_contain_text(FREE_TEXT)
    for width in (1366, 390):
        editor.set_viewport_size({"width": width, "height": 900})
        editor.screenshot(path=artifacts / f"questionnaire-console-{width}.png", full_page=True)
