"""Notifications: who is told what (events and reminder sweeps), the channels and preferences,
the daily digest, the inbox pages and the header's badge.

Mail goes through SMTP to a debugging server started by the test (:mod:`tests.notification_
helpers`); the mail jobs run as a worker runs them (``jobs.work_burst``). Every test runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from core import audit, db, jobs
from core.audit import AuditEntry
from core.disclosure_requests import jobs as request_jobs
from core.items import operations as items
from core.notifications import operations as ops
from core.notifications import reminders
from core.notifications.models import Notification, NotificationDigest, NotificationPreference
from core.plugins.testing import csrf_token
from tests.items_helpers import PUBLIC_ENTRY, plan, through_review, user
from tests.notification_helpers import (
    debug_smtp,
    local,
    notes_of,
    recipients_of,
    reset_jobs,
    run_jobs,
    text_of,
    told,
    world,
)

PASSWORD = "long-enough-pw"


@pytest.fixture
def fresh_jobs(app):
    reset_jobs(app)
    yield
    reset_jobs(app)


@pytest.fixture
def w(make_org, fresh_jobs):
    return world(make_org)


@pytest.fixture
def smtp(app, tmp_path, fresh_jobs):
    with debug_smtp(app, tmp_path / "smtp") as server:
        yield server


def sign_in(app, username):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, username
    client.get("/?lang=en")
    return client


def choose(u, **channels) -> None:
    ops.set_preferences(u, {k.replace("__", "."): v for k, v in channels.items()})
    db.session.commit()


def withhold(w, title="暂缓公开的事项"):
    item = items.create(w["unit"], plan(titles={"zh_Hans_CN": title}), actor=w["editor"])
    items.withhold(item, actor=w["admin"], reason="涉及正在调查的事项")
    db.session.commit()
    return item


def off_catalogue(w):
    """An off-catalogue item of the unit, waiting for the superior's decision."""
    item = items.create(w["unit"], plan(entry_key=None), actor=w["editor"])
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    assert item.state == "superior_review"
    db.session.commit()
    return item


# --- who is told ------------------------------------------------------------------------------


def awaiting(now) -> int:
    """The reminders of the superiors' inboxes: items and catalogues awaiting a decision."""
    return reminders.run("items.awaiting_decision", now) + reminders.run(
        "catalogue.awaiting_decision", now
    )


def test_recipients_are_who_may_run_the_action_in_bounded_queries(app, w):
    engine = db.session.get_bind()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        editors = ops.recipients("items.edit", w["unit"])
        deciders = ops.recipients("items.decide", w["unit"])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert {u.username for u in editors} == {"it-admin", "it-editor"}
    # a superior's action: reviewers of every ancestor, never of the unit, a sibling or elsewhere
    assert {u.username for u in deciders} == {"it-bureau-reviewer", "it-county-reviewer"}
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # one query per call, however many people

    nearest = ops.recipients("items.decide", w["unit"], nearest=True)
    assert [u.username for u in nearest] == ["it-bureau-reviewer"]
    at_county = ops.recipients("items.decide", w["unit"], at=w["county"])
    assert [u.username for u in at_county] == ["it-county-reviewer"]
    assert ops.recipients("items.edit", w["unit"], exclude=[w["editor"]]) == [w["admin"]]

    w["editor"].active = False
    assert [u.username for u in ops.recipients("items.edit", w["unit"])] == ["it-admin"]

    admin = user("it-platform", ("member", w["unit"]))
    admin.is_platform_admin = True
    assert ops.recipients("platform.manage", None) == [admin]


def test_withheld_item_is_filed_with_the_superiors_reviewers_and_nobody_else(app, w):
    item = withhold(w)
    assert told("items.filed") == {"it-bureau-reviewer"}
    [note] = notes_of(w["bureau_reviewer"], "items.filed")
    assert note.org_id == w["bureau"].id
    assert note.link == "/admin/o/it-bureau/items/filings"
    assert (note.object_type, note.object_id) == ("item", str(item.id))
    title, body = ops.render(note, "en")
    assert "暂缓公开的事项" in title
    assert "涉及正在调查的事项" in body
    assert "it-bureau 党组织" in title  # the superior's name (no English name: the Chinese one)


def test_notifications_roll_back_with_their_cause(app, w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    db.session.commit()
    items.withhold(item, actor=w["admin"], reason="涉及正在调查的事项")
    db.session.rollback()
    assert told("items.filed") == set()
    assert jobs.pending() == []


def test_the_actor_is_not_told_of_their_own_action(app, w):
    # the bureau reviewer is also an admin of the unit and withholds the item himself
    from tenants import operations as tenants

    tenants.grant_membership(w["bureau_reviewer"], w["unit"], "admin")
    item = items.create(w["unit"], plan(), actor=w["editor"])
    items.withhold(item, actor=w["bureau_reviewer"], reason="涉及正在调查的事项")
    db.session.commit()
    assert told("items.filed") == set()


# --- channels and preferences -----------------------------------------------------------------


def test_preferences_decide_the_mail_of_each_kind(app, w, smtp):
    choose(w["bureau_reviewer"], items__filed="immediate")
    withhold(w, "第一件")
    run_jobs()
    assert recipients_of(smtp.messages()) == ["it-bureau-reviewer@example.org"]

    choose(w["bureau_reviewer"], items__filed="off")
    withhold(w, "第二件")
    run_jobs()
    assert len(smtp.messages()) == 1  # no new mail ...
    assert len(notes_of(w["bureau_reviewer"], "items.filed")) == 2  # ... but in the inbox
    assert [n.email for n in notes_of(w["bureau_reviewer"])] == ["immediate", "none"]

    choose(w["bureau_reviewer"], items__filed="daily")
    withhold(w, "第三件")
    run_jobs()
    assert len(smtp.messages()) == 1  # waits for the digest
    assert ops.build_digests(local(days=1)) == 1
    db.session.commit()
    run_jobs()
    [_first, digest] = smtp.messages()
    assert "第三件" in text_of(digest)
    assert "第二件" not in text_of(digest) and "第一件" not in text_of(digest)


def test_default_channels_and_a_user_without_address(app, w, smtp):
    assert ops.preferences(w["member"])["requests.decided"] == "immediate"
    assert ops.preferences(w["member"])["items.filed"] == "daily"
    w["bureau_reviewer"].email = None
    choose(w["bureau_reviewer"], items__filed="immediate")
    withhold(w)
    run_jobs()
    [note] = notes_of(w["bureau_reviewer"], "items.filed")
    assert note.email == "none"
    assert ops.build_digests(local(days=1)) == 0
    run_jobs()
    assert smtp.messages() == []


def test_preferences_are_validated_and_audited(app, w, english):
    with pytest.raises(Exception, match="not saved") as refused:
        ops.set_preferences(w["member"], {"items.filed": "hourly", "nope": "daily"})
    assert len(refused.value.problems) == 2
    changes = ops.set_preferences(w["member"], {"items.filed": "off", "feedback.received": "daily"})
    assert changes == {"items.filed": ["daily", "off"]}  # feedback.received was daily already
    db.session.commit()
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "notifications.preferences")
    )
    assert entry.changes == {"items.filed": ["daily", "off"]}
    assert ops.preferences(w["member"])["items.filed"] == "off"


# --- the daily digest -------------------------------------------------------------------------


def test_digest_groups_per_user_sends_one_mail_each_and_is_idempotent(app, w, smtp):
    for _ in range(3):
        withhold(w)
    reviewer = w["bureau_reviewer"]
    other = w["county_reviewer"]
    ops.notify([other], "items.filed", org=w["county"], params={"title": {"en": "Z"}})
    db.session.commit()

    assert ops.build_digests(local(days=1, hour=6)) == 0, "before the digest hour"
    tomorrow = local(days=1, hour=8)
    assert ops.build_digests(tomorrow) == 2
    db.session.commit()
    run_jobs()
    messages = smtp.messages()
    assert recipients_of(messages) == [
        "it-bureau-reviewer@example.org",
        "it-county-reviewer@example.org",
    ]
    mine = next(m for m in messages if "bureau-reviewer" in str(m["To"]))
    assert text_of(mine).count("暂缓公开的事项") == 3
    assert "3" in str(mine["Subject"])

    # again the same day: nothing, even with something new; the next day: the new one only
    assert ops.build_digests(tomorrow + timedelta(hours=3)) == 0
    withhold(w, "后来的事项")
    assert ops.build_digests(tomorrow + timedelta(hours=4)) == 0
    db.session.commit()
    run_jobs()
    assert len(smtp.messages()) == 2
    assert ops.build_digests(local(days=2, hour=9)) == 1
    db.session.commit()
    run_jobs()
    last = smtp.messages()[-1]
    assert "后来的事项" in text_of(last) and "暂缓公开的事项" not in text_of(last)
    assert all(n.emailed_at is not None for n in notes_of(reviewer))
    # the job itself is idempotent: running a sent digest again sends nothing
    digest = db.session.scalars(select(NotificationDigest)).first()
    jobs.enqueue("core.notifications.mail.send_digest", digest.id, queue="mail")
    db.session.commit()
    run_jobs()
    assert len(smtp.messages()) == 3


def test_digest_leaves_out_what_was_read_or_turned_off(app, w, smtp):
    withhold(w, "读过的")
    [read] = notes_of(w["bureau_reviewer"])
    ops.mark_read(w["bureau_reviewer"], read.id)
    db.session.commit()
    assert ops.build_digests(local(days=1)) == 0

    withhold(w, "关掉的")
    choose(w["bureau_reviewer"], items__filed="off")
    assert ops.build_digests(local(days=1)) == 0
    run_jobs()
    assert smtp.messages() == []


def test_digest_sweep_runs_as_a_registered_sweep(app, w, smtp):
    names = {s.name for s in jobs.sweeps()}
    assert {"notification_digests", "notification_reminders", "notification_mail_retry"} <= names
    withhold(w)
    jobs.run_sweep("notification_digests")  # inline, as in the embedded mode
    run_jobs()
    # at whatever hour the test runs: either today's digest went, or it waits for the hour
    assert len(smtp.messages()) == len(db.session.scalars(select(NotificationDigest)).all())


# --- reminders --------------------------------------------------------------------------------


def test_superiors_are_reminded_daily_of_what_waits_for_their_decision(app, w):
    from core.catalogue import operations as cat

    off_catalogue(w)
    draft = cat.start_draft(w["sibling"], actor=w["sibling_admin"])
    cat.transition(draft, "submit", actor=w["sibling_admin"])
    db.session.commit()

    today = local(hour=10)
    assert awaiting(today) == 4
    db.session.commit()
    assert told("items.awaiting_decision") == {"it-bureau-reviewer", "it-county-reviewer"}
    assert told("catalogue.awaiting_decision") == {"it-bureau-reviewer", "it-county-reviewer"}
    [note] = notes_of(w["bureau_reviewer"], "items.awaiting_decision")
    assert note.params["count"] == 1
    assert note.link == "/admin/o/it-bureau/items/inbox"
    [cat_note] = notes_of(w["bureau_reviewer"], "catalogue.awaiting_decision")
    assert cat_note.link == "/admin/o/it-bureau/catalogue/inbox"

    assert awaiting(today + timedelta(hours=2)) == 0  # once a day
    assert awaiting(local(days=1, hour=10)) == 4
    db.session.commit()
    assert len(notes_of(w["bureau_reviewer"], "items.awaiting_decision")) == 2
    for name in ("it-other-reviewer", "it-sibling-admin", "it-reviewer", "it-admin"):
        assert name not in told("items.awaiting_decision")


def test_editors_are_told_when_a_notice_period_ends_within_a_day(app, w):
    item = items.create(
        w["unit"],
        plan(entry_key="org.election", scope=PUBLIC_ENTRY["scope"], channels=["notice_board"],
             is_notice=True, notice_days=7),
        actor=w["editor"],
    )  # fmt: skip
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    if item.state == "superior_review":
        items.superior_decide(item, actor=w["bureau_reviewer"], approve=True)
    items.schedule_publication(item, actor=w["editor"])
    items.publish(item)
    db.session.commit()
    assert item.notice_ends_at is not None

    assert reminders.run("items.notice_ending", item.notice_ends_at - timedelta(days=3)) == 0
    assert reminders.run("items.notice_ending", item.notice_ends_at - timedelta(hours=20)) == 2
    assert reminders.run("items.notice_ending", item.notice_ends_at - timedelta(hours=2)) == 0
    db.session.commit()
    assert told("items.notice_ending") == {"it-admin", "it-editor"}
    [note] = notes_of(w["editor"], "items.notice_ending")
    assert note.email == "immediate"  # the kind's default
    assert note.link == f"/admin/o/it-unit/items/{item.id}"


# --- the inbox --------------------------------------------------------------------------------


def test_inbox_lists_marks_read_and_shows_nothing_of_other_users(app, w):
    reviewer, county_reviewer = w["bureau_reviewer"].id, w["county_reviewer"].id
    withhold(w, "第一件")
    withhold(w, "第二件")
    mine = [n.id for n in notes_of(reviewer)]
    ops.notify([w["county_reviewer"]], "items.filed", params={"title": {"zh_Hans_CN": "zxsecret"}})
    db.session.commit()
    theirs = notes_of(county_reviewer)[0].id

    client = sign_in(app, "it-bureau-reviewer")
    page = client.get("/notifications").get_data(as_text=True)
    assert "第一件" in page and "第二件" in page and "zxsecret" not in page
    assert "2 unread" in page

    token = csrf_token(client, "/notifications")
    # no token: refused, nothing changes
    assert client.post("/notifications/read", data={"notification_id": mine[0]}).status_code == 400
    assert all(n.read_at is None for n in notes_of(reviewer))
    # someone else's notification does not exist here
    response = client.post(
        "/notifications/read", data={"notification_id": theirs, "csrf_token": token}
    )
    assert response.status_code == 404
    assert notes_of(county_reviewer)[0].read_at is None

    response = client.post(
        "/notifications/read",
        data={"notification_id": mine[0], "open": "1", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/o/it-bureau/items/filings")
    assert [n.read_at is not None for n in notes_of(reviewer)] == [True, False]
    unread = client.get("/notifications?unread=1").get_data(as_text=True)
    assert "第二件" in unread and "第一件" not in unread

    response = client.post("/notifications/read", data={"all": "1", "csrf_token": token})
    assert response.status_code == 302
    assert all(n.read_at is not None for n in notes_of(reviewer))
    assert notes_of(county_reviewer)[0].read_at is None


def test_inbox_needs_a_signed_in_user(app, client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_settings_page_changes_the_channels(app, w):
    client = sign_in(app, "it-member")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "it-member@example.org" in page
    assert 'name="kind-items.filed" value="daily" checked' in page
    assert "working-day calendar" not in page.lower()  # platform admins' kind only
    token = csrf_token(client, "/notifications/settings")
    response = client.post(
        "/notifications/settings",
        data={"kind-items.filed": "off", "kind-requests.decided": "daily", "csrf_token": token},
    )
    assert response.status_code == 302
    prefs = ops.preferences(w["member"])
    assert (prefs["items.filed"], prefs["requests.decided"]) == ("off", "daily")

    refused = client.post(
        "/notifications/settings", data={"kind-items.filed": "hourly", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert "not saved" in refused.get_data(as_text=True)
    assert ops.preferences(w["member"])["items.filed"] == "off"
    rows = db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == w["member"].id)
    ).all()
    assert len(rows) == 2


def test_the_header_badge_shows_the_unread_count_with_one_query(app, w):
    withhold(w)
    withhold(w)
    client = sign_in(app, "it-bureau-reviewer")
    engine = db.session.get_bind()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/notifications").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    counting = [s for s in statements if re.search(r"count\(notifications\.id\)", s, re.I)]
    assert len(counting) == 1
    assert re.search(
        r'class="inbox-link" aria-current="page">Notifications <span class="badge badge-count">2',
        page,
    )

    home = client.get("/").get_data(as_text=True)
    assert 'badge-count">2' in home
    anonymous = app.test_client().get("/").get_data(as_text=True)
    assert "inbox-link" not in anonymous


def test_notify_refuses_an_unknown_kind(app, w):
    with pytest.raises(ValueError, match="unknown notification kind"):
        ops.notify([w["member"]], "nope.nothing")


def test_reminder_dedup_holds_across_calls(app, w):
    for _ in range(2):
        ops.notify([w["member"], w["admin"]], "items.notice_ending", dedup="k:1:2026-01-01")
    db.session.commit()
    assert len(db.session.scalars(select(Notification)).all()) == 2
    audit.log("noop", "thing", 1)
    db.session.commit()


# --- disclosure requests, feedback, member evaluation, the calendar ----------------------------

FILING = {
    "content": "2026年党费收缴、使用和管理的明细",
    "purpose": "了解本支部党费使用情况",
    "contact_email": "applicant@example.org",
    "delivery": "electronic",
}


@pytest.fixture
def calendar(app):
    from core.workdays import operations as workdays

    workdays.seed_from_package([2026])
    db.session.commit()


def applicant_of(w):
    applicant = user("req-applicant")
    applicant.email, applicant.locale = "applicant@example.org", "en"
    db.session.commit()
    return applicant


def test_request_events_tell_the_handlers_the_applicant_and_the_superior(app, w, calendar):
    from core.disclosure_requests import operations as requests

    applicant = applicant_of(w)
    req = requests.file(w["unit"], FILING, applicant=applicant)
    db.session.commit()
    assert told("requests.submitted") == {"it-admin", "it-editor", "it-reviewer"}
    [note] = notes_of(w["editor"], "requests.submitted")
    assert note.link == f"/admin/o/it-unit/requests/{req.id}"
    assert "2026年党费收缴" in ops.render(note, "en")[0]

    requests.accept(req, actor=w["editor"])
    requests.extend(req, actor=w["editor"], reason="需调阅档案", days=5)
    db.session.commit()
    [extended] = notes_of(applicant, "requests.extended")
    assert extended.link == f"/o/it-unit/requests/{req.id}"
    assert extended.email == "immediate"
    title, body = ops.render(extended, "en")
    assert req.deadline.strftime("%B") in title and "需调阅档案" in body
    assert told("requests.extended") == {"req-applicant"}

    requests.decide(
        req, "declined", {"reason_code": "party_secret", "explanation": "涉及党的秘密"},
        actor=w["editor"],
    )  # fmt: skip
    db.session.commit()
    [decided] = notes_of(applicant, "requests.decided")
    assert ops.render(decided, "en")[0].endswith(": Declined")
    # filed with the superior (REQ-5): its reviewer, not the county, a sibling or elsewhere
    assert told("requests.filed") == {"it-bureau-reviewer"}
    [filed] = notes_of(w["bureau_reviewer"], "requests.filed")
    assert filed.link == "/admin/o/it-bureau/requests/filings"

    requests.escalate(req, user=applicant, grounds="党费使用不属于党的秘密")
    db.session.commit()
    assert told("requests.escalated") == {"it-bureau-reviewer"}
    everyone_told = {
        name
        for kind in ("submitted", "extended", "decided", "filed", "escalated")
        for name in told(f"requests.{kind}")
    }
    assert not everyone_told & {"it-sibling-admin", "it-other-reviewer", "it-other-admin"}


def test_request_deadline_reminders_approaching_and_passed(app, w, calendar):
    from core.disclosure_requests import operations as requests
    from core.workdays import operations as workdays

    req = requests.file(w["unit"], FILING, applicant=applicant_of(w))
    requests.accept(req, actor=w["editor"])
    db.session.commit()
    deadline = req.deadline
    today = workdays.today()
    assert workdays.working_days_between(today, deadline) > request_jobs.APPROACHING_WORKING_DAYS
    assert reminders.run("requests.deadlines", local(hour=10)) == 0

    day_before = local(days=(deadline - today).days - 1, hour=10)
    assert reminders.run("requests.deadlines", day_before) == 3
    assert reminders.run("requests.deadlines", day_before + timedelta(hours=3)) == 0  # once a day
    db.session.commit()
    assert told("requests.deadline_approaching") == {"it-admin", "it-editor", "it-reviewer"}
    [note] = notes_of(w["editor"], "requests.deadline_approaching")
    assert note.params["days"] == workdays.working_days_between(ops.local_day(day_before), deadline)

    passed = local(days=(deadline - today).days + 1, hour=10)
    assert reminders.run("requests.deadlines", passed) == 4
    assert reminders.run("requests.deadlines", passed + timedelta(hours=5)) == 0
    db.session.commit()
    assert told("requests.deadline_passed") == {
        "it-admin", "it-editor", "it-reviewer", "it-bureau-reviewer",
    }  # fmt: skip
    assert (
        reminders.run("requests.deadlines", passed + timedelta(days=7)) == 4
    )  # a week later, again


def test_feedback_received_assigned_and_overdue(app, w):
    from core.feedback import operations as feedback

    entry = feedback.submit_online(w["unit"], content="希望公开栏的内容及时更新。").entry
    feedback.submit_online(w["unit"], content="spam spam", honeypot="http://spam.example")
    db.session.commit()
    assert told("feedback.received") == {"it-admin", "it-editor"}
    assert len(notes_of(w["admin"], "feedback.received")) == 1  # never for spam
    [note] = notes_of(w["admin"], "feedback.received")
    assert note.link == f"/admin/o/it-unit/feedback/{entry.id}"
    assert "希望公开栏的内容及时更新" in ops.render(note, "en")[1]

    feedback.assign(entry, actor=w["admin"], handler=w["member"])
    db.session.commit()
    assert told("feedback.assigned") == {"it-member"}
    [assigned] = notes_of(w["member"], "feedback.assigned")
    assert assigned.email == "immediate"
    assert assigned.params["due_on"] == entry.due_on.isoformat()

    assert reminders.run("feedback.overdue", local(hour=10)) == 0
    late = local(days=(entry.due_on - ops.local_day()).days + 2, hour=10)
    assert reminders.run("feedback.overdue", late) == 2
    assert reminders.run("feedback.overdue", late + timedelta(days=1)) == 0  # weekly, not daily
    db.session.commit()
    assert told("feedback.overdue") == {"it-member", "it-admin"}


def test_evaluation_rounds_tell_the_people_on_the_roll(app, w):
    from core.evaluation import operations as evaluation

    bureau_admin = user("it-bureau-admin", ("admin", w["bureau"]))
    today = evaluation.today(w["bureau"])
    round_ = evaluation.create(
        w["bureau"],
        {
            "titles": {"zh_Hans_CN": "2026年度党员评议", "en": "Member evaluation 2026"},
            "opens_on": today,
            "closes_on": today + timedelta(days=10),
            "result_scope": "unit",
            "units": ["it-unit", "it-sibling"],
        },
        actor=bureau_admin,
    )
    evaluation.open_round(round_, actor=bureau_admin)
    db.session.commit()
    roll = {"it-admin", "it-editor", "it-reviewer", "it-member", "it-sibling-member",
            "it-sibling-admin"}  # fmt: skip
    assert told("evaluation.opened") == roll
    [note] = notes_of(w["member"], "evaluation.opened")
    assert note.link == f"/o/it-unit/evaluations/{round_.id}/rate"
    assert ops.render(note, "en")[0] == "Member evaluation open: Member evaluation 2026"
    [sibling_note] = notes_of(w["sibling_member"], "evaluation.opened")
    assert sibling_note.link == f"/o/it-sibling/evaluations/{round_.id}/rate"

    evaluation.close(round_)
    evaluation.publish(round_, actor=bureau_admin)
    db.session.commit()
    assert told("evaluation.published") == roll
    [published_note] = notes_of(w["member"], "evaluation.published")
    assert published_note.link == f"/o/it-bureau/evaluations/{round_.id}"


def test_a_missing_calendar_year_tells_the_platform_admins_once_a_day(app, w):
    from core import events

    admin = user("it-platform-admin")
    admin.is_platform_admin = True
    db.session.commit()
    events.workdays_year_missing.send(2031)
    events.workdays_year_missing.send(2031)
    db.session.commit()
    assert told("workdays.year_missing") == {"it-platform-admin"}
    [note] = notes_of(admin)
    assert note.link == "/admin/platform/calendar/"
    assert "2031" in ops.render(note, "en")[0]
    assert (
        "working-day calendar"
        in sign_in(app, "it-platform-admin")
        .get("/notifications/settings")
        .get_data(as_text=True)
        .lower()
    )


def test_with_redis_stopped_a_submission_is_stored_and_its_notification_is_sent_after_redis_returns(
    app, app_settings, make_org, tmp_path, fresh_jobs
):
    """Nothing submitted is lost: an anonymous visitor's feedback through the form while Redis
    is down is stored with its notification; the mail job waits in the outbox and goes through
    SMTP once Redis is back (the resend sweep, then a worker on the real Redis)."""
    from core.app import create_app
    from core.feedback.models import FeedbackEntry
    from core.notifications.debug_smtp import DebugSMTPServer
    from tests.services import RedisServer, free_port

    redis = RedisServer(tmp_path / "redis").start()
    mailbox = DebugSMTPServer(tmp_path / "smtp", port=free_port()).start()
    try:
        redis_app = create_app(**{**app_settings, "redis_url": redis.url})
        redis_app.config["GONGKAI_SMTP_URL"] = mailbox.url
        w = world(make_org)
        admin = w["admin"].id
        w["admin"].locale = "ug"
        choose(w["admin"], feedback__received="immediate")
        redis.stop()

        client = redis_app.test_client()
        response = client.post(
            "/o/it-unit/feedback",
            data={
                "content": "Redis 停止时提交的意见",
                "name": "",
                "contact": "",
                "item": "",
                "website": "",
                "csrf_token": csrf_token(client, "/o/it-unit/feedback"),
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)

        # stored, with its notifications; the mail job waits in the outbox
        db.session.rollback()
        [entry] = db.session.scalars(select(FeedbackEntry)).all()
        assert entry.content == "Redis 停止时提交的意见"
        [note] = notes_of(admin, "feedback.received")
        waiting = [e for e in jobs.pending() if e.func.endswith("mail.send_notification")]
        assert [(e.queue, e.args) for e in waiting] == [("mail", [note.id])]
        assert "ConnectionError" in waiting[0].last_error
        assert mailbox.messages() == []

        redis.start()  # same port
        assert jobs.resend_outbox(older_than=timedelta(0)) >= 1
        run_jobs()  # a worker on the real Redis
        [message] = mailbox.messages()
        assert recipients_of([message]) == ["it-admin@example.org"]
        assert message["Content-Language"] == "ug"
        assert "Redis 停止时提交的意见" in text_of(message)
        assert notes_of(admin, "feedback.received")[0].emailed_at is not None
        assert jobs.pending() == []
    finally:
        mailbox.stop()
        redis.stop()
