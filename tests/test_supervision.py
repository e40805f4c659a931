"""Supervision (SUP-1, SUP-2): supervisors read their subtree; inspections with findings walked
through the console's forms (the unit answers, the inspecting organisation closes or reopens);
rectification deadlines at their edges; overdue findings reminded; the automatic flags' sweep
(idempotent, resolved when the condition ends) and a superior's decision on a flag."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core import db, localtime
from core.errors import UserError
from core.items import timeliness
from core.notifications.models import Notification
from core.plugins.testing import csrf_token
from core.supervision import jobs as supervision_jobs
from core.supervision import operations as sv
from core.supervision.models import Finding, Inspection, SupervisionFlag
from tests.feedback_helpers import html, sign_in
from tests.items_helpers import build_world, user

HOME = "/admin/o/{code}/inspections"


@pytest.fixture
def w(make_org):
    w = build_world(make_org)
    w["bureau_supervisor"] = user("it-bureau-supervisor", ("supervisor", w["bureau"]))
    w["sibling_supervisor"] = user("it-sibling-supervisor", ("supervisor", w["sibling"]))
    w["child_supervisor"] = user("it-child-supervisor", ("supervisor", w["child"]))
    w["bureau_admin"] = user("it-bureau-admin", ("admin", w["bureau"]))
    db.session.commit()
    return w


def post(client, path, data=None, **kwargs):
    token = csrf_token(client, "/admin")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def inspection(w, *, target=None, by=None, actor=None, kind="ad_hoc") -> Inspection:
    found = sv.record_inspection(
        by or w["bureau"],
        {"kind": kind, "target": target or w["unit"], "subject": "党务公开专项检查"},
        actor=actor or w["bureau_reviewer"],
    )
    db.session.commit()
    return found


def finding(w, insp: Inspection | None = None, **data) -> Finding:
    insp = insp or inspection(w)
    data.setdefault("unit", w["unit"])
    data.setdefault("description", "公开栏内容未按季度更新")
    data.setdefault("requirement", "补充公开第三季度党费收缴情况")
    found = sv.add_finding(insp, data, actor=w["bureau_reviewer"])
    db.session.commit()
    return found


def notified(user_obj, kind: str) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_obj.id, Notification.kind == kind
        )
    )


# --- who reads the supervision (SUP-1) ---------------------------------------------------------


@pytest.mark.rule("SUP-1")
def test_a_supervisor_reads_the_subtree_where_appointed_and_nothing_else(app, w):
    """The supervisor role held in the bureau reads the unit's supervision, compliance, feedback
    and requests (as the bureau's reviewer does); held in a sibling or in a unit below, it reads
    nothing of the unit."""
    finding(w)
    pages = [
        "/admin/o/it-unit/inspections",
        "/admin/o/it-unit/compliance",
        "/admin/o/it-unit/feedback",
        "/admin/o/it-unit/requests",
        "/admin/o/it-bureau/inspections",
        "/admin/o/it-bureau/compliance",
    ]
    for name in ("it-bureau-supervisor", "it-bureau-reviewer"):
        client = sign_in(app, name)
        for path in pages:
            assert client.get(path).status_code == 200, (name, path)
        assert "公开栏内容未按季度更新" in html(client.get("/admin/o/it-unit/inspections"))
    for name in ("it-sibling-supervisor", "it-child-supervisor", "it-member"):
        client = sign_in(app, name)
        for path in pages:
            assert client.get(path).status_code == 403, (name, path)
    # appointed in the unit itself, the supervisor reads the unit (the edge: its own level)
    user("it-unit-supervisor", ("supervisor", w["unit"]))
    db.session.commit()
    assert sign_in(app, "it-unit-supervisor").get(pages[0]).status_code == 200


@pytest.mark.rule("SUP-1")
def test_a_supervisor_records_an_inspection_with_a_finding_and_the_unit_is_told(app, w):
    client = sign_in(app, "it-bureau-supervisor")
    form = client.get("/admin/o/it-bureau/inspections/new")
    assert form.status_code == 200 and "it-unit" in html(form)
    today = localtime.today(w["bureau"])
    made = post(
        client,
        "/admin/o/it-bureau/inspections/new",
        {
            "kind": "ad_hoc",
            "target": "it-unit",
            "subject": "年度党务公开检查",
            "basis": "党务公开条例",
            "planned_on": today.isoformat(),
            "inspector": "",
        },
    )
    assert made.status_code == 302, html(made)
    insp = db.session.scalar(select(Inspection).where(Inspection.subject == "年度党务公开检查"))
    assert insp.state == "underway" and insp.inspector_id == w["bureau_supervisor"].id
    assert notified(w["admin"], "supervision.inspection_planned") == 1
    added = post(
        client,
        f"/admin/o/it-bureau/inspections/{insp.id}/findings",
        {
            "unit": "it-unit",
            "description": "公开栏未更新",
            "requirement": "立即更新",
            "deadline": (today + timedelta(days=10)).isoformat(),
        },
    )
    assert added.status_code == 302, html(added)
    assert notified(w["admin"], "supervision.finding_raised") == 1
    assert notified(w["editor"], "supervision.finding_raised") == 1
    assert notified(w["member"], "supervision.finding_raised") == 0
    # the unit's admin finds it on the unit's supervision page, one click from the notice
    page = html(sign_in(app, "it-admin").get("/admin/o/it-unit/inspections"))
    assert "公开栏未更新" in page


@pytest.mark.rule("SUP-1")
def test_the_rectification_deadline_may_be_today_not_yesterday(app, w):
    insp = inspection(w)
    today = localtime.today(w["bureau"])
    with pytest.raises(UserError) as refused:
        sv.add_finding(
            insp,
            {"unit": w["unit"], "description": "x", "deadline": today - timedelta(days=1)},
            actor=w["bureau_reviewer"],
        )
    assert any("deadline" in p for p in refused.value.problems)
    db.session.rollback()
    assert finding(w, insp, deadline=today).deadline == today
    # by the console's form: a 400 page that names the field, nothing saved
    client = sign_in(app, "it-bureau-reviewer")
    refused_page = post(
        client,
        f"/admin/o/it-bureau/inspections/{insp.id}/findings",
        {
            "unit": "it-unit",
            "description": "昨天的期限",
            "deadline": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert refused_page.status_code == 400
    assert db.session.scalar(select(func.count(Finding.id))) == 1


@pytest.mark.rule("SUP-1")
def test_the_default_deadline_is_the_parameters_days(app, w):
    from core.params import operations as params

    params.set_value(w["county"], "supervision.rectification_days", 14)
    db.session.commit()
    found = finding(w, deadline=None)
    assert found.deadline == localtime.today(w["bureau"]) + timedelta(days=14)


@pytest.mark.rule("SUP-1")
def test_a_finding_only_in_the_inspected_subtree(app, w):
    insp = inspection(w)
    with pytest.raises(UserError):
        sv.add_finding(insp, {"unit": w["sibling"], "description": "x"}, actor=w["bureau_reviewer"])
    db.session.rollback()
    assert finding(w, insp, unit=w["child"]).org_id == w["child"].id
    # a unit inspects only itself and below
    with pytest.raises(UserError):
        sv.record_inspection(
            w["unit"],
            {"kind": "planned", "target": w["sibling"], "subject": "x"},
            actor=w["admin"],
        )


@pytest.mark.rule("SUP-1")
def test_the_unit_answers_only_the_inspecting_organisation_closes_or_reopens(app, w):
    found = finding(w)
    unit_path = f"/admin/o/it-unit/inspections/findings/{found.id}"
    bureau_path = f"/admin/o/it-bureau/inspections/findings/{found.id}"
    admin = sign_in(app, "it-admin")
    assert post(admin, unit_path + "/close").status_code == 403
    assert post(admin, unit_path + "/answer", {"rectification": ""}).status_code == 400
    answered = post(
        admin, unit_path + "/answer", {"rectification": "已补充公开，并建立月度检查制度"}
    )
    assert answered.status_code == 302
    db.session.rollback()
    assert db.session.get(Finding, found.id).state == "answered"
    assert notified(w["bureau_reviewer"], "supervision.finding_answered") == 1
    # the unit's own admin cannot close what the bureau raised
    assert post(admin, unit_path + "/close").status_code == 403
    # a sibling's code does not show the finding
    assert (
        sign_in(app, "it-bureau-reviewer")
        .get(f"/admin/o/it-sibling/inspections/findings/{found.id}")
        .status_code
        == 404
    )
    reviewer = sign_in(app, "it-bureau-reviewer")
    assert post(reviewer, bureau_path + "/reopen", {"reopen_comment": ""}).status_code == 400
    reopened = post(reviewer, bureau_path + "/reopen", {"reopen_comment": "整改不彻底"})
    assert reopened.status_code == 302
    db.session.rollback()
    again = db.session.get(Finding, found.id)
    assert (again.state, again.reopened) == ("open", 1)
    assert notified(w["admin"], "supervision.finding_decided") == 1
    post(admin, unit_path + "/answer", {"rectification": "已全部整改"})
    assert post(reviewer, bureau_path + "/close", {"comment": "同意销号"}).status_code == 302
    db.session.rollback()
    assert db.session.get(Finding, found.id).state == "closed"
    page = html(sign_in(app, "it-admin").get(unit_path))
    assert "已全部整改" in page and "同意销号" in page


@pytest.mark.rule("SUP-1")
def test_an_overdue_finding_is_marked_and_reminded_from_the_day_after_its_deadline(app, w):
    found = finding(w)
    today = localtime.today(w["bureau"])
    found.deadline = today
    db.session.commit()
    assert supervision_jobs.findings_overdue() == 0  # due today: not overdue yet
    assert not found.overdue(today)
    found.deadline = today - timedelta(days=1)
    db.session.commit()
    assert found.overdue(today)
    assert supervision_jobs.findings_overdue() > 0
    db.session.commit()
    assert notified(w["admin"], "supervision.finding_overdue") == 1
    assert notified(w["bureau_reviewer"], "supervision.finding_overdue") == 1
    assert supervision_jobs.findings_overdue() == 0  # once a week, not every run
    page = html(sign_in(app, "it-admin").get("/admin/o/it-unit/inspections"))
    assert re.search(r"overdue|Overdue", page)
    # answered in time or late, it is no longer the unit's to do
    sv.answer(found, actor=w["admin"], rectification="已整改")
    db.session.commit()
    assert not found.overdue(today)


# --- automatic flags (SUP-2) --------------------------------------------------------------------


def schedule(w, on: date) -> None:
    timeliness.refresh(w["unit"], on.year, today=on, flags=False)
    db.session.commit()


def flags_of(org) -> list[SupervisionFlag]:
    return list(
        db.session.scalars(
            select(SupervisionFlag)
            .where(SupervisionFlag.org_id == org.id)
            .order_by(SupervisionFlag.id)
        )
    )


@pytest.mark.rule("SUP-2")
def test_an_expected_disclosure_is_flagged_the_day_after_its_due_day_once(app, w):
    year = localtime.today(w["unit"]).year
    due = date(year, 4, 10)  # the quarterly entry's first quarter is due on 10 April
    schedule(w, due + timedelta(days=1))
    assert sv.raise_flags(on=due) == (0, 0)
    assert [f for f in flags_of(w["unit"]) if "Q1" in f.subject_key] == []
    raised, _resolved = sv.raise_flags(on=due + timedelta(days=1))
    db.session.commit()
    overdue = [f for f in flags_of(w["unit"]) if f.subject_key == f"org.fees:{year}-Q1"]
    assert raised >= 1 and len(overdue) == 1
    assert overdue[0].kind == "overdue_disclosure" and overdue[0].state == "open"
    # idempotent: the second sweep raises nothing
    assert sv.raise_flags(on=due + timedelta(days=1)) == (0, 0)
    db.session.commit()
    assert len(flags_of(w["unit"])) == raised


@pytest.mark.rule("SUP-2")
def test_a_flag_resolves_when_the_disclosure_is_made_late(app, w):
    from core.items.models import ScheduledDisclosure

    year = localtime.today(w["unit"]).year
    on = date(year, 4, 11)
    schedule(w, on)
    sv.raise_flags(on=on)
    db.session.commit()
    (flag,) = [f for f in flags_of(w["unit"]) if f.subject_key == f"org.fees:{year}-Q1"]
    row = db.session.scalar(
        select(ScheduledDisclosure).where(
            ScheduledDisclosure.org_id == w["unit"].id,
            ScheduledDisclosure.period_key == f"{year}-Q1",
        )
    )
    row.item_id = None
    # the disclosure made late: the schedule's row is met (as record_publication does)
    from tests.items_helpers import published

    item = published(w, entry_key="org.fees", period_key=f"{year}-Q1")
    row.item_id = item.id
    db.session.commit()
    assert sv.raise_flags(on=on + timedelta(days=2))[1] >= 1
    db.session.commit()
    db.session.refresh(flag)
    assert flag.state == "resolved"
    # and it is never raised again, whatever the schedule says later
    row.item_id = None
    db.session.commit()
    assert sv.raise_flags(on=on + timedelta(days=3))[0] == 0


@pytest.mark.rule("SUP-2")
def test_a_superior_confirms_a_flag_as_a_finding_or_dismisses_it_with_a_reason(app, w):
    year = localtime.today(w["unit"]).year
    on = date(year, 7, 11)  # Q1 and Q2 of the quarterly entry are overdue
    schedule(w, on)
    sv.raise_flags(on=on)
    db.session.commit()
    first, second = [f for f in flags_of(w["unit"]) if f.kind == "overdue_disclosure"][:2]
    # the unit sees its flags but does not decide on them
    admin = sign_in(app, "it-admin")
    assert admin.get(f"/admin/o/it-unit/inspections/flags/{first.id}").status_code == 200
    assert (
        post(
            admin, f"/admin/o/it-unit/inspections/flags/{first.id}/dismiss", {"reason": "不需要"}
        ).status_code
        == 403
    )
    # a sibling's reviewer: not found under its code
    user("it-sibling-reviewer", ("reviewer", w["sibling"]))
    db.session.commit()
    sibling = sign_in(app, "it-sibling-reviewer")
    assert sibling.get(f"/admin/o/it-sibling/inspections/flags/{first.id}").status_code == 404
    reviewer = sign_in(app, "it-bureau-reviewer")
    listed = html(reviewer.get("/admin/o/it-bureau/inspections/flags"))
    assert f"/flags/{first.id}" in listed
    base = f"/admin/o/it-bureau/inspections/flags/{first.id}"
    assert post(reviewer, base + "/dismiss", {"reason": ""}).status_code == 400
    assert db.session.get(SupervisionFlag, first.id).state == "open"
    confirmed = post(
        reviewer,
        base + "/confirm",
        {
            "description": "第一季度党费情况应公开未公开",
            "requirement": "补充公开",
            "deadline": (localtime.today(w["bureau"]) + timedelta(days=7)).isoformat(),
        },
    )
    assert confirmed.status_code == 302, html(confirmed)
    db.session.rollback()
    made = db.session.scalar(select(Finding).where(Finding.flag_id == first.id))
    assert made.org_id == w["unit"].id and made.supervisor_org_id == w["bureau"].id
    assert db.session.get(SupervisionFlag, first.id).state == "confirmed"
    assert notified(w["admin"], "supervision.finding_raised") == 1
    dismissed = post(
        reviewer,
        f"/admin/o/it-bureau/inspections/flags/{second.id}/dismiss",
        {"reason": "该期因换届顺延，已报备"},
    )
    assert dismissed.status_code == 302
    db.session.rollback()
    flag = db.session.get(SupervisionFlag, second.id)
    assert (flag.state, flag.reason) == ("dismissed", "该期因换届顺延，已报备")
    # decided flags are not decided again, and never raised again
    assert post(reviewer, base + "/dismiss", {"reason": "再次"}).status_code in (400, 403, 409)
    assert sv.raise_flags(on=on)[0] == 0


@pytest.mark.rule("SUP-2")
def test_the_sweep_flags_corrections_late_answers_early_closes_and_secrecy(app, w):
    """Each kind of flag from the real operations, then none twice."""
    from core.feedback.models import FeedbackEntry
    from tests.feedback_helpers import recorded

    entry = recorded({"unit": w["unit"], "editor": w["editor"]})
    today = localtime.today(w["unit"])
    entry.due_on = today - timedelta(days=1)
    db.session.commit()
    on_time = recorded({"unit": w["unit"], "editor": w["editor"]}, content="按时的意见")
    on_time.due_on = today
    db.session.commit()
    sv.raise_flags(on=today)
    db.session.commit()
    kinds = {(f.kind, f.subject_key) for f in flags_of(w["unit"])}
    assert ("late_feedback", f"feedback:{entry.id}") in kinds
    assert ("late_feedback", f"feedback:{on_time.id}") not in kinds  # due today: not late yet
    assert db.session.get(FeedbackEntry, entry.id) is not None
    assert sv.raise_flags(on=today)[0] == 0


def test_a_county_is_never_flagged_it_has_no_superior_to_decide(app, w):
    from tests.feedback_helpers import recorded

    county_admin = w["county_admin"]
    entry = recorded({"unit": w["county"], "editor": county_admin})
    entry.due_on = localtime.today(w["county"]) - timedelta(days=3)
    db.session.commit()
    supervision_jobs.raise_supervision_flags()
    db.session.commit()
    assert flags_of(w["county"]) == []


def test_bad_addresses_are_4xx_not_5xx(app, w):
    reviewer = sign_in(app, "it-bureau-reviewer")
    for path in (
        "/admin/o/it-bureau/inspections/999999",
        "/admin/o/it-bureau/inspections/findings/999999",
        "/admin/o/it-bureau/inspections/flags/999999",
        "/admin/o/it-bureau/inspections/findings/99999999999999999999",
        "/admin/o/it-bureau/inspections/flags?kind=nonsense",
        "/admin/o/it-bureau/inspections/flags?state=nonsense",
    ):
        assert 400 <= reviewer.get(path).status_code < 500, path
    bad = post(
        reviewer,
        "/admin/o/it-bureau/inspections/new",
        {"kind": "planned", "target": "it-other", "subject": "x", "planned_on": "2026-13-45"},
    )
    assert bad.status_code == 400
    assert db.session.scalar(select(func.count(Inspection.id))) == 0


@pytest.mark.rule("SUP-2")
def test_corrections_secrecy_revocations_and_early_closes_are_flagged(app, w):
    """From the items' own operations: an approved correction of false content, a revocation
    for secrecy, and an attempt to close a notice early — refused, rolled back, and kept on record
    all the same — each raise one flag; an ordinary update and a revocation for another reason
    raise none."""
    from core.items import operations as items
    from core.workflow.engine import TransitionRefused
    from tests.items_helpers import published

    public = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}
    corrected = published(w, **public, titles={"zh_Hans_CN": "选举结果"})
    updated = published(w, **public, titles={"zh_Hans_CN": "选举安排"})
    for item, reason in ((corrected, "correction"), (updated, "update")):
        items.request_amendment(
            item, actor=w["editor"], bodies={"zh_Hans_CN": "更正后的内容"},
            explanation="原内容有误", reason=reason,
        )  # fmt: skip
        items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    secret = published(w, **public, titles={"zh_Hans_CN": "涉密内容"})
    duplicate = published(w, **public, titles={"zh_Hans_CN": "重复内容"})
    items.request_revocation(secret, actor=w["admin"], explanation="涉密", reason="secrecy")
    items.request_revocation(duplicate, actor=w["admin"], explanation="重复公开")
    notice = published(w, **public, titles={"zh_Hans_CN": "公示"}, is_notice=True)
    db.session.commit()
    with pytest.raises(TransitionRefused):
        items.close(notice, actor=w["admin"])
    db.rollback()  # the request's unit of work fails; the attempt is kept
    sv.raise_flags()
    db.session.commit()
    found = {(f.kind, f.subject_id) for f in flags_of(w["unit"]) if f.kind != "overdue_disclosure"}
    assert ("correction", corrected.id) in found
    assert ("secrecy_revocation", secret.id) in found
    assert ("early_close", notice.id) in found
    assert not {updated.id, duplicate.id} & {subject for _kind, subject in found}
    assert sv.raise_flags() == (0, 0)


@pytest.mark.rule("SUP-1")
def test_my_work_lists_findings_to_rectify_rectifications_to_check_and_flags(app, w):
    found = finding(w)
    year = localtime.today(w["unit"]).year
    schedule(w, date(year, 4, 11))
    sv.raise_flags(on=date(year, 4, 11))
    db.session.commit()
    unit_admin = html(sign_in(app, "it-admin").get("/admin"))
    assert "Findings to rectify" in unit_admin
    assert f"/admin/o/it-unit/inspections/findings/{found.id}" in unit_admin
    assert "Automatic flags to confirm" not in unit_admin  # the unit never decides its own
    reviewer = html(sign_in(app, "it-bureau-reviewer").get("/admin"))
    assert "Automatic flags to confirm" in reviewer
    assert "/admin/o/it-bureau/inspections/flags/" in reviewer
    assert "Rectifications to check" not in reviewer  # nothing answered yet
    db.session.rollback()
    sv.answer(db.session.get(Finding, found.id), actor=w["admin"], rectification="已整改")
    db.session.commit()
    reviewer = html(sign_in(app, "it-bureau-reviewer").get("/admin"))
    assert "Rectifications to check" in reviewer
    assert f"/admin/o/it-bureau/inspections/findings/{found.id}" in reviewer
    assert "Findings to rectify" not in html(sign_in(app, "it-admin").get("/admin"))
