"""Items from proposal to publication (PUB-1..PUB-8, SEC-1, SCOPE-2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import db, localtime
from core.errors import UserError
from core.items import operations as items
from core.items import timeliness, visibility
from core.items.models import Item, ItemReview
from core.params import operations as params
from core.workflow import TransitionRefused
from core.workflow.models import WorkflowStep
from tests.items_helpers import build_world, plan, published, through_review

# the refusals these tests read (str(exc), match=...) are in English
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def w(make_org):
    return build_world(make_org)


@pytest.mark.rule("PUB-1")
def test_every_step_records_who_and_when(w):
    item = published(w)
    steps = db.session.scalars(
        select(WorkflowStep).where(
            WorkflowStep.object_id == item.id, WorkflowStep.object_type == "item"
        )
    ).all()
    assert [s.transition for s in steps] == ["propose", "review", "approve", "schedule", "publish"]
    assert [s.actor_label for s in steps] == [
        "it-editor",
        "it-reviewer",
        "it-admin",
        "it-editor",
        "system",
    ]
    assert all(s.at is not None for s in steps)


@pytest.mark.rule("PUB-1")
@pytest.mark.parametrize("skip_to", ["review", "approve", "schedule", "publish"])
def test_no_step_can_be_skipped(w, skip_to):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    run = {
        "review": lambda: items.review(
            item,
            actor=w["reviewer"],
            secrecy_passed=True,
            secrecy_basis="x",
            necessity_ok=True,
            accuracy_ok=True,
        ),
        "approve": lambda: items.approve(item, actor=w["admin"]),
        "schedule": lambda: items.schedule_publication(item, actor=w["editor"]),
        "publish": lambda: items.publish(item),
    }[skip_to]
    with pytest.raises(TransitionRefused):
        run()
    assert item.state == "draft"


@pytest.mark.rule("PUB-1")
def test_an_incomplete_plan_cannot_be_proposed(w):
    item = items.create(w["unit"], plan(planned_at=None), actor=w["editor"])
    with pytest.raises(TransitionRefused, match="planned publication time"):
        items.propose(item, actor=w["editor"])


@pytest.mark.rule("PUB-2")
def test_publication_is_blocked_without_a_passed_secrecy_review(w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    items.propose(item, actor=w["editor"])
    items.review(
        item,
        actor=w["reviewer"],
        secrecy_passed=False,
        secrecy_basis="涉及个人信息",
        necessity_ok=True,
        accuracy_ok=True,
        comment="请删去个人身份证号",
    )
    assert item.state == "draft"
    # even if someone forced the state forward, the publication guard looks at the review
    item.state = "scheduled"
    with pytest.raises(TransitionRefused, match="secrecy review"):
        items.publish(item)


@pytest.mark.rule("PUB-2")
def test_the_review_records_basis_reviewer_necessity_and_accuracy(w):
    item = through_review(w, items.create(w["unit"], plan(), actor=w["editor"]))
    review = db.session.scalar(select(ItemReview).where(ItemReview.item_id == item.id))
    assert (review.secrecy_passed, review.necessity_ok, review.accuracy_ok) == (True, True, True)
    assert review.secrecy_basis == "《党务公开条例》第十条"
    assert review.reviewer_label == "it-reviewer"
    with pytest.raises(UserError, match="basis"):
        items.review(
            item,
            actor=w["reviewer"],
            secrecy_passed=True,
            secrecy_basis=" ",
            necessity_ok=True,
            accuracy_ok=True,
        )


def test_only_the_units_reviewer_reviews(w, english):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    items.propose(item, actor=w["editor"])
    with pytest.raises(TransitionRefused, match="role Reviewer in this unit"):
        items.review(
            item,
            actor=w["editor"],
            secrecy_passed=True,
            secrecy_basis="x",
            necessity_ok=True,
            accuracy_ok=True,
        )


@pytest.mark.rule("SEC-1")
def test_a_failed_secrecy_review_refuses_with_a_reason_from_the_code_list(w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    items.propose(item, actor=w["editor"])
    items.review(
        item,
        actor=w["reviewer"],
        secrecy_passed=False,
        secrecy_basis="涉及国家秘密",
        necessity_ok=True,
        accuracy_ok=True,
        refuse_reason="state_secret",
    )
    assert item.state == "refused" and item.refusal_reason == "state_secret"
    with pytest.raises(TransitionRefused):
        items.publish(item)
    with pytest.raises(UserError, match="Unknown refusal reason"):
        items.review(
            item,
            actor=w["reviewer"],
            secrecy_passed=False,
            secrecy_basis="x",
            necessity_ok=True,
            accuracy_ok=True,
            refuse_reason="because",
        )


@pytest.mark.rule("SEC-1")
def test_an_item_marked_as_involving_secrets_is_refused_at_every_step_despite_a_passed_review(
    w, english
):
    """The mark alone refuses publication: the secrecy review of this item passed."""
    item = through_review(
        w, items.create(w["unit"], plan(involves_secrets=True), actor=w["editor"])
    )
    assert items.latest_review(item).secrecy_passed
    with pytest.raises(TransitionRefused, match="secrets and can never be published"):
        items.approve(item, actor=w["admin"])
    assert item.state == "reviewed"
    # even forced past approval, neither scheduling nor publication goes through
    item.state = "approved"
    with pytest.raises(TransitionRefused, match="secrets and can never be published"):
        items.schedule_publication(item, actor=w["editor"])
    item.state = "scheduled"
    with pytest.raises(TransitionRefused, match="secrets and can never be published"):
        items.publish(item, actor=w["admin"])
    assert item.state == "scheduled" and item.published_at is None
    # the same item unmarked goes through: the mark is what refused it
    item.involves_secrets = False
    items.publish(item, actor=w["admin"])
    assert item.state == "published"


@pytest.mark.rule("SEC-1")
def test_an_off_catalogue_item_involving_secrets_is_refused_by_the_superior_too(w, english):
    item = through_review(
        w,
        items.create(
            w["unit"],
            plan(entry_key=None, scope="public", channels=["website"], involves_secrets=True),
            actor=w["editor"],
        ),
    )
    with pytest.raises(TransitionRefused, match="secrets and can never be published"):
        items.approve(item, actor=w["admin"])  # the submission to the superior
    item.state = "superior_review"
    with pytest.raises(TransitionRefused, match="secrets and can never be published"):
        items.superior_decide(item, actor=w["bureau_reviewer"], approve=True)
    assert item.state == "superior_review"


@pytest.mark.rule("PUB-3")
def test_off_catalogue_items_need_the_parents_approval(w):
    item = items.create(
        w["unit"], plan(entry_key=None, scope="public", channels=["website"]), actor=w["editor"]
    )
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    assert item.state == "superior_review"
    with pytest.raises(TransitionRefused):
        items.schedule_publication(item, actor=w["editor"])
    with pytest.raises(TransitionRefused):
        items.superior_decide(
            item, actor=w["admin"], approve=True
        )  # the unit cannot approve itself
    items.superior_decide(item, actor=w["bureau_reviewer"], approve=True)
    assert item.state == "approved"
    items.schedule_publication(item, actor=w["editor"])
    items.publish(item)
    assert item.state == "published"


@pytest.mark.rule("PUB-3")
def test_escalation_by_parameter(w):
    params.set_value(w["bureau"], "items.escalate_scopes", "public")
    item = items.create(
        w["unit"],
        plan(entry_key="org.election", scope="public", channels=["website"]),
        actor=w["editor"],
    )
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    assert item.state == "superior_review"
    items.superior_decide(
        item, actor=w["bureau_reviewer"], approve=False, comment="请补充候选人简历"
    )
    assert item.state == "draft"
    # a scope the parameter does not name is approved within the unit
    inside = through_review(w, items.create(w["unit"], plan(), actor=w["editor"]))
    assert inside.scope == "party_wide"
    items.approve(inside, actor=w["admin"])
    assert inside.state == "approved"


@pytest.mark.rule("PUB-4")
def test_a_change_of_the_plan_after_approval_returns_it_to_review(w):
    item = through_review(w, items.create(w["unit"], plan(), actor=w["editor"]))
    items.approve(item, actor=w["admin"])
    items.schedule_publication(item, actor=w["editor"])
    items.update(item, {"channels": ["meeting"]}, actor=w["editor"])
    assert item.state == "proposed"
    with pytest.raises(TransitionRefused):
        items.publish(item)


@pytest.mark.rule("PUB-4")
def test_publication_waits_for_the_planned_time(w):
    later = datetime.now(UTC) + timedelta(hours=2)
    item = through_review(w, items.create(w["unit"], plan(planned_at=later), actor=w["editor"]))
    items.approve(item, actor=w["admin"])
    items.schedule_publication(item, actor=w["editor"])
    with pytest.raises(TransitionRefused, match="planned publication time"):
        items.publish(item)
    assert items.publish_due() == 0
    item.planned_at = datetime.now(UTC) - timedelta(seconds=1)
    assert items.publish_due() == 1
    assert item.state == "published"


@pytest.mark.rule("PUB-4")
def test_publication_comes_at_the_planned_time_not_a_second_before(w, monkeypatch):
    planned = datetime.now(UTC) + timedelta(hours=1)
    item = through_review(w, items.create(w["unit"], plan(planned_at=planned), actor=w["editor"]))
    items.approve(item, actor=w["admin"])
    items.schedule_publication(item, actor=w["editor"])
    monkeypatch.setattr(db, "utcnow", lambda: planned - timedelta(seconds=1))
    with pytest.raises(TransitionRefused, match="planned publication time"):
        items.publish(item)
    assert items.publish_due() == 0 and item.state == "scheduled"
    monkeypatch.setattr(db, "utcnow", lambda: planned)
    assert items.publish_due() == 1 and item.published_at == planned


@pytest.mark.rule("PUB-5")
def test_a_notice_lasts_at_least_the_parameter_days_and_cannot_close_early(w):
    with pytest.raises(UserError, match="at least 7 days"):
        items.create(w["unit"], plan(is_notice=True, notice_days=5), actor=w["editor"])
    item = published(
        w,
        entry_key="org.election",
        scope="public",
        channels=["website"],
        is_notice=True,
        notice_days=7,
    )
    assert item.notice_ends_at - item.published_at == timedelta(days=7)
    with pytest.raises(TransitionRefused, match="notice period"):
        items.close(item, actor=w["admin"])
    assert items.close_notices() == 0
    item.notice_ends_at = datetime.now(UTC) - timedelta(seconds=1)
    assert items.close_notices() == 1
    assert item.state == "closed"


def notice_plan(days: int) -> dict:
    return plan(
        entry_key="org.election",
        scope="public",
        channels=["website"],
        is_notice=True,
        notice_days=days,
    )


@pytest.mark.rule("PUB-5")
@pytest.mark.parametrize("minimum", [7, 15])
def test_a_notice_one_day_shorter_than_the_parameter_is_refused(w, minimum):
    params.set_value(w["county"], "notice.min_days", minimum)
    with pytest.raises(UserError) as refused:
        items.create(w["unit"], notice_plan(minimum - 1), actor=w["editor"])
    assert any(f"at least {minimum} days" in p for p in refused.value.problems)
    item = items.create(w["unit"], notice_plan(minimum), actor=w["editor"])
    assert item.notice_days == minimum
    # a change of the plan is checked the same way
    with pytest.raises(UserError):
        items.update(item, {"notice_days": minimum - 1}, actor=w["editor"])
    assert item.notice_days == minimum


@pytest.mark.rule("PUB-5")
def test_a_notice_closes_at_the_end_of_its_period_not_a_second_before(w, monkeypatch):
    item = published(
        w, entry_key="org.election", scope="public", channels=["website"], is_notice=True
    )
    ends = item.notice_ends_at
    monkeypatch.setattr(db, "utcnow", lambda: ends - timedelta(seconds=1))
    with pytest.raises(TransitionRefused, match="notice period"):
        items.close(item, actor=w["admin"])
    assert items.close_notices() == 0 and item.state == "published"
    items.lodge_objection(item, text="最后一刻的异议")  # still inside the period
    monkeypatch.setattr(db, "utcnow", lambda: ends)
    with pytest.raises(UserError, match="notice period"):
        items.lodge_objection(item, text="期满之后的异议")
    assert items.close_notices() == 1 and item.state == "closed"


@pytest.mark.rule("PUB-5")
def test_objections_only_during_the_notice_period(w):
    item = published(
        w, entry_key="org.election", scope="public", channels=["website"], is_notice=True
    )
    objection = items.lodge_objection(item, text="候选人张某不符合条件", contact=None)
    assert objection.id and objection.user_id is None
    with pytest.raises(UserError):
        items.lodge_objection(item, text="  ")
    item.notice_ends_at = datetime.now(UTC) - timedelta(seconds=1)
    with pytest.raises(UserError, match="notice period"):
        items.lodge_objection(item, text="太晚了")


@pytest.mark.rule("PUB-6")
def test_withholding_needs_a_reason(w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    with pytest.raises(TransitionRefused, match="reason"):
        items.withhold(item, actor=w["admin"], reason=" ")
    items.withhold(item, actor=w["admin"], reason="涉及正在调查的事项，暂不公开")
    assert item.state == "withheld" and item.withheld_reason.startswith("涉及")


@pytest.mark.rule("PUB-7")
def test_amendment_needs_the_catalogue_owner_and_keeps_every_version(w):
    item = published(w)
    version = items.request_amendment(
        item,
        actor=w["editor"],
        bodies={"zh_Hans_CN": "更正：实缴 1150 元。"},
        explanation="原公布数字有误，予以更正",
    )
    assert item.state == "amendment_pending"
    assert item.current_version.number == 1  # the public still sees version 1 until approved
    with pytest.raises(TransitionRefused):
        items.decide_amendment(item, actor=w["admin"], approve=True)
    items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    assert item.state == "published"
    assert item.current_version_id == version.id
    assert [v.number for v in items.versions(item)] == [1, 2]
    assert items.versions(item)[1].explanation == "原公布数字有误，予以更正"


@pytest.mark.rule("PUB-7")
def test_revocation_needs_an_explanation_and_the_catalogue_owner(w):
    item = published(w)
    with pytest.raises(TransitionRefused, match="explanation"):
        items.request_revocation(item, actor=w["admin"], explanation="")
    items.request_revocation(item, actor=w["admin"], explanation="该事项已由上级统一公开")
    items.decide_revocation(item, actor=w["bureau_reviewer"], approve=True)
    assert item.state == "revoked"
    assert item.revocation_explanation == "该事项已由上级统一公开"
    # the revocation notice is public within the item's scope
    assert visibility.can_see(w["member"], item)


@pytest.mark.rule("PUB-8")
def test_decided_and_published_are_separate_facts_and_timeliness_is_measured(w):
    item = published(w, decision_date=date(2026, 3, 20))
    assert item.decision_date == date(2026, 3, 20)
    assert item.period_key == "2026-Q1"
    assert item.due_on == date(2026, 4, 10)
    assert item.late is (localtime.date_of(item.published_at, w["unit"]) > date(2026, 4, 10))


BEIJING = ZoneInfo("Asia/Shanghai")


def published_at(w, monkeypatch, moment: datetime, **overrides):
    """An item published at ``moment`` (the clock set there for its whole workflow)."""
    monkeypatch.setattr(db, "utcnow", lambda: moment.astimezone(UTC))
    item = published(w, planned_at=moment - timedelta(minutes=1), **overrides)
    monkeypatch.undo()
    return item


@pytest.mark.rule("CAT-5")
@pytest.mark.parametrize(("days", "due"), [(None, date(2026, 4, 10)), (11, date(2026, 4, 11))])
def test_a_periodic_item_published_on_its_due_day_is_on_time_and_the_day_after_late(
    w, monkeypatch, days, due
):
    """Q1 2026 ends on 03-31; the item is due ``catalogue.period_due_days`` (10) days later."""
    if days is not None:
        params.set_value(w["county"], "catalogue.period_due_days", days)
    last = datetime.combine(due, time(23, 59), BEIJING)
    on_time = published_at(w, monkeypatch, last, decision_date=date(2026, 3, 20))
    assert (on_time.period_key, on_time.due_on, on_time.late) == ("2026-Q1", due, False)
    late = published_at(
        w, monkeypatch, last + timedelta(minutes=1), decision_date=date(2026, 3, 20)
    )
    assert (late.due_on, late.late) == (due, True)


@pytest.mark.rule("CAT-5")
@pytest.mark.parametrize(("days", "due"), [(None, date(2026, 3, 27)), (0, date(2026, 3, 20))])
def test_an_immediate_item_is_due_the_parameters_days_after_its_decision(w, monkeypatch, days, due):
    if days is not None:
        params.set_value(w["county"], "catalogue.immediate_due_days", days)
    public = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}
    last = datetime.combine(due, time(23, 59), BEIJING)
    on_time = published_at(w, monkeypatch, last, decision_date=date(2026, 3, 20), **public)
    assert (on_time.due_on, on_time.late) == (due, False)
    late = published_at(
        w, monkeypatch, last + timedelta(minutes=1), decision_date=date(2026, 3, 20), **public
    )
    assert (late.due_on, late.late) == (due, True)


@pytest.mark.rule("CAT-5")
@pytest.mark.rule("SUP-2")
def test_an_expected_disclosure_unmet_is_overdue_the_day_after_its_due_day(w):
    def q1(today):
        (status,) = [
            s
            for s in timeliness.status(w["unit"], 2026, today=today)
            if (s.expected.entry_key, s.expected.period_key) == ("org.fees", "2026-Q1")
        ]
        return status

    assert q1(date(2026, 4, 10)).expected.due == date(2026, 4, 10)
    assert not q1(date(2026, 4, 10)).overdue
    assert q1(date(2026, 4, 11)).overdue


@pytest.mark.rule("SCOPE-2")
def test_internal_first_then_widened_by_the_sweep(w):
    params.set_value(w["county"], "scope.internal_first_days", 3)
    item = published(w, entry_key="org.election", scope="public", channels=["website"])
    assert item.visible_scope == "party_wide"
    assert not visibility.can_see(None, item)
    assert items.widen_scopes() == 0
    item.widen_at = datetime.now(UTC) - timedelta(seconds=1)
    assert items.widen_scopes() == 1
    assert item.visible_scope == "public"
    assert visibility.can_see(None, item)


@pytest.mark.rule("SCOPE-2")
def test_internal_first_can_be_waived_and_zero_days_is_same_day(w):
    params.set_value(w["county"], "scope.internal_first_days", 3)
    waived = published(
        w, entry_key="org.election", scope="public", channels=["website"], internal_first=False
    )
    assert waived.visible_scope == "public"
    params.set_value(w["county"], "scope.internal_first_days", 0)
    same_day = published(w, entry_key="org.election", scope="public", channels=["website"])
    assert same_day.visible_scope == "public"


@pytest.mark.rule("SCOPE-2")
def test_an_item_widens_when_its_days_inside_the_party_are_over_not_a_second_before(w, monkeypatch):
    params.set_value(w["county"], "scope.internal_first_days", 1)
    item = published(w, entry_key="org.election", scope="public", channels=["website"])
    assert item.widen_at - item.published_at == timedelta(days=1)
    assert item.visible_scope == "party_wide"
    widen_at = item.widen_at
    monkeypatch.setattr(db, "utcnow", lambda: widen_at - timedelta(seconds=1))
    assert items.widen_scopes() == 0 and not visibility.can_see(None, item)
    monkeypatch.setattr(db, "utcnow", lambda: widen_at)
    assert items.widen_scopes() == 1
    assert item.visible_scope == "public" and visibility.can_see(None, item)


@pytest.mark.rule("CAT-6")
def test_channels_must_suit_the_scope(w):
    with pytest.raises(UserError) as refused:
        items.create(
            w["unit"],
            plan(scope="public", entry_key="org.election", channels=["meeting"]),
            actor=w["editor"],
        )
    assert any("does not suit" in p for p in refused.value.problems)


def test_members_cannot_draft(w):
    with pytest.raises(UserError):
        items.create(w["unit"], plan(), actor=w["member"])
    assert db.session.scalar(select(Item.id)) is None


def test_entry_must_exist_in_the_effective_catalogue(w):
    with pytest.raises(UserError) as refused:
        items.create(w["unit"], plan(entry_key="no.such"), actor=w["editor"])
    assert any("entry_key" in p for p in refused.value.problems)


# --- the register (ARC-1) ----------------------------------------------------------------------


def register_entries(org):
    from core.register import operations as register

    return register.entries(org)


@pytest.mark.rule("ARC-1")
def test_publication_withholding_amendment_and_revocation_are_registered(w):
    item = published(w)
    entries = register_entries(w["unit"])
    assert [(e.action, e.object_id, e.object_version) for e in entries] == [
        ("publish", str(item.id), 1)
    ]
    entry = entries[0]
    assert entry.title == "2026年第一季度党费收缴情况"
    assert (entry.scope, entry.channels) == ("party_wide", ["meeting", "notice_board"])
    assert [a["step"] for a in entry.approvals] == ["review", "approve"]
    assert entry.actor_label == "system"

    items.request_amendment(
        item, actor=w["editor"], bodies={"zh_Hans_CN": "更正后的内容"}, explanation="更正数字"
    )
    items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    items.request_revocation(item, actor=w["admin"], explanation="重复公开")
    items.decide_revocation(item, actor=w["bureau_reviewer"], approve=True)
    withheld = items.create(w["unit"], plan(), actor=w["editor"])
    items.withhold(withheld, actor=w["admin"], reason="涉及未结案件")
    db.session.commit()
    entries = register_entries(w["unit"])
    assert [e.action for e in entries] == ["publish", "amend", "revoke", "withhold"]
    assert entries[1].object_version == 2 and entries[1].data["explanation"] == "更正数字"
    assert entries[2].data["explanation"] == "重复公开"
    assert (
        entries[3].data["filed_with"] == "it-bureau" and entries[3].data["reason"] == "涉及未结案件"
    )
    assert [e.seq for e in entries] == [1, 2, 3, 4]


@pytest.mark.rule("ARC-2")
def test_the_register_chain_verifies_after_the_workflow(w):
    from core.register import operations as register

    published(w)
    published(w, entry_key="org.election", scope="public", channels=["website"])
    assert register.verify(w["unit"]) == []


@pytest.mark.rule("ARC-1")
def test_a_refused_publication_writes_no_register_entry(w):
    item = through_review(w, items.create(w["unit"], plan(), actor=w["editor"]))
    items.approve(item, actor=w["admin"])
    item.state = "scheduled"
    item.planned_at = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(TransitionRefused):
        items.publish(item)
    db.session.commit()
    assert register_entries(w["unit"]) == []
