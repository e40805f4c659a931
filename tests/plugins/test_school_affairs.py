"""The school affairs plugin (校务公开 / 园务公开): catalogue section and channels (SCH-1), the
proactive deadline after a change (SCH-2), request deadline profiles (SCH-3), deliberation of major
matters (SCH-4), joint items and their signed sync with retries (SCH-5); each only for the
organisations that enable it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core import db, jobs
from core.catalogue import operations as cat
from core.disclosure_requests import operations as requests_ops
from core.errors import UserError
from core.items import operations as items
from core.items.models import Item
from core.params import operations as params
from core.plugins.testing import csrf_token
from core.workdays import operations as workdays
from core.workflow.engine import TransitionRefused
from plugins.school_affairs import operations as ops
from plugins.school_affairs.models import Deliberation, Delivery, OverdueFlag
from tenants.models import User
from tests.items_helpers import ENTRY, through_review, user
from tests.services import LoopbackHTTPServer

PASSWORD = "long-enough-pw"
FILING = {
    "content": "学校2026年收费项目和标准",
    "purpose": "了解收费情况",
    "contact_email": "applicant@example.org",
    "contact_phone": "13800000000",
    "delivery": "electronic",
}


def _approved_catalogue(org, admin, reviewer):
    draft = cat.start_draft(org, actor=admin)
    cat.transition(draft, "submit", actor=admin)
    cat.transition(draft, "approve", actor=reviewer)


@pytest.fixture(autouse=True)
def _english(english):
    """The plugin's refusals that the assertions quote read in English: made outside a page,
    they read in the plugin's own catalog too (issue 11), Chinese by default."""


@pytest.fixture
def app_settings(app_settings):
    """The receiving server of the tests runs on loopback: the operator's allow-list names it."""
    return {**app_settings, "outbound_allow": "127.0.0.1"}


@pytest.fixture
def w(make_org):
    county = make_org("sa-county", type_code="county_committee")
    bureau = make_org("sa-bureau", parent=county, type_code="party_committee")
    w = {
        "county": county,
        "bureau": bureau,
        "school": make_org("sa-school", parent=bureau, sector="school"),
        "agency": make_org("sa-agency", parent=bureau),
        "optout": make_org(
            "sa-optout",
            parent=bureau,
            sector="school",
            plugin_settings={"disabled": ["school_affairs"]},
        ),
    }
    w["county_admin"] = user("sa-county-admin", ("admin", county))
    w["bureau_reviewer"] = user("sa-bureau-reviewer", ("reviewer", bureau))
    w["admin"] = user("sa-admin", ("admin", w["school"]), ("admin", w["agency"]))
    w["editor"] = user("sa-editor", ("editor", w["school"]))
    w["reviewer"] = user("sa-reviewer", ("reviewer", w["school"]))
    w["applicant"] = user("sa-applicant")
    template = cat.start_draft(county, "template", actor=w["county_admin"])
    category = cat.add_category(template, key="org", titles={"zh_Hans_CN": "组织管理"})
    cat.add_entry(template, category, ENTRY, key="org.fees")
    cat.transition(template, "publish", actor=w["county_admin"])
    _approved_catalogue(w["school"], w["admin"], w["bureau_reviewer"])
    db.session.commit()
    return w


def school_plan(**overrides):
    now = datetime.now(UTC)
    data = {
        "titles": {"zh_Hans_CN": "2026年秋季学期收费项目和标准"},
        "bodies": {"zh_Hans_CN": "住宿费每学期 **600** 元。"},
        "entry_key": "school_affairs.fees",
        "scope": "public",
        "channels": ["school_affairs_website", "school_affairs_broadcast"],
        "planned_at": now - timedelta(minutes=1),
        "decision_date": workdays.today(),
        "extra": {"changed_on": workdays.today().isoformat()},
    }
    data.update(overrides)
    return data


def create(w, **overrides):
    item = items.create(w["school"], school_plan(**overrides), actor=w["editor"])
    db.session.commit()
    return item


def publish(w, item):
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    items.schedule_publication(item, actor=w["editor"])
    items.publish(item)
    db.session.commit()
    return item


def sign_in(app, username):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, username
    return client


# --- SCH-1: enablement, catalogue section and channels -----------------------------------------


@pytest.mark.rule("SCH-1")
def test_school_and_kindergarten_enable_the_plugin_by_default(app, w, make_org):
    plugins = app.extensions["gongkai.plugins"]
    kindergarten = make_org("sa-kg", parent=w["bureau"], sector="kindergarten")
    assert plugins.is_enabled(w["school"], "school_affairs")
    assert plugins.is_enabled(kindergarten, "school_affairs")
    assert not plugins.is_enabled(w["agency"], "school_affairs")
    assert not plugins.is_enabled(w["optout"], "school_affairs")


@pytest.mark.rule("SCH-1")
def test_school_catalogue_section_with_its_columns(app, w, make_org):
    [section] = [
        c for c in cat.categories(cat.effective_version(w["school"])) if c.key == "school_affairs"
    ]
    assert section.titles["zh_Hans_CN"] == "校务公开"
    entries = {e.key: e for e in cat.entries(cat.effective_version(w["school"]))}
    fees = entries["school_affairs.fees"]
    assert fees.scope == "public"  # audience: society
    assert fees.responsible == "财务室" and fees.due_days == 20
    assert "依据：《教育收费公示制度》" in fees.content["zh_Hans_CN"]
    assert "主动公开" in fees.content["zh_Hans_CN"]
    assert fees.item_type == "school_affairs.item"
    records = entries["school_affairs.records"]
    assert records.scope == "specific" and "依申请公开" in records.content["zh_Hans_CN"]
    kindergarten = make_org("sa-kg", parent=w["bureau"], sector="kindergarten")
    draft = cat.start_draft(kindergarten, actor=w["county_admin"])
    assert "园务公开" in [c.titles["zh_Hans_CN"] for c in cat.categories(draft)]
    for org in (w["agency"], w["optout"]):
        draft = cat.start_draft(org, actor=w["county_admin"])
        assert "school_affairs" not in [c.key for c in cat.categories(draft)]


@pytest.mark.rule("SCH-1")
def test_school_channels(app, w):
    labels = cat.channel_labels("zh_Hans_CN", w["school"])
    assert labels["school_affairs_broadcast"] == "校园广播"
    assert labels["school_affairs_website"] == "学校网站"
    assert labels["school_affairs_periodical"] == "校刊校报"
    assert "school_affairs_broadcast" not in cat.channel_labels("zh_Hans_CN", w["agency"])
    # a campus broadcast suits the public only (the refusal names it in words, not by its code)
    with pytest.raises(Exception) as refused:
        create(w, entry_key="school_affairs.appraisal", scope="specific",
               channels=["school_affairs_broadcast"])  # fmt: skip
    with force_locale("zh_Hans_CN"):
        assert "校园广播" in str(refused.value)


# --- SCH-3: request deadline profiles -----------------------------------------------------------


@pytest.mark.rule("SCH-3")
@pytest.mark.parametrize(("school_type", "days"), [("government", 20), ("higher_education", 15)])
def test_request_deadline_profile(app, w, school_type, days):
    # the county's own value applies to its units; the school type's profile overrides it
    params.set_value(w["county"], "request.decision_working_days", 10)
    ops.set_school_type(w["school"], school_type, actor=w["admin"])
    db.session.commit()
    req = requests_ops.file(w["school"], FILING, applicant=w["applicant"])
    assert req.decision_days == days
    assert req.deadline == workdays.add_working_days(req.received_on, days).due
    assert params.value(w["school"], "request.extension_working_days") == days
    other = requests_ops.file(w["agency"], FILING, applicant=w["applicant"])
    assert other.decision_days == 10  # the county's value, for an organisation without the plugin


@pytest.mark.rule("SCH-3")
def test_party_profile_returns_to_the_default(app, w):
    ops.set_school_type(w["school"], "government", actor=w["admin"])
    ops.set_school_type(w["school"], "party", actor=w["admin"])
    req = requests_ops.file(w["school"], FILING, applicant=w["applicant"])
    assert req.decision_days == 15
    assert params.resolve(w["school"], "request.decision_working_days").is_default


@pytest.mark.rule("SCH-3")
def test_school_type_from_the_console(app, w):
    client = sign_in(app, "sa-admin")
    page = "/admin/o/sa-school/school_affairs/"
    token = csrf_token(client, page)
    response = client.post(
        page + "school-type", data={"school_type": "government", "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert params.value(w["school"], "request.decision_working_days") == 20
    assert client.get("/admin/o/sa-agency/school_affairs/").status_code == 404
    assert client.get("/admin/o/sa-optout/school_affairs/").status_code == 404  # disabled
    editor = sign_in(app, "sa-editor")
    token = csrf_token(editor, page)
    response = editor.post(
        page + "school-type", data={"school_type": "government", "csrf_token": token}
    )
    assert response.status_code == 403


# --- SCH-2: proactive disclosure within working days of a change --------------------------------


@pytest.mark.rule("SCH-2")
def test_item_planned_after_the_deadline_is_refused(app, w):
    changed = workdays.today() - timedelta(days=60)
    with pytest.raises(Exception, match="working days of its change") as caught:
        create(w, extra={"changed_on": changed.isoformat()})
    assert any(p.startswith("planned_at:") for p in caught.value.problems)
    params.set_value(w["school"], "school_affairs.proactive_days", 60)
    item = create(w, extra={"changed_on": changed.isoformat()})
    assert ops.item_due_on(item) == workdays.add_working_days(changed, 60).due


@pytest.mark.rule("SCH-2")
def test_planning_on_the_due_day_is_accepted_and_the_day_after_refused(app, w):
    """Changed on Monday 2026-09-28: 20 working days (two, the National Day holiday 10-01 to
    10-07, Saturday 10-10 worked, ...) end on Friday 2026-10-30, a day in Beijing."""
    beijing = ZoneInfo("Asia/Shanghai")
    extra = {"changed_on": "2026-09-28"}
    last_moment = datetime(2026, 10, 30, 23, 59, tzinfo=beijing)
    item = create(w, extra=extra, planned_at=last_moment)
    assert ops.item_due_on(item) == date(2026, 10, 30)
    with pytest.raises(UserError, match="working days of its change") as refused:
        create(w, extra=extra, planned_at=datetime(2026, 10, 31, 0, 0, tzinfo=beijing))
    assert any("by 2026-10-30" in p for p in refused.value.problems)
    # moving the planned time of the accepted item past the due day is refused too
    with pytest.raises(UserError, match="working days of its change"):
        items.update(item, {"planned_at": last_moment + timedelta(minutes=1)}, actor=w["editor"])
    # one working day more in the parameter moves the due day past the weekend
    params.set_value(w["school"], "school_affairs.proactive_days", 21)
    later = create(w, extra=extra, planned_at=datetime(2026, 11, 2, 9, 0, tzinfo=beijing))
    assert ops.item_due_on(later) == date(2026, 11, 2)


@pytest.mark.rule("SCH-2")
def test_an_unpublished_item_is_flagged_the_day_after_its_due_day(app, w, monkeypatch):
    item = create(
        w,
        extra={"changed_on": "2026-09-28"},  # due on 2026-10-30, as above
        planned_at=datetime(2026, 10, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    monkeypatch.setattr(ops, "workday_today", lambda: date(2026, 10, 30))
    assert ops.flag_overdue(w["school"]) == 0
    monkeypatch.setattr(ops, "workday_today", lambda: date(2026, 10, 31))
    assert ops.flag_overdue(w["school"]) == 1
    assert ops.overdue_items(w["school"]) == {item.id: date(2026, 10, 30)}


@pytest.mark.rule("SCH-2")
def test_change_date_is_required(app, w):
    with pytest.raises(Exception, match="changed_on"):
        create(w, extra={})


@pytest.mark.rule("SCH-2")
def test_periodic_job_flags_overdue_items(app, w):
    changed = workdays.today() - timedelta(days=45)
    late = create(
        w,
        extra={"changed_on": changed.isoformat()},
        planned_at=datetime.combine(changed + timedelta(days=1), datetime.min.time(), UTC),
    )
    fresh = create(w)
    jobs.reset_embedded()
    assert jobs.run_sweep("plugin:school_affairs:overdue") == 1  # sa-school only enables it
    jobs.work_burst()
    flags = db.session.scalars(select(OverdueFlag)).all()
    assert [(f.item_id, f.due_on) for f in flags] == [(late.id, ops.item_due_on(late))]
    assert fresh.id not in {f.item_id for f in flags}
    jobs.run_sweep("plugin:school_affairs:overdue")
    jobs.work_burst()
    assert len(db.session.scalars(select(OverdueFlag)).all()) == 1  # flagged once
    client = sign_in(app, "sa-editor")
    html = client.get("/admin/o/sa-school/school_affairs/").get_data(as_text=True)
    assert html.count("school-affairs-overdue") == 1


# --- SCH-4: deliberation of major matters -------------------------------------------------------


@pytest.mark.rule("SCH-4")
def test_major_matter_needs_a_deliberation_before_approval(app, w):
    item = create(w, extra={"changed_on": workdays.today().isoformat(), "major": True})
    item_id = item.id
    through_review(w, item)
    db.session.commit()
    with pytest.raises(TransitionRefused, match="deliberated it"):
        items.approve(item, actor=w["admin"])
    db.session.rollback()
    client = sign_in(app, "sa-editor")
    page = f"/admin/o/sa-school/school_affairs/items/{item_id}"
    token = csrf_token(client, page)
    bad = client.post(
        page, data={"body": "committee", "held_on": "", "minutes_ref": "", "csrf_token": token}
    )
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)  # in the page's language (issue 11)
    assert "审议情况未登记。" in text and "需要填写日期" in text and "需要填写会议记录编号" in text
    assert db.session.scalars(select(Deliberation)).all() == []
    response = client.post(
        page,
        data={
            "body": "staff_congress",
            "held_on": workdays.today().isoformat(),
            "minutes_ref": "教代会〔2026〕3号纪要",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert "教代会〔2026〕3号纪要" in client.get(page).get_data(as_text=True)
    db.session.expire_all()
    item = db.session.get(Item, item_id)
    assert item.state == "reviewed"
    [deliberation] = db.session.scalars(select(Deliberation)).all()
    assert deliberation.body == "staff_congress"
    admin = db.session.scalar(select(User).where(User.username == "sa-admin"))
    items.approve(item, actor=admin)
    assert item.state == "approved"


@pytest.mark.rule("SCH-4")
def test_ordinary_item_needs_no_deliberation(app, w):
    item = create(w)
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    assert item.state == "approved"


# --- SCH-5: joint items and the signed sync -----------------------------------------------------


class Receiver(LoopbackHTTPServer):
    """A small school affairs system: answers with the next code of ``codes`` (then 200)."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.received: list[tuple[bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((body, self.headers.get("X-Gongkai-Signature", "")))
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        super().__init__(Handler)
        self.url = f"{self.base}/hook"


def _run_next_attempt(delivery):
    """The queued retry's time has come: run it as the worker would."""
    delivery_id, org_id = delivery.id, delivery.org_id
    db.session.commit()
    jobs.run_job("plugins.school_affairs.operations.attempt_delivery", [delivery_id], {}, org_id)
    db.session.commit()  # a new transaction sees what the job wrote
    db.session.expire_all()


@pytest.mark.rule("SCH-5")
def test_joint_item_is_delivered_signed_with_retries(app, w):
    with Receiver([500, 503]) as receiver:
        settings = ops.configure_sync(w["school"], receiver.url, actor=w["admin"])
        secret = settings.sync_secret
        db.session.commit()
        item = create(w, extra={"changed_on": workdays.today().isoformat(), "joint": True})
        ordinary = create(w)
        jobs.reset_embedded()
        publish(w, item)
        publish(w, ordinary)
        jobs.work_burst()
        db.session.expire_all()
        [delivery] = db.session.scalars(select(Delivery)).all()  # the joint item only
        assert delivery.item_id == item.id
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 1, 500)
        assert delivery.last_error == "HTTP 500"
        assert delivery.next_attempt_at - delivery.updated_at == timedelta(minutes=1)
        _run_next_attempt(delivery)
        delivery = db.session.get(Delivery, delivery.id)
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 2, 503)
        assert delivery.next_attempt_at - delivery.updated_at == timedelta(minutes=5)
        _run_next_attempt(delivery)
        delivery = db.session.get(Delivery, delivery.id)
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
        assert delivery.last_error is None and delivery.next_attempt_at is None
        assert len(receiver.received) == 3
        for body, signature in receiver.received:
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(signature, expected)
            assert json.loads(body)["item"]["id"] == item.id
        _run_next_attempt(delivery)  # a stray retry sends nothing more
        assert len(receiver.received) == 3
        client = sign_in(app, "sa-editor")
        html = client.get("/admin/o/sa-school/school_affairs/").get_data(as_text=True)
        assert "delivered" in html and "school-affairs-joint" in html
        assert "党务校务共同公开" in html and "推送记录" in html  # the plugin's own domain
        html = client.get("/admin/o/sa-school/school_affairs/?lang=ug").get_data(as_text=True)
        assert "يوللاش خاتىرىسى" in html  # Delivery log, in Uyghur
        html = client.get("/admin/o/sa-school/school_affairs/?lang=en").get_data(as_text=True)
        assert "Delivery log" in html


@pytest.mark.rule("SCH-5")
def test_delivery_gives_up_after_max_attempts_and_replays(app, w):
    with Receiver([500] * ops.MAX_ATTEMPTS) as receiver:
        ops.configure_sync(w["school"], receiver.url, actor=w["admin"])
        db.session.commit()
        item = create(w, extra={"changed_on": workdays.today().isoformat(), "joint": True})
        jobs.reset_embedded()
        publish(w, item)
        jobs.work_burst()
        db.session.expire_all()
        [delivery] = db.session.scalars(select(Delivery)).all()
        for _ in range(ops.MAX_ATTEMPTS - 1):
            _run_next_attempt(delivery)
        delivery = db.session.get(Delivery, delivery.id)
        assert (delivery.status, delivery.attempts) == ("failed", ops.MAX_ATTEMPTS)
        assert len(receiver.received) == ops.MAX_ATTEMPTS
        client = sign_in(app, "sa-admin")
        page = "/admin/o/sa-school/school_affairs/"
        token = csrf_token(client, page)
        response = client.post(f"{page}deliveries/{delivery.id}/replay", data={"csrf_token": token})
        assert response.status_code == 302
        jobs.work_burst()
        db.session.expire_all()
        delivery = db.session.get(Delivery, delivery.id)
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
        assert (
            client.post(
                f"/admin/o/sa-agency/school_affairs/deliveries/{delivery.id}/replay",
                data={"csrf_token": token},
            ).status_code
            == 404
        )


@pytest.mark.rule("SCH-5")
def test_no_delivery_without_a_configured_system(app, w):
    item = create(w, extra={"changed_on": workdays.today().isoformat(), "joint": True})
    jobs.reset_embedded()
    publish(w, item)
    assert db.session.scalars(select(Delivery)).all() == []


# --- demo ---------------------------------------------------------------------------------------


def test_demo_load_is_idempotent(app, w, make_org):
    from plugins.school_affairs import demo

    kg3 = make_org("kashgar-kg3", parent=w["bureau"], sector="kindergarten")
    tts = make_org("hengdong-tts", parent=w["bureau"], sector="school")
    admin = user("sa-demo-admin", ("admin", kg3), ("admin", tts))
    for org in (kg3, tts):
        _approved_catalogue(org, admin, w["bureau_reviewer"])
    db.session.commit()
    assert demo.load() == "school affairs: 2 schools with new items, 0 kept"
    db.session.commit()
    count = len(ops.school_items(tts))
    assert count == 2 and len(ops.school_items(kg3)) == 2
    assert demo.load() == "school affairs: 0 schools with new items, 2 kept"
    assert len(ops.school_items(tts)) == count
    assert params.value(tts, "request.decision_working_days") == 20  # government-linked
    assert params.value(kg3, "request.decision_working_days") == 15
    joint = [i for i in ops.school_items(kg3) if i.extra.get("joint")]
    assert len(joint) == 1 and "school_affairs_broadcast" in joint[0].channels


def test_a_plugin_refusal_reads_in_chinese_outside_a_request(app, w):
    """Issue 11: a plugin's refusal made in a command or a job — no page, no organisation that
    puts the plugin's domain first — reads in the operator's (the job's) language, from the
    plugin's own catalog."""
    import click
    from flask import g

    from core.cliutil import operation

    with pytest.raises(UserError) as refused:
        ops.set_school_type(w["school"], "circus")
    g.org = None  # a command, or a job without an organisation
    with force_locale("zh_Hans_CN"):
        assert str(refused.value.message) == "未知的学校类型“circus”。"
    with force_locale("ug"):
        assert str(refused.value.message) == "نامەلۇم مەكتەپ تۈرى «circus»."
    g.org = w["agency"]  # a job of an organisation that does not enable the plugin
    with force_locale("zh_Hans_CN"):
        assert str(refused.value.message) == "未知的学校类型“circus”。"
    with force_locale("en"):
        assert str(refused.value.message) == "Unknown school type “circus”."

    @click.command("school-type")
    @click.argument("code")
    @operation
    def school_type(code):
        from tenants.operations import get_org

        ops.set_school_type(get_org(code), "circus")

    result = app.test_cli_runner().invoke(
        school_type, ["sa-school"], env={"GONGKAI_CLI_LOCALE": "zh_Hans_CN"}
    )
    assert result.exit_code == 2
    assert result.stderr == "错误：未知的学校类型“circus”。\n  - school_type: 未知类型\n"
