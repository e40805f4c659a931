"""Questionnaires (调查表, issue 13 "Channels are data"): a unit drafts a short survey in its
console, opens it for a period, closes it and publishes its aggregated results; anyone answers
it once per address without an account; free-text answers are never published."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import db, localtime
from core.audit import AuditEntry
from core.errors import UserError
from core.plugins.testing import csrf_token
from core.questionnaires import operations as ops
from core.questionnaires.models import (
    Questionnaire,
    QuestionnaireRespondent,
    QuestionnaireResponse,
)
from tests.feedback_helpers import html, sign_in
from tests.items_helpers import build_world

CONSOLE = "/admin/o/it-unit/questionnaires"
PUBLIC = "/o/it-unit/questionnaires"
SECRET_TEXT = "希望增加夜间接待时间"


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def single(n: int = 1, options: int = 3) -> dict:
    return {
        "kind": "single",
        "texts": {"zh_Hans_CN": f"问题{n}", "en": f"Question {n}"},
        "options": [{"labels": {"zh_Hans_CN": f"选项{m}"}} for m in range(1, options + 1)],
    }


def data(questions=None) -> dict:
    return {
        "titles": {"zh_Hans_CN": "党务公开满意度调查", "en": "Satisfaction survey"},
        "intros": {"zh_Hans_CN": "请根据实际情况填写。"},
        "questions": [single()] if questions is None else questions,
    }


def survey(w) -> dict:
    return data(
        [
            single(1),
            {
                "kind": "multiple",
                "texts": {"zh_Hans_CN": "您通过哪些渠道了解党务公开？"},
                "options": [{"labels": {"zh_Hans_CN": t}} for t in ("公开栏", "网站", "会议")],
            },
            {"kind": "text", "texts": {"zh_Hans_CN": "其他意见建议"}, "options": []},
        ]
    )


def today(w):
    return localtime.today(w["unit"])


def opened(w, questions=None) -> Questionnaire:
    q = ops.create(w["unit"], survey(w) if questions is None else data(questions),
                   actor=w["editor"])  # fmt: skip
    ops.open_questionnaire(q, opens_on=today(w), closes_on=today(w) + timedelta(days=14),
                           actor=w["editor"])  # fmt: skip
    db.session.commit()
    return q


def answer_form(client, q_id: int, values: dict, *, addr: str = "10.0.0.1", form_at=None):
    path = f"{PUBLIC}/{q_id}"
    token = csrf_token(client, form_at or path)
    return client.post(
        path,
        data={**values, "csrf_token": token},
        environ_base={"REMOTE_ADDR": addr},
        headers={"Accept-Language": "en"},
    )


# --- the questions' edges ---------------------------------------------------------------------


@pytest.mark.rule("FB-3")
def test_one_to_ten_questions_are_accepted_zero_and_eleven_refused(w, english):
    assert len(ops.create(w["unit"], data([single(1)]), actor=w["editor"]).questions) == 1
    ten = [single(n) for n in range(1, 11)]
    assert len(ops.create(w["unit"], data(ten), actor=w["editor"]).questions) == 10
    for questions in ([], [single(n) for n in range(1, 12)]):
        with pytest.raises(UserError) as refused:
            ops.create(w["unit"], data(questions), actor=w["editor"])
        assert "from 1 to 10 questions" in str(refused.value), str(refused.value)


@pytest.mark.rule("FB-3")
def test_two_to_eight_options_are_accepted_one_and_nine_refused(w, english):
    for count in (2, 8):
        q = ops.create(w["unit"], data([single(1, count)]), actor=w["editor"])
        assert len(q.questions[0]["options"]) == count
        multiple = {**single(1, count), "kind": "multiple"}
        assert ops.create(w["unit"], data([multiple]), actor=w["editor"]).questions
    for count in (1, 9):
        for kind in ("single", "multiple"):
            with pytest.raises(UserError) as refused:
                ops.create(w["unit"], data([{**single(1, count), "kind": kind}]),
                           actor=w["editor"])  # fmt: skip
            assert "from 2 to 8 options" in str(refused.value), str(refused.value)


@pytest.mark.rule("FB-3")
def test_a_ninety_day_period_is_accepted_ninety_one_refused(w, english):
    start = today(w)
    q = ops.create(w["unit"], survey(w), actor=w["editor"])
    with pytest.raises(UserError) as refused:
        ops.open_questionnaire(q, opens_on=start, closes_on=start + timedelta(days=91),
                               actor=w["editor"])  # fmt: skip
    assert "at most 90 days" in str(refused.value)
    with pytest.raises(UserError, match="comes after the first day"):
        ops.open_questionnaire(q, opens_on=start, closes_on=start, actor=w["editor"])
    assert q.state == "draft"
    ops.open_questionnaire(q, opens_on=start, closes_on=start + timedelta(days=90),
                           actor=w["editor"])  # fmt: skip
    assert (q.state, q.closes_on) == ("open", start + timedelta(days=90))


def test_a_draft_can_be_changed_an_open_questionnaire_cannot(w, english):
    q = ops.create(w["unit"], survey(w), actor=w["editor"])
    assert ops.update(q, data([single(1), single(2)]), actor=w["admin"]) is True
    assert len(q.questions) == 2
    ops.open_questionnaire(q, opens_on=today(w), closes_on=today(w) + timedelta(days=7),
                           actor=w["editor"])  # fmt: skip
    with pytest.raises(UserError, match="Only a draft can be changed"):
        ops.update(q, data([single(1)]), actor=w["admin"])
    assert len(q.questions) == 2


def test_every_step_is_audited(w):
    q = opened(w)
    ops.close(q, actor=w["admin"])
    ops.publish(q, actor=w["admin"])
    db.session.commit()
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "questionnaire", AuditEntry.object_id == str(q.id))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "questionnaire.create",
        "questionnaire.open",
        "questionnaire.close",
        "questionnaire.publish",
    ]


def test_a_member_cannot_manage_questionnaires(w, english):
    with pytest.raises(UserError, match="Only an admin or editor"):
        ops.create(w["unit"], survey(w), actor=w["member"])


# --- answering ---------------------------------------------------------------------------------


@pytest.mark.rule("FB-3")
def test_one_answer_per_address_and_only_its_keyed_hash_is_kept(app, w):
    q = opened(w)
    visitor = app.test_client()
    values = {"a_q1": "o2", "a_q2": ["o1", "o3"], "a_q3": SECRET_TEXT}
    sent = answer_form(visitor, q.id, values, addr="10.0.0.1")
    assert sent.status_code == 303
    thanks = visitor.get(sent.headers["Location"])
    assert thanks.status_code == 200 and "答卷已收到" in html(thanks)
    again = answer_form(app.test_client(), q.id, values, addr="10.0.0.1")
    assert again.status_code == 409
    assert "each address answers once" in html(again)
    other = answer_form(app.test_client(), q.id, {"a_q1": "o1", "a_q2": ["o2"]}, addr="10.0.0.2")
    assert other.status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireResponse)) == 2
    hashes = db.session.scalars(select(QuestionnaireRespondent.address_hash)).all()
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)
    assert not any("10.0.0" in h for h in hashes)
    with app.test_request_context():
        assert ops.address_hash(q, "10.0.0.1") in hashes
    # nothing of the visitor's address anywhere in the rows of the questionnaire
    for answers in db.session.scalars(select(QuestionnaireResponse.answers)):
        assert "10.0.0" not in str(answers)


def test_answers_are_checked_and_kept_on_a_refusal(app, w):
    q = opened(w)
    client = app.test_client()
    refused = answer_form(client, q.id, {"a_q3": SECRET_TEXT})
    assert refused.status_code == 400
    page = html(refused)
    assert "Choose one option." in page and SECRET_TEXT in page
    too_long = answer_form(client, q.id, {"a_q1": "o1", "a_q2": ["o1"], "a_q3": "长" * 501})
    assert too_long.status_code == 400
    assert (
        answer_form(client, q.id, {"a_q1": "o1", "a_q2": ["o1"], "a_q3": "长" * 500}).status_code
        == 303
    )


def test_a_closed_or_unopened_questionnaire_takes_no_answers(app, w):
    draft = ops.create(w["unit"], survey(w), actor=w["editor"])
    db.session.commit()
    client = app.test_client()
    assert client.get(f"{PUBLIC}/{draft.id}").status_code == 404
    q = opened(w)
    ops.close(q, actor=w["admin"])
    db.session.commit()
    page = client.get(f"{PUBLIC}/{q.id}?lang=zh_Hans_CN")
    assert page.status_code == 409
    assert 'name="a_q1"' not in html(page)  # no form
    assert "不再接受答卷" in html(page)  # translated
    posted = answer_form(
        client, q.id, {"a_q1": "o1", "a_q2": ["o1"]}, form_at="/o/it-unit/feedback"
    )
    assert posted.status_code == 409
    assert "不再接受答卷" in html(posted)


# --- results -------------------------------------------------------------------------------------


@pytest.mark.rule("FB-3")
def test_results_are_hidden_until_published_and_free_text_never_public(app, w):
    q = opened(w)
    for n, addr in enumerate(("10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4")):
        values = {"a_q1": "o1" if n < 3 else "o2", "a_q2": ["o1", "o2"] if n else ["o3"]}
        if n == 0:
            values["a_q3"] = SECRET_TEXT
        assert answer_form(app.test_client(), q.id, values, addr=addr).status_code == 303
    visitor = app.test_client()
    assert visitor.get(f"{PUBLIC}/{q.id}/results").status_code == 404
    q = db.session.get(Questionnaire, q.id)  # the requests ended the test's session
    ops.close(q, actor=db.session.get(type(w["admin"]), w["admin"].id))
    db.session.commit()
    assert visitor.get(f"{PUBLIC}/{q.id}/results").status_code == 404
    assert f"/questionnaires/{q.id}" not in html(visitor.get(PUBLIC))  # closed, unpublished
    # the console reads everything, the free text too (escaped)
    staff = sign_in(app, "it-reviewer")
    console = html(staff.get(f"{CONSOLE}/{q.id}"))
    assert SECRET_TEXT in console and "75.0%" in console
    q = db.session.get(Questionnaire, q.id)
    ops.publish(q, actor=db.session.get(type(w["admin"]), w["admin"].id))
    db.session.commit()
    results = visitor.get(f"{PUBLIC}/{q.id}/results?lang=en")
    assert results.status_code == 200
    page = html(results)
    assert "4 responses" in page
    assert "75.0%" in page and "25.0%" in page  # 3 of 4 chose o1, 1 of 4 o2
    assert "1 free-text answer" in page
    assert SECRET_TEXT not in page
    listed = html(visitor.get(PUBLIC))
    assert f"/questionnaires/{q.id}/results" in listed


def test_free_text_is_shown_escaped_in_the_console(app, w):
    q = opened(w)
    script = "<script>alert(1)</script>\u202e反"
    answer_form(app.test_client(), q.id, {"a_q1": "o1", "a_q2": ["o1"], "a_q3": script})
    page = html(sign_in(app, "it-editor").get(f"{CONSOLE}/{q.id}"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;反" in page


# --- the console ----------------------------------------------------------------------------------


def console_form(questions: list[dict]) -> dict:
    values = {"title_zh_Hans_CN": "满意度调查", "intro_zh_Hans_CN": "请填写。"}
    for n, q in enumerate(questions):
        values[f"questions-{n}-kind"] = q["kind"]
        values[f"questions-{n}-text_zh_Hans_CN"] = q["text"]
        values[f"questions-{n}-options_zh_Hans_CN"] = "\n".join(q.get("options", []))
    return values


def test_an_editor_creates_opens_closes_and_publishes_in_the_console(app, w):
    client = sign_in(app, "it-editor")
    assert "Questionnaires" in html(client.get("/admin/o/it-unit/"))  # the side navigation
    new = f"{CONSOLE}/new"
    form = console_form([
        {"kind": "single", "text": "满意吗？", "options": ["满意", "不满意"]},
        {"kind": "text", "text": "建议"},
    ])  # fmt: skip
    # one option only: refused, under the field, with what was typed kept
    bad = {**form, "questions-0-options_zh_Hans_CN": "满意"}
    refused = client.post(new, data={**bad, "csrf_token": csrf_token(client, new)})
    assert refused.status_code == 400
    assert "from 2 to 8 options" in html(refused) and "满意吗？" in html(refused)
    more = client.post(
        new, data={**form, "add_question": "1", "csrf_token": csrf_token(client, new)}
    )
    assert more.status_code == 200 and "questions-2-kind" in html(more)
    saved = client.post(new, data={**form, "csrf_token": csrf_token(client, new)})
    assert saved.status_code == 302, html(saved)
    q = db.session.scalar(select(Questionnaire).order_by(Questionnaire.id.desc()))
    assert [x["kind"] for x in q.questions] == ["single", "text"]
    detail = f"{CONSOLE}/{q.id}"
    start = today(w)
    too_long = client.post(f"{detail}/open", data={
        "opens_on": start.isoformat(), "closes_on": (start + timedelta(days=91)).isoformat(),
        "csrf_token": csrf_token(client, detail)})  # fmt: skip
    assert too_long.status_code == 400 and "at most 90 days" in html(too_long)
    opened_ = client.post(f"{detail}/open", data={
        "opens_on": start.isoformat(), "closes_on": (start + timedelta(days=90)).isoformat(),
        "csrf_token": csrf_token(client, detail)})  # fmt: skip
    assert opened_.status_code == 302
    assert client.get(f"{detail}/edit").status_code == 302  # an open one keeps its questions
    for step in ("close", "publish"):
        done = client.post(f"{detail}/{step}", data={"csrf_token": csrf_token(client, detail)})
        assert done.status_code == 302, (step, html(done))
    db.session.rollback()
    assert db.session.get(Questionnaire, q.id).state == "published"


def test_another_units_staff_cannot_manage_it(app, w, make_org):
    from tests.items_helpers import user

    q = opened(w)
    sibling_admin = user("it-sibling-admin", ("admin", w["sibling"]))
    db.session.commit()
    client = sign_in(app, "it-sibling-admin")
    # under the unit's own code: no access to its console at all
    assert client.get(f"{CONSOLE}/{q.id}").status_code == 403
    token = {"csrf_token": csrf_token(client, "/admin/o/it-sibling/")}
    assert client.post(f"{CONSOLE}/{q.id}/close", data=token).status_code == 403
    # under the sibling's own code: not its questionnaire
    assert client.get(f"/admin/o/it-sibling/questionnaires/{q.id}").status_code == 404
    sibling_page = f"/admin/o/it-sibling/questionnaires/{q.id}/close"
    assert client.post(sibling_page, data=token).status_code == 404
    with pytest.raises(UserError):
        ops.close(q, actor=sibling_admin)
    db.session.rollback()
    assert db.session.get(Questionnaire, q.id).state == "open"
    # and the public page of the sibling does not show the unit's questionnaire
    assert client.get(f"/o/it-sibling/questionnaires/{q.id}").status_code == 404


def test_the_sweep_closes_a_questionnaire_after_its_last_day(w, monkeypatch):
    q = opened(w)
    later = q.closes_on + timedelta(days=1)
    monkeypatch.setattr(ops, "today", lambda org: later)
    assert ops.close_due() == 1
    assert q.state == "closed"


def test_linked_from_the_portal_and_the_feedback_page(app, w):
    client = app.test_client()
    for path in ("/o/it-unit/", "/o/it-unit/feedback"):
        assert f'href="{PUBLIC}"' in html(client.get(path)), path


def test_closed_results_wait_in_my_work_until_published(app, w):
    q = opened(w)
    ops.close(q, actor=w["admin"])
    db.session.commit()
    editor = sign_in(app, "it-editor")
    assert f"/admin/o/it-unit/questionnaires/{q.id}" in html(editor.get("/admin?lang=en"))
    member = sign_in(app, "it-member")
    assert f"/questionnaires/{q.id}" not in html(member.get("/admin?lang=en"))
    q = db.session.get(Questionnaire, q.id)
    ops.publish(q, actor=db.session.get(type(w["admin"]), w["admin"].id))
    db.session.commit()
    assert f"/admin/o/it-unit/questionnaires/{q.id}" not in html(editor.get("/admin?lang=en"))


def test_a_step_not_possible_now_is_refused_with_its_reason(app, w):
    q = opened(w)
    client = sign_in(app, "it-admin")
    detail = f"{CONSOLE}/{q.id}"
    refused = client.post(f"{detail}/publish", data={"csrf_token": csrf_token(client, detail)})
    assert 400 <= refused.status_code < 500
    assert "This step is not possible now" in html(refused)
    assert db.session.get(Questionnaire, q.id).state == "open"
