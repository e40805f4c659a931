"""Disclosure requests through their operations: filing (REQ-1, IAM-2), deadlines in working days
with the official calendar, the one extension (REQ-2), the outcomes and their fields (REQ-3),
consultation pausing the clock (REQ-4), filing with the superior and escalation (REQ-5), and the
register (ARC-1)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core import db, events
from core.audit import AuditEntry
from core.disclosure_requests import jobs
from core.disclosure_requests import operations as ops
from core.disclosure_requests.models import DisclosureRequest, RequestDecision
from core.errors import UserError
from core.items.demo import simulated_clock
from core.items.models import Item
from core.params import operations as params
from core.register import operations as register
from core.register.models import RegisterEntry
from core.sso.models import Identity
from core.workdays import operations as workdays
from core.workdays.schedule import DayRow
from core.workflow.engine import TransitionRefused
from tests.items_helpers import build_world, published, user

ZONE = ZoneInfo("Asia/Shanghai")
FILING = {
    "content": "2026年党费收缴、使用和管理的明细",
    "purpose": "了解本支部党费使用情况",
    "contact_email": "applicant@example.org",
    "contact_phone": "13800000000",
    "delivery": "electronic",
}


@pytest.fixture(autouse=True)
def english(app):
    """Messages and explanations in English (they are translated for the reader)."""
    with force_locale("en"):
        yield


@pytest.fixture
def w(make_org):
    w = build_world(make_org)
    w["applicant"] = user("req-applicant")
    w["other"] = user("req-other")
    db.session.commit()
    return w


@contextmanager
def on_day(day: date, hour: int = 10):
    """The application's clock (``core.db.utcnow``) at ``hour`` o'clock in Beijing on ``day``."""
    with simulated_clock() as clock:
        clock.moment = datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)
        yield clock


@contextmanager
def caught(signal):
    """The (sender, kwargs) of every ``signal`` sent in the block."""
    seen: list = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs))

    signal.connect(receiver)
    try:
        yield seen
    finally:
        signal.disconnect(receiver)


def file(w, **overrides):
    return ops.file(w["unit"], {**FILING, **overrides}, applicant=w["applicant"])


def accepted(w, **overrides):
    req = file(w, **overrides)
    ops.accept(req, actor=w["editor"])
    return req


# --- REQ-1: filing -----------------------------------------------------------------------------


@pytest.mark.rule("REQ-1")
def test_a_signed_in_applicant_files_a_request_with_its_deadline(w):
    with caught(events.request_submitted) as sent:
        req = file(w)
    db.session.commit()
    today = ops.today(w["unit"])
    assert req.state == "submitted" and req.applicant_id == w["applicant"].id
    assert req.org_id == w["unit"].id and req.channel == "online"
    assert req.received_on == today and req.number == f"{today.year}-0001"
    assert (req.content, req.purpose, req.contact_email) == (
        FILING["content"],
        FILING["purpose"],
        FILING["contact_email"],
    )
    expected = workdays.add_working_days(today, 15, today=today)
    assert req.deadline == expected.due and req.deadline_provisional is expected.provisional
    assert sent == [(req, {"actor": w["applicant"]})]
    assert file(w).number == f"{today.year}-0002"  # numbered per unit and year
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "request.file").order_by(AuditEntry.id)
    ).first()
    assert audit.object_id == str(req.id) and audit.changes["number"] == [None, req.number]


@pytest.mark.rule("REQ-1")
@pytest.mark.parametrize(
    "overrides, problem",
    [
        ({"content": "  "}, "content: is required"),
        ({"purpose": ""}, "purpose: is required"),
        (
            {"contact_email": "", "contact_phone": "", "delivery": "collect"},
            "contact: give a phone number",
        ),
        ({"contact_email": ""}, "contact_email: electronic delivery needs an e-mail address"),
        ({"delivery": "paper"}, "contact_address: delivery on paper needs a postal address"),
        ({"delivery": "pigeon"}, "delivery: one of"),
        ({"contact_email": "not-an-address"}, "contact_email: not an e-mail address"),
    ],
)
def test_a_filing_needs_content_purpose_and_a_contact(w, overrides, problem):
    with pytest.raises(UserError) as refused:
        file(w, **overrides)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert db.session.scalar(select(DisclosureRequest.id)) is None


@pytest.mark.rule("REQ-1")
def test_staff_record_an_oral_request_for_an_applicant(w):
    received = ops.today(w["unit"]).replace(day=1)
    data = {
        **FILING,
        "contact_email": "",
        "delivery": "collect",
        "applicant_name": "王大爷",
        "channel": "oral",
        "received_on": received.isoformat(),
    }
    req = ops.record(w["unit"], data, actor=w["reviewer"])
    assert (req.channel, req.applicant_name, req.applicant_id) == ("oral", "王大爷", None)
    assert req.received_on == received and req.recorded_by_id == w["reviewer"].id
    assert req.deadline == workdays.add_working_days(received, 15).due
    # with the applicant's account: they see it among their requests
    linked = ops.record(
        w["unit"],
        {**data, "applicant_name": "", "applicant_username": "req-applicant", "channel": "letter"},
        actor=w["editor"],
    )
    assert linked.applicant_id == w["applicant"].id and linked.applicant_name == "req-applicant"
    assert ops.of_applicant(w["applicant"]) == [linked]
    # a member cannot record; staff name the channel and cannot date a request in the future
    with pytest.raises(UserError):
        ops.record(w["unit"], data, actor=w["member"])
    with pytest.raises(UserError) as refused:
        ops.record(w["unit"], {**data, "channel": "online", "received_on": "2999-01-01"},
                   actor=w["editor"])  # fmt: skip
    assert {p.split(":")[0] for p in refused.value.problems} == {"channel", "received_on"}


@pytest.mark.rule("IAM-2")
def test_a_unit_may_require_a_minimum_real_name_level(w):
    params.set_value(w["unit"], "request.min_realname_level", 3)
    with pytest.raises(UserError, match="real-name level 3"):
        file(w)
    identity = Identity(
        user_id=w["applicant"].id, issuer="https://portal.example", subject="s-1", realname_level=2
    )
    db.session.add(identity)
    db.session.flush()
    with pytest.raises(UserError, match=r"\(yours: 2\)"):
        file(w)
    identity.realname_level = 3
    db.session.flush()
    assert file(w).state == "submitted"
    # the sibling unit requires nothing
    assert ops.file(w["sibling"], FILING, applicant=w["other"]).state == "submitted"


# --- REQ-2: deadlines and the one extension ----------------------------------------------------


@pytest.mark.rule("REQ-2")
def test_the_deadline_over_the_national_day_holiday_counts_the_make_up_working_day(w):
    """Received on Friday 2026-09-25 (Mid-Autumn Festival): 15 working days, the start day not
    counted, skip the festival weekend and the National Day holiday (1-7 October) and count the
    make-up working day, Saturday 10 October: due on Thursday 22 October 2026 (without the
    make-up day it would be the 23rd)."""
    with on_day(date(2026, 9, 25)):
        req = file(w)
        lines = ops.explain(req)
    assert req.received_on == date(2026, 9, 25)
    assert req.deadline == date(2026, 10, 22)
    assert req.deadline_provisional is False
    deadline = workdays.add_working_days(date(2026, 9, 25), 15)
    assert deadline.makeup_days == ((date(2026, 10, 10), deadline.makeup_days[0][1]),)
    text = "\n".join(lines)
    assert "2026-10-22" in text and "2026-10-10" in text and "2026-10-01" in text


@pytest.mark.rule("REQ-2")
def test_one_extension_with_a_reason_from_the_original_due_date(w):
    with on_day(date(2026, 9, 25)):
        req = accepted(w)
        original = req.deadline
        with pytest.raises(UserError) as refused:
            ops.extend(req, actor=w["editor"], reason="  ", days=10)
        assert "reason: an extension needs a reason" in refused.value.problems
        with pytest.raises(UserError) as refused:
            ops.extend(req, actor=w["editor"], reason="需调阅档案", days=16)
        assert "days: from 1 to 15 working days" in refused.value.problems
        assert req.extension_days is None and req.deadline == original
        with caught(events.request_extended) as sent:
            ops.extend(req, actor=w["editor"], reason="需调阅历年档案", days=10)
        # 10 working days after 22 October 2026
        assert req.deadline == date(2026, 11, 5)
        assert req.deadline == workdays.add_working_days(original, 10).due
        assert (req.extension_days, req.extension_reason) == (10, "需调阅历年档案")
        assert sent == [(req, {"actor": w["editor"], "reason": "需调阅历年档案"})]
        with pytest.raises(TransitionRefused) as again:
            ops.extend(req, actor=w["editor"], reason="再次延期", days=5)
        assert "only one extension" in " ".join(map(str, again.value.problems))
    assert req.deadline == date(2026, 11, 5)
    assert any("Extended once, by 10 working days" in line for line in ops.explain(req))


@pytest.mark.rule("REQ-2")
@pytest.mark.parametrize(
    ("days", "due", "extended"),
    [
        (None, date(2026, 11, 16), date(2026, 12, 7)),  # the defaults: 15 + 15
        (20, date(2026, 11, 23), date(2026, 12, 21)),  # set on the county: 20 + 20
    ],
)
def test_the_deadline_and_the_longest_extension_follow_the_parameters(w, days, due, extended):
    """Received Monday 2026-10-26: the decision is due ``request.decision_working_days`` working
    days later; the one extension may add up to ``request.extension_working_days``, not one
    more (and not none)."""
    if days is not None:
        params.set_value(w["county"], "request.decision_working_days", days)
        params.set_value(w["county"], "request.extension_working_days", days)
    limit = days or 15
    with on_day(date(2026, 10, 26)):
        req = accepted(w)
        assert req.deadline == due
        for refused_days in (limit + 1, 0):
            with pytest.raises(UserError) as refused:
                ops.extend(req, actor=w["editor"], reason="需调阅档案", days=refused_days)
            assert f"days: from 1 to {limit} working days" in refused.value.problems
            assert req.deadline == due and req.extension_days is None
        ops.extend(req, actor=w["editor"], reason="需调阅档案", days=limit)
    assert (req.extension_days, req.deadline) == (limit, extended)
    with on_day(extended):
        assert not ops.overdue(req)
    with on_day(date.fromordinal(extended.toordinal() + 1)):
        assert ops.overdue(req)


@pytest.mark.rule("REQ-2")
def test_a_deadline_in_a_year_not_loaded_is_provisional_until_the_year_is_loaded(w):
    """Received on Friday 18 December 2026: the deadline falls in 2027, whose schedule is announced
    in November; until it is loaded only weekends are skipped. Loading it recomputes the open
    requests: New Year's Day 2027 (a Friday) moves the deadline by one working day."""
    with on_day(date(2026, 12, 18)):
        req = accepted(w)
    assert req.deadline_provisional is True
    assert req.deadline == date(2027, 1, 8)  # weekends only
    assert any("2027" in line and "Provisional" in line for line in ops.explain(req))
    done = file(w)
    ops.accept(done, actor=w["editor"])
    ops.decide(done, "declined", {"reason_code": "party_secret", "explanation": "涉密"},
               actor=w["editor"])  # fmt: skip
    done_deadline = done.deadline
    with caught(events.workdays_year_loaded) as loaded:
        workdays.load_year(
            2027,
            [DayRow(date(2027, 1, 1), "holiday", "元旦", "New Year's Day")],
            source="manual",
            actor=w["county_admin"],
        )
    assert [sender for sender, _kw in loaded] == [2027]
    assert req.deadline_provisional is False
    assert req.deadline == date(2027, 1, 11)
    assert done.deadline == done_deadline  # only open requests are recomputed
    change = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "request.deadline")
    ).one()
    assert change.changes["deadline"] == ["2027-01-08", "2027-01-11"]


# --- REQ-4: consultation pauses the clock ------------------------------------------------------


@pytest.mark.rule("REQ-4")
def test_a_third_party_consultation_pauses_the_clock(w):
    """Received Monday 26 October 2026: due Monday 16 November. A consultation from Monday 2 to
    Friday 6 November stops the clock for those five working days: due Monday 23 November."""
    with on_day(date(2026, 10, 26)):
        req = accepted(w)
    assert req.deadline == date(2026, 11, 16)
    with on_day(date(2026, 11, 2)):
        ops.start_consultation(
            req, actor=w["editor"], third_party="党费使用涉及的第三方", question="是否同意公开？"
        )
        assert req.state == "consulting"
        assert req.deadline == date(2026, 11, 17)  # as if it ended today (one working day)
    with on_day(date(2026, 11, 4)):
        assert ops.refresh_consulting() == 1
        assert req.deadline == date(2026, 11, 19)  # three working days so far
        assert not ops.overdue(req)
    with on_day(date(2026, 11, 6)):
        ops.end_consultation(req, actor=w["editor"], opinion="同意公开")
    assert req.state == "accepted"
    assert req.deadline == date(2026, 11, 23)
    paused = workdays.working_days_between(date(2026, 11, 1), date(2026, 11, 6))
    assert paused == 5
    assert req.deadline == workdays.add_working_days(date(2026, 11, 16), paused).due
    lines = ops.explain(req)
    assert any("2026-11-02" in line and "2026-11-06" in line for line in lines), lines


# --- REQ-3: the outcomes and their fields ------------------------------------------------------


OUTCOMES = {
    # outcome: (missing fields -> problems, valid fields)
    "already_public": ({}, ["link"], {"public_url": "https://example.org/gk/1"}),
    "granted": ({}, ["answer"], {"answer": "见附件明细。"}),
    "granted_published": ({}, ["item_title", "answer"],
                          {"item_title": "2026年党费使用情况", "answer": "全年党费使用明细如下。"}),
    "partly_granted": (
        {},
        ["reason_code", "explanation", "declined_part", "answer"],
        {"answer": "收缴情况见附件", "declined_part": "个人缴费明细", "reason_code":
         "personal_privacy", "explanation": "涉及个人隐私"},
    ),
    "declined": ({"reason_code": "nonsense"}, ["reason_code", "explanation"],
                 {"reason_code": "party_secret", "explanation": "涉及党的秘密"}),
    "not_held": ({}, ["explanation"], {"explanation": "本单位未制作该信息"}),
    "not_this_unit": ({}, ["referred_to"], {"referred_org": "it-bureau"}),
    "duplicate": ({"duplicate_of": "1999-0001"}, ["duplicate_of"], None),
}  # fmt: skip


@pytest.mark.rule("REQ-3")
@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_each_outcome_requires_its_fields(w, outcome):
    earlier = file(w)
    req = accepted(w)
    bad, missing, good = OUTCOMES[outcome]
    if good is None:
        good = {"duplicate_of": earlier.number}
    with pytest.raises(UserError) as refused:
        ops.decide(req, outcome, bad, actor=w["reviewer"])
    named = {p.split(":")[0] for p in refused.value.problems}
    assert set(missing) <= named, refused.value.problems
    assert req.state == "accepted" and req.outcome is None
    with caught(events.request_decided) as sent:
        decision = ops.decide(req, outcome, good, actor=w["reviewer"])
    assert req.state == "decided" and req.outcome == outcome
    assert decision.outcome == outcome and decision.decided_by_id == w["reviewer"].id
    filed = outcome in ("partly_granted", "declined", "not_held")
    assert decision.filed_with_id == (w["bureau"].id if filed else None)
    assert sent == [
        (req, {"actor": w["reviewer"], "outcome": outcome,
               "filed_with": w["bureau"] if filed else None})
    ]  # fmt: skip
    if outcome == "not_this_unit":
        assert decision.referred_org_id == w["bureau"].id
    if outcome == "duplicate":
        assert decision.duplicate_of_id == earlier.id


@pytest.mark.rule("REQ-3")
def test_already_public_links_a_published_item(w):
    item = published(w, entry_key="org.election", scope="public", channels=["website"])
    req = accepted(w)
    with pytest.raises(UserError, match="not recorded"):
        ops.decide(req, "already_public", {"public_item_id": 999999}, actor=w["editor"])
    decision = ops.decide(req, "already_public", {"public_item_id": item.id}, actor=w["editor"])
    assert decision.public_item_id == item.id


@pytest.mark.rule("REQ-3")
@pytest.mark.rule("SCOPE-1")
def test_already_public_names_only_items_the_public_may_read(w):
    """An item of the unit or of the Party only is not "already public": the applicant could not
    open it. Refused by the operation, and absent from the console's choice list."""
    from core.disclosure_requests import views

    party = published(w)  # scope party_wide
    unit = published(w, scope="unit")
    public = published(w, entry_key="org.election", scope="public", channels=["website"])
    req = accepted(w)
    for item in (party, unit):
        with pytest.raises(UserError, match="not recorded") as refused:
            ops.decide(req, "already_public", {"public_item_id": item.id}, actor=w["editor"])
        assert any("the public may read" in p for p in refused.value.problems)
    offered = {item.id for item in db.session.scalars(ops.public_items(w["unit"]))}
    assert public.id in offered and not offered & {party.id, unit.id}
    from flask import current_app, g

    with current_app.test_request_context():
        g.org = w["unit"]
        form = views.decision_form("already_public")
        choices = {choice.value for choice in form.public_item_id.choices}
    assert str(public.id) in choices and not choices & {str(party.id), str(unit.id)}


@pytest.mark.rule("REQ-3")
def test_granted_published_drafts_an_item_that_goes_through_the_item_workflow(w):
    req = accepted(w)
    decision = ops.decide(
        req,
        "granted_published",
        {"item_title": "2026年党费使用情况", "answer": "全年党费使用明细如下。"},
        actor=w["reviewer"],  # a reviewer may decide, though not draft items: drafted for them
    )
    item = db.session.get(Item, decision.item_id)
    assert item.org_id == w["unit"].id and item.state == "draft"
    assert item.current_version.titles == {"zh_Hans_CN": "2026年党费使用情况"}
    assert item.current_version.bodies == {"zh_Hans_CN": "全年党费使用明细如下。"}
    assert item.scope == "public" and item.created_by_id == w["reviewer"].id
    assert item.visible_scope == "unit"  # nothing is public before the item is published


@pytest.mark.rule("REQ-3")
def test_granted_documents_are_kept_with_the_decision(w):
    req = accepted(w)
    pdf = b"%PDF-1.4\n% request\n%%EOF\n"
    with pytest.raises(UserError) as refused:
        ops.decide(req, "granted", {}, actor=w["editor"], files=[("x.exe", b"MZ")])
    assert any(p.startswith("attachments:") for p in refused.value.problems)
    decision = ops.decide(req, "granted", {}, actor=w["editor"], files=[("明细.pdf", pdf)])
    (att,) = ops.attachments(req, decision)
    assert att.filename == "明细.pdf" and att.size == len(pdf) and att.org_id == w["unit"].id


@pytest.mark.rule("REQ-3")
def test_an_unclear_request_is_amended_or_lapses(w):
    with on_day(date(2026, 10, 12)):
        req = accepted(w)
        with pytest.raises(UserError):
            ops.decide(req, "unclear", {"explanation": ""}, actor=w["editor"])
        ops.decide(req, "unclear", {"explanation": "请说明所需党费明细的年份"}, actor=w["editor"])
        assert req.state == "awaiting_amendment" and req.outcome == "unclear"
        assert req.amend_due == date(2026, 10, 27)  # request.amend_lapse_days: 15
        with pytest.raises(UserError):
            ops.amend(req, user=w["other"], amendment="不是我的申请")
    with on_day(date(2026, 10, 19)):
        ops.amend(req, user=w["applicant"], amendment="2025年全年")
    assert req.state == "accepted" and req.outcome is None
    assert req.clock_start == date(2026, 10, 19) and req.received_on == date(2026, 10, 12)
    assert req.deadline == workdays.add_working_days(date(2026, 10, 19), 15).due
    # another one, not amended: the job lets it lapse after its days, not before
    with on_day(date(2026, 10, 12)):
        other = accepted(w)
        ops.decide(other, "unclear", {"explanation": "请说明"}, actor=w["editor"])
    with on_day(date(2026, 10, 27)):
        assert jobs.lapse_unclear_requests() == 0
    with on_day(date(2026, 10, 28)):
        assert jobs.lapse_unclear_requests() == 1
    assert other.state == "lapsed" and req.state == "accepted"


@pytest.mark.rule("REQ-3")
def test_an_unclear_request_lapses_after_the_parameters_days_not_before(w):
    params.set_value(w["county"], "request.amend_lapse_days", 1)
    with on_day(date(2026, 10, 12)):
        req = accepted(w)
        ops.decide(req, "unclear", {"explanation": "请说明年份"}, actor=w["editor"])
    assert req.amend_due == date(2026, 10, 13)
    with on_day(date(2026, 10, 13), hour=23):
        assert jobs.lapse_unclear_requests() == 0 and req.state == "awaiting_amendment"
    with on_day(date(2026, 10, 14), hour=0):
        assert jobs.lapse_unclear_requests() == 1 and req.state == "lapsed"


# --- REQ-5: filing with the superior and escalation --------------------------------------------


@pytest.mark.rule("REQ-5")
def test_a_decline_is_filed_with_the_superior(w):
    req = accepted(w)
    granted = accepted(w)
    ops.decide(granted, "granted", {"answer": "见答复"}, actor=w["editor"])
    decision = ops.decide(
        req, "declined", {"reason_code": "party_secret", "explanation": "涉及党的秘密"},
        actor=w["editor"],
    )  # fmt: skip
    rejected = file(w)
    ops.reject_invalid(rejected, actor=w["editor"], reason="系投诉，不属于公开申请")
    db.session.commit()
    assert decision.filed_with_id == w["bureau"].id
    filed = ops.filings(w["bureau"])
    assert {d.request_id for d in filed} == {req.id, rejected.id}
    assert {d.request_id for d in ops.filings(w["county"])} == {req.id, rejected.id}
    assert ops.filings(w["unit"]) == [] and ops.filings(w["sibling"]) == []
    with pytest.raises(UserError):
        ops.acknowledge_filing(decision, actor=w["admin"])  # the unit itself
    ops.acknowledge_filing(decision, actor=w["bureau_reviewer"], note="已阅")
    assert decision.acknowledged_at is not None and decision.acknowledgement == "已阅"
    with pytest.raises(TransitionRefused):
        ops.acknowledge_filing(decision, actor=w["bureau_reviewer"])


@pytest.mark.rule("REQ-5")
def test_the_applicant_escalates_a_decline_and_the_superior_orders_a_reconsideration(w):
    with on_day(date(2026, 10, 12)):
        req = accepted(w)
        ops.decide(req, "declined", {"reason_code": "internal_affairs", "explanation": "内部事务"},
                   actor=w["editor"])  # fmt: skip
        assert ops.escalation_refusal(req) is None
        with pytest.raises(UserError):
            ops.escalate(req, user=w["other"], grounds="我也要")  # not the applicant
        with caught(events.request_escalated) as sent:
            escalation = ops.escalate(req, user=w["applicant"], grounds="党费使用不属于内部事务")
    assert req.state == "escalated" and escalation.to_org_id == w["bureau"].id
    assert sent == [(req, {"actor": w["applicant"], "to_org": w["bureau"]})]
    step = ops.history(req)[-1]
    assert (step.transition, step.actor_id) == ("escalate", w["applicant"].id)
    assert ops.waiting_escalations(w["bureau"]) == [escalation]
    assert "already reviewing" in ops.escalation_refusal(req)
    # the unit cannot decide meanwhile; a reviewer of the sibling unit cannot review
    with pytest.raises(TransitionRefused):
        ops.decide(req, "granted", {"answer": "x"}, actor=w["editor"])
    with pytest.raises(TransitionRefused):
        ops.decide_escalation(req, actor=w["reviewer"], uphold=False, comment="重新研究")
    with pytest.raises(TransitionRefused):  # reconsidering needs a comment
        ops.decide_escalation(req, actor=w["bureau_reviewer"], uphold=False)
    with on_day(date(2026, 10, 20)):
        ops.decide_escalation(
            req, actor=w["bureau_reviewer"], uphold=False, comment="请重新研究是否可以公开"
        )
    assert req.state == "accepted" and req.outcome is None
    assert escalation.state == "reconsider" and escalation.decided_by_id is not None
    assert req.clock_start == date(2026, 10, 20)
    assert req.deadline == workdays.add_working_days(date(2026, 10, 20), 15).due
    ops.decide(req, "granted", {"answer": "经重新研究，予以公开。"}, actor=w["editor"])
    assert req.outcome == "granted"
    assert "Only a decline" in ops.escalation_refusal(req)


@pytest.mark.rule("REQ-5")
def test_an_upheld_decision_stays_and_cannot_be_escalated_again(w):
    req = accepted(w)
    ops.decide(req, "not_held", {"explanation": "未制作"}, actor=w["editor"])
    ops.escalate(req, user=w["applicant"], grounds="应当持有")
    ops.decide_escalation(req, actor=w["county_admin"], uphold=True)  # any superior's admin
    assert req.state == "decided" and req.outcome == "not_held"
    assert ops.escalations(req)[0].state == "upheld"
    assert "already reviewed" in ops.escalation_refusal(req)
    with pytest.raises(TransitionRefused):
        ops.escalate(req, user=w["applicant"], grounds="再次申请")


@pytest.mark.rule("REQ-5")
def test_a_request_undecided_after_its_deadline_may_be_escalated(w):
    with on_day(date(2026, 10, 12)):
        req = accepted(w)
        assert "deadline has passed" in ops.escalation_refusal(req)
    due = req.deadline
    with on_day(due):
        assert ops.escalation_refusal(req) is not None  # the last day is still in time
    with on_day(date.fromordinal(due.toordinal() + 1)):
        assert ops.overdue(req)
        ops.escalate(req, user=w["applicant"], grounds="逾期未答复")
        assert req.state == "escalated"
        with pytest.raises(TransitionRefused, match="refused"):  # nothing to uphold
            ops.decide_escalation(req, actor=w["bureau_reviewer"], uphold=True)
        ops.decide_escalation(req, actor=w["bureau_reviewer"], uphold=False, comment="限期答复")
    assert req.state == "accepted" and req.deadline > due


# --- ARC-1: the register -----------------------------------------------------------------------


@pytest.mark.rule("ARC-1")
def test_every_decision_is_written_to_the_register(w):
    req = accepted(w)
    ops.extend(req, actor=w["editor"], reason="需调阅档案", days=5)
    ops.decide(
        req, "partly_granted",
        {"answer": "收缴情况", "declined_part": "个人明细", "reason_code": "personal_privacy",
         "explanation": "涉及个人隐私"},
        actor=w["reviewer"], files=[("明细.pdf", b"%PDF-1.4\n%%EOF\n")],
    )  # fmt: skip
    ops.escalate(req, user=w["applicant"], grounds="个人明细可以匿名公开")
    ops.decide_escalation(req, actor=w["bureau_reviewer"], uphold=True)
    db.session.commit()
    (entry,) = db.session.scalars(
        select(RegisterEntry).where(
            RegisterEntry.org_id == w["unit"].id, RegisterEntry.action == "request_decision"
        )
    ).all()
    assert entry.object_type == "disclosure_request" and entry.object_id == str(req.id)
    assert entry.title.startswith(req.number)
    assert entry.data["outcome"] == "partly_granted" and entry.data["filed_with"] == "it-bureau"
    assert entry.data["reason_code"] == "personal_privacy" and entry.data["extended"] is True
    assert entry.data["received_on"] == req.received_on.isoformat()
    assert [a["step"] for a in entry.approvals] == ["accept", "extend", "decide_partly_granted"]
    assert entry.approvals[-1]["by"] == "it-reviewer"
    assert [a["name"] for a in entry.attachments] == ["明细.pdf"]
    (review,) = db.session.scalars(
        select(RegisterEntry).where(
            RegisterEntry.org_id == w["bureau"].id, RegisterEntry.action == "request_decision"
        )
    ).all()
    assert review.data["review"] == "upheld" and review.data["unit"] == "it-unit"
    assert register.verify(w["unit"]) == [] and register.verify(w["bureau"]) == []
    assert db.session.scalar(select(RequestDecision.filed_with_id)) == w["bureau"].id


# --- scope -------------------------------------------------------------------------------------


def test_who_reads_a_request(w):
    req = file(w)
    assert ops.may_read(w["applicant"], req)
    assert not ops.may_read(w["other"], req)
    assert not ops.may_read(w["member"], req)  # a member of the unit is not its staff
    assert not ops.may_read(w["sibling_member"], req)
    for staff in ("admin", "editor", "reviewer", "bureau_reviewer", "county_admin"):
        assert ops.may_read(w[staff], req), staff
    assert ops.get(w["sibling"], req.id) is None
