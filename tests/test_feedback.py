"""The feedback ledger (FB-1, FB-2, ARC-1): the visitor's form without an account, feedback
recorded by staff from every channel, handling, the closing rules, the register entry, the
published answers, and a submission with Redis stopped."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from core import db, events
from core.errors import UserError
from core.feedback import ledger
from core.feedback import operations as feedback
from core.feedback import rules as feedback_rules
from core.feedback.models import STAFF_CHANNELS, FeedbackEntry
from core.params import operations as params
from core.plugins.testing import csrf_token
from core.register.models import RegisterEntry
from core.workflow import TransitionRefused
from tests.feedback_helpers import (
    answered,
    closed,
    days,
    html,
    online,
    receipt_and_code,
    recorded,
    sign_in,
    world,
)
from tests.services import RedisServer

GIVE = "/o/it-unit/feedback"


@pytest.fixture
def w(make_org):
    return world(make_org)


def entries() -> list[FeedbackEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(FeedbackEntry).order_by(FeedbackEntry.id)))


def give(client, data: dict, *, token: bool = True, **kwargs):
    form = {"content": "", "name": "", "contact": "", "item": "", "website": "", **data}
    if token:
        form["csrf_token"] = csrf_token(client, GIVE)
    return client.post(GIVE, data=form, **kwargs)


# --- FB-1: online, anyone, no account --------------------------------------------------------


@pytest.mark.rule("FB-1")
def test_a_visitor_gives_feedback_without_an_account_and_gets_a_receipt(app, client, w):
    page = client.get(GIVE + "?lang=en")
    assert page.status_code == 200
    assert "Your opinion or suggestion" in html(page) and 'type="file"' not in html(page)

    sent = give(client, {"content": "希望\n公开栏\n每月更新", "contact": "13912345678"})
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith("/o/it-unit/feedback/received")

    (entry,) = entries()
    assert (entry.channel, entry.state, entry.user_id) == ("online", "received", None)
    assert entry.content == "希望\n公开栏\n每月更新"
    assert entry.submitter_contact == "13912345678" and not entry.anonymous
    assert entry.due_on is not None and entry.due_on > entry.received_on

    confirmation = client.get(sent.headers["Location"])
    assert confirmation.status_code == 200
    assert confirmation.headers["Cache-Control"] == "private, no-store"
    receipt, code = receipt_and_code(html(confirmation))
    assert receipt == entry.receipt
    assert entry.lookup_hash and code not in entry.lookup_hash  # only its digest is kept

    # later, with the receipt and the code (in any spelling of the receipt)
    stranger = app.test_client()
    shown = stranger.get(
        f"{GIVE}/lookup", query_string={"receipt": receipt.lower().replace("-", " "), "code": code}
    )
    assert shown.status_code == 200
    assert "公开栏" in html(shown)
    wrong = stranger.get(f"{GIVE}/lookup", query_string={"receipt": receipt, "code": "nope1234"})
    assert wrong.status_code == 404 and "公开栏" not in html(wrong)


@pytest.mark.rule("FB-1")
def test_a_signed_in_visitor_is_recorded_as_the_submitter(app, w):
    client = sign_in(app, "it-other-member")
    assert give(client, {"content": "建议增加线上公开渠道"}).status_code == 303
    (entry,) = entries()
    assert entry.user_id == w["other_member"].id
    assert not entry.anonymous  # the unit can answer an account


def test_feedback_about_an_item_names_a_visible_item_of_the_unit_only(app, client, w):
    item = w["item"]
    page = client.get(f"{GIVE}?item={item.id}")
    assert f'<option selected value="{item.id}">' in html(page) or (
        f'value="{item.id}" selected' in html(page)
    )
    assert give(client, {"content": "关于选举结果的意见", "item": str(item.id)}).status_code == 303
    assert entries()[0].item_id == item.id

    # an intra-Party item of the unit is no choice for an anonymous visitor
    from tests.items_helpers import published

    internal = published(w, titles={"zh_Hans_CN": "内部事项"}, bodies={"zh_Hans_CN": "内部"})
    refused = give(client, {"content": "关于内部事项", "item": str(internal.id)})
    assert refused.status_code == 400
    assert "关于内部事项" in html(refused)  # kept
    assert "内部事项</option>" not in html(client.get(f"{GIVE}?item={internal.id}"))
    assert len(entries()) == 1


def test_the_form_keeps_what_the_visitor_wrote_on_every_error(app, client, w):
    client.get("/?lang=en")
    text = "我的意见：公开栏 <b>要</b> 更新"
    expired = give(client, {"content": text, "name": "李四"}, token=False)
    assert expired.status_code == 400
    body = html(expired)
    assert "The form had expired" in body
    assert "我的意见：公开栏 &lt;b&gt;要&lt;/b&gt; 更新" in body and 'value="李四"' in body

    too_long = give(client, {"content": "长" * 2001})
    assert too_long.status_code == 400 and "长" * 2001 in html(too_long)

    empty = give(client, {"content": "   ", "contact": "kept@example.org"})
    assert empty.status_code == 400 and "kept@example.org" in html(empty)
    assert entries() == []


class TestRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_too_many_submissions_from_one_address_are_refused_with_the_text_kept(
        self, app, client, w
    ):
        statuses = [give(client, {"content": f"第{n}条意见"}).status_code for n in range(6)]
        assert statuses == [303] * 5 + [429]
        refused = give(client, {"content": "被限制的意见"})
        assert refused.status_code == 429 and "被限制的意见" in html(refused)
        other = app.test_client()
        assert (
            give(
                other, {"content": "另一个地址"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
            ).status_code
            == 303
        )
        assert len(entries()) == 6


def test_the_honeypot_answers_like_a_success_and_stores_the_entry_as_spam(app, client, w):
    received = []
    events.feedback_received.connect(received.append)
    try:
        sent = give(client, {"content": "buy cheap things", "website": "http://spam.example"})
    finally:
        events.feedback_received.disconnect(received.append)
    assert sent.status_code == 303
    assert "receipt-number" in html(client.get(sent.headers["Location"]))
    (entry,) = entries()
    assert entry.spam and entry.due_on is None
    assert received == []  # nobody is notified
    assert ledger.overdue(today=entry.received_on + days(365)) == []
    # an admin can take the mark off: then it is due and announced
    feedback.set_spam(entry, actor=w["admin"], spam=False)
    assert not entry.spam and entry.due_on is not None


def test_visitor_text_is_stored_as_plain_text():
    assert feedback.clean_text(" a\r\nb\x00c\u202ed\x07\te ") == "a\nbcd\te"


# --- FB-1: recorded by staff from every channel ---------------------------------------------


@pytest.mark.rule("FB-1")
@pytest.mark.parametrize("channel", STAFF_CHANNELS)
def test_staff_record_feedback_from_every_channel(app, w, channel):
    entry = recorded(w, channel, received_on=w["item"].published_at.date() - days(3), name=None)
    assert (entry.channel, entry.state, entry.recorded_by_id) == (
        channel,
        "received",
        w["editor"].id,
    )
    assert entry.submitter_name is None and entry.submitter_contact == "13800000000"
    assert entry.lookup_hash is None


def test_only_the_units_admins_and_editors_record_feedback(app, w):
    for who in ("member", "reviewer", "bureau_reviewer", "sibling_member"):
        with pytest.raises(UserError):
            feedback.record(w["unit"], actor=w[who], channel="hotline", content="x")
    with pytest.raises(UserError) as refused:
        feedback.record(w["unit"], actor=w["admin"], channel="online", content="")
    assert any(p.startswith("channel:") for p in refused.value.problems)
    assert any(p.startswith("content:") for p in refused.value.problems)


@pytest.mark.rule("FB-2")
def test_the_due_date_counts_the_parameters_working_days(app, w):
    from datetime import date

    params.set_value(w["county"], "feedback.answer_days", 10, actor=w["county_admin"])
    # received on Monday 2026-09-28: two working days, the National Day holiday (10-01 to
    # 10-07), then 10-08, 10-09, Saturday 10-10 (worked) and 10-12 to 10-16
    entry = recorded(w, received_on="2026-09-28")
    assert entry.due_on == date(2026, 10, 16) and not entry.due_provisional
    # unanswered, the entry is on time on its due day and overdue the day after
    assert feedback.overdue(w["unit"], today=date(2026, 10, 16)) == []
    assert feedback.overdue(w["unit"], today=date(2026, 10, 17)) == [entry]
    params.set_value(w["county"], "feedback.answer_days", 11, actor=w["county_admin"])
    assert recorded(w, received_on="2026-09-28").due_on == date(2026, 10, 19)


# --- handling ---------------------------------------------------------------------------------


def test_assignment_names_a_person_of_the_unit_with_a_due_date(app, w):
    entry = online(w)
    seen = []

    def on_assigned(sender, **kw):
        seen.append((sender.id, kw["handler"].username, kw["due"]))

    events.feedback_assigned.connect(on_assigned)
    try:
        with pytest.raises(UserError):
            feedback.assign(entry, actor=w["admin"], handler=w["sibling_member"])
        with pytest.raises(UserError):
            feedback.assign(entry, actor=w["member"], handler=w["member"])
        due = entry.received_on + days(5)
        feedback.assign(entry, actor=w["editor"], handler=w["member"], due_on=due)
        feedback.assign(entry, actor=w["admin"], handler=w["reviewer"])  # reassigned
    finally:
        events.feedback_assigned.disconnect(on_assigned)
    assert entry.state == "assigned" and entry.handler_id == w["reviewer"].id
    assert entry.due_on == due
    assert seen == [(entry.id, "it-member", due), (entry.id, "it-reviewer", due)]


def test_only_the_handler_or_a_manager_handles_an_entry(app, w):
    entry = online(w)
    feedback.assign(entry, actor=w["admin"], handler=w["member"])
    with pytest.raises(UserError):
        feedback.add_note(entry, actor=w["reviewer"], text="不是我的")
    first = feedback.add_note(entry, actor=w["member"], text="已电话联系")
    second = feedback.add_note(entry, actor=w["editor"], text="已核实")
    assert [n.text for n in feedback.notes(entry)] == ["已电话联系", "已核实"]
    assert first.at <= second.at
    with pytest.raises(UserError):
        feedback.answer(entry, actor=w["child_member"], text="答复")


# --- FB-2: closing rules -----------------------------------------------------------------------


@pytest.mark.rule("FB-2")
def test_an_anonymous_feedback_entry_cannot_be_closed_without_a_published_answer(app, w):
    entry = online(w, content="匿名意见：公开栏太旧")
    assert entry.anonymous
    answered(w, entry)
    with force_locale("en"), pytest.raises(TransitionRefused) as refused:
        feedback.close(entry, actor=w["admin"])
    assert "published answer" in str(refused.value)
    assert entry.state == "answered" and entry.closed_at is None
    # a publication without the answer is refused (there would be nothing to show)
    with pytest.raises(UserError):
        feedback.publish(entry, actor=w["admin"], public_question="建议", include_answer=False)
    assert not entry.published
    feedback.publish(entry, actor=w["admin"], public_question="关于公开栏的建议")
    feedback.close(entry, actor=w["admin"])
    assert entry.state == "closed" and entry.closed_at is not None


@pytest.mark.rule("FB-2")
def test_a_named_entry_closes_with_an_answer_to_the_submitter(app, w):
    entry = recorded(w, "letters_visits")
    feedback.assign(entry, actor=w["admin"], handler=w["member"])
    with pytest.raises(UserError) as refused:
        feedback.answer(entry, actor=w["member"], text="已答复")  # how did it reach them?
    assert any(p.startswith("answer_channel:") for p in refused.value.problems)
    with pytest.raises(TransitionRefused):
        feedback.close(entry, actor=w["admin"])  # not answered
    feedback.answer(entry, actor=w["member"], text="已书面答复", channel="letter")
    feedback.close(entry, actor=w["admin"])  # no publication needed
    assert entry.state == "closed" and not entry.published


@pytest.mark.rule("FB-2")
def test_a_rectification_result_is_published_unless_the_unit_records_why_not(app, w):
    entry = recorded(w, "reception_day")
    feedback.assign(entry, actor=w["admin"], handler=w["member"])
    feedback.start_rectification(
        entry, actor=w["member"], measures="重新制作公开栏", deadline=entry.received_on + days(30)
    )
    assert entry.state == "rectifying"
    feedback.answer(entry, actor=w["member"], text="正在整改", channel="phone")
    with force_locale("en"):
        problems = feedback_rules.closing_problems(entry)
    assert any("no result" in p for p in problems)
    with pytest.raises(UserError) as refused:
        feedback.record_rectification(entry, actor=w["member"], result="已完成", public=False)
    assert any(p.startswith("reason:") for p in refused.value.problems)
    feedback.record_rectification(entry, actor=w["member"], result="公开栏已更换")
    with force_locale("en"):
        assert any("publish" in p for p in feedback_rules.closing_problems(entry))
    with pytest.raises(TransitionRefused):
        feedback.close(entry, actor=w["admin"])
    feedback.record_rectification(
        entry, actor=w["member"], result="公开栏已更换", public=False, reason="涉及个人隐私"
    )
    assert feedback_rules.closing_problems(entry) == []
    feedback.close(entry, actor=w["admin"])
    assert entry.rectification_private_reason == "涉及个人隐私"


@pytest.mark.rule("FB-2")
def test_a_published_rectification_result_lets_a_named_entry_close(app, w):
    entry = recorded(w, "meeting")
    feedback.assign(entry, actor=w["admin"], handler=w["member"])
    feedback.start_rectification(
        entry, actor=w["member"], measures="整改", deadline=entry.received_on + days(10)
    )
    feedback.record_rectification(entry, actor=w["member"], result="已整改到位")
    feedback.answer(entry, actor=w["member"], text="已当面答复", channel="in_person")
    feedback.publish(
        entry, actor=w["admin"], public_question="关于会议纪要公开的意见", include_answer=False
    )
    feedback.close(entry, actor=w["admin"])
    assert entry.state == "closed" and entry.published and not entry.answer_published


@pytest.mark.rule("FB-2")
def test_an_anonymous_entry_with_a_public_rectification_published_without_its_answer_stays_open(
    app, w
):
    entry = online(w, content="匿名反映：党费公示栏字迹模糊")
    assert entry.anonymous
    feedback.assign(entry, actor=w["admin"], handler=w["member"])
    feedback.start_rectification(
        entry, actor=w["member"], measures="重新制作公示栏", deadline=entry.received_on + days(30)
    )
    feedback.record_rectification(entry, actor=w["member"], result="公示栏已重新制作")
    feedback.answer(entry, actor=w["member"], text="已重新制作公示栏，感谢监督。")
    # the rectification's result alone is public: the anonymous submitter has no answer
    feedback.publish(
        entry, actor=w["admin"], public_question="关于党费公示栏的意见", include_answer=False
    )
    assert entry.published and entry.rectification_public and not entry.answer_published
    with force_locale("en"), pytest.raises(TransitionRefused) as refused:
        feedback.close(entry, actor=w["admin"])
    assert "published answer" in str(refused.value)
    assert entry.state == "answered" and entry.closed_at is None
    # published with its answer, the entry closes
    feedback.publish(entry, actor=w["admin"], public_question="关于党费公示栏的意见")
    feedback.close(entry, actor=w["admin"])
    assert entry.state == "closed" and entry.answer_published


# --- ARC-1: the register ----------------------------------------------------------------------


@pytest.mark.rule("ARC-1")
def test_closing_an_entry_writes_it_to_the_register(app, w):
    entry = closed(w, online(w))
    db.session.commit()
    (row,) = db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.object_type == "feedback")
    ).all()
    assert (row.action, row.object_id, row.org_id) == (
        "feedback_closed",
        str(entry.id),
        entry.org_id,
    )
    assert row.title == f"{entry.receipt} 关于公开栏更新的建议"  # the public summary only
    assert [a["step"] for a in row.approvals] == ["assign", "answer", "close"]
    assert row.data["answer_published"] is True and row.data["channel"] == "online"
    assert "13800000000" not in str(row.data)
    from core.register import operations as register

    assert register.verify(w["unit"]) == []


# --- the published answers ----------------------------------------------------------------------


def test_the_answers_page_shows_published_answers_only_and_never_the_submitter(app, client, w):
    shown = closed(
        w, online(w, content="原话：张三说公开栏太旧", name="张三", contact="zs@example.org")
    )
    unpublished = closed(w, recorded(w, content="未公开的意见"), publish=False)
    page = html(client.get("/o/it-unit/feedback/answers?lang=en"))
    assert "关于公开栏更新的建议" in page and "已在公开栏补充说明" in page
    assert "张三" not in page and "zs@example.org" not in page and "原话" not in page
    assert "未公开的意见" not in page and unpublished.receipt not in page
    assert shown.receipt in page
    sibling = html(client.get("/o/it-sibling/feedback/answers"))
    assert shown.receipt not in sibling


def test_the_answers_page_is_paginated(app, client, w):
    for n in range(23):
        entry = online(w, content=f"意见{n}")
        answered(w, entry)
        feedback.publish(entry, actor=w["admin"], public_question=f"第{n}号公开问题")
    db.session.commit()
    first = html(client.get("/o/it-unit/feedback/answers?lang=en"))
    second = html(client.get("/o/it-unit/feedback/answers?page=2&lang=en"))
    assert first.count('class="feedback-answer"') == 20
    assert second.count('class="feedback-answer"') == 3
    assert "第22号公开问题" in first and "第0号公开问题" in second


# --- nothing submitted is lost: Redis stopped --------------------------------------------------


def test_the_form_works_with_redis_stopped(app, app_settings, tmp_path, make_org):
    """Rate limits on Redis, and Redis down: the submission is stored (the limiter falls back to
    counting in memory), the visitor gets the confirmation; its jobs wait in the outbox."""
    from core.app import create_app

    server = RedisServer(tmp_path / "redis").start()
    try:
        redis_app = create_app(
            **{**app_settings, "redis_url": server.url, "config": {"RATELIMIT_ENABLED": True}}
        )
        world(make_org)
        server.stop()
        client = redis_app.test_client()
        statuses = [
            give(client, {"content": f"Redis 停止时的意见 {n}"}).status_code for n in range(6)
        ]
        # stored, and still limited (in memory) while Redis is down
        assert statuses == [303] * 5 + [429]
        stored = entries()
        assert [e.content for e in stored] == [f"Redis 停止时的意见 {n}" for n in range(5)]
        assert "receipt-number" in html(client.get("/o/it-unit/feedback/received"))
        api = client.post(
            "/api/v1/orgs/it-unit/feedback",
            json={"content": "API 提交"},
            environ_base={"REMOTE_ADDR": "10.1.1.1"},
        )
        assert api.status_code == 201, api.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(FeedbackEntry)) == 6
    finally:
        server.stop()


def test_provisional_due_dates_are_recomputed_when_the_year_is_loaded(app, w):
    entry = recorded(w, received_on="2026-09-28")
    right = entry.due_on
    entry.due_on, entry.due_provisional = right + days(3), True  # as if counted without 2026
    kept = recorded(w, received_on="2026-09-28")
    kept.due_on = right + days(9)  # set by hand: not provisional
    db.session.commit()
    events.workdays_year_loaded.send(2026, actor=None)
    assert entry.due_on == right and not entry.due_provisional
    assert kept.due_on == right + days(9)


def test_the_demo_has_feedback_in_every_state_and_channel_and_loads_once(app, make_org):
    from core.feedback import demo
    from core.feedback.models import CHANNELS, STATES
    from core.register import operations as register
    from tests.items_helpers import user

    county = make_org("demo-county", type_code="county_committee")
    for code in demo.UNITS:
        unit = make_org(code, parent=county)
        user(f"{code}-admin", ("admin", unit))
        user(f"{code}-reviewer", ("reviewer", unit))
    first = demo.load()
    db.session.commit()
    assert "2 units loaded" in first
    rows = entries()
    assert {e.state for e in rows} == set(STATES)
    assert {e.channel for e in rows} == set(CHANNELS)
    assert any(e.spam for e in rows)
    assert any(e.published and e.answer_published for e in rows)
    assert any(e.rectification_result and e.rectification_public for e in rows)
    assert any(e.rectification_private_reason for e in rows)
    assert all(feedback_rules.closing_problems(e) == [] for e in rows if e.state == "closed")
    assert register.verify() == []
    assert "0 units loaded, 2 had feedback already" in demo.load()
    assert len(entries()) == len(rows)
