"""Rollout campaigns (RPT-2): a superior runs a campaign over its subtree in stages with deadlines
and checklists; each unit marks its progress with evidence; the superior sees the progress per
unit and stage and reminds the units behind."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import select

from core import db
from core.campaigns import operations as ops
from core.campaigns import reading
from core.campaigns.models import Campaign, CampaignEvidence
from core.errors import UserError
from core.notifications import reminders
from core.notifications.models import Notification
from core.storage import storage
from core.workflow.engine import TransitionRefused
from tenants.models import User
from tests.items_helpers import sign_in, user

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def english(app):
    """Refusals read in English (the messages the assertions quote); pages in their own."""
    with force_locale("en"):
        yield


@pytest.fixture
def w(make_org):
    county = make_org("cp-county", type_code="county_committee")
    bureau = make_org("cp-bureau", parent=county, type_code="party_committee")
    a = make_org("cp-a", parent=bureau)
    b = make_org("cp-b", parent=bureau)
    outside = make_org("cp-outside", parent=county)
    w = {"county": county, "bureau": bureau, "a": a, "b": b, "outside": outside}
    w["admin"] = user("cp-bureau-admin", ("admin", bureau))
    w["bureau_reviewer"] = user("cp-bureau-reviewer", ("reviewer", bureau))
    w["a_admin"] = user("cp-a-admin", ("admin", a))
    w["a_editor"] = user("cp-a-editor", ("editor", a))
    w["a_member"] = user("cp-a-member", ("member", a))
    w["b_admin"] = user("cp-b-admin", ("admin", b))
    w["outside_admin"] = user("cp-outside-admin", ("admin", outside))
    db.session.commit()
    return w


def data(w, **overrides) -> dict:
    start = date.today()
    found = {
        "titles": {"zh_Hans_CN": "全面推行党务公开", "en": "Rolling out disclosure"},
        "stages": ops.default_stages(start),
        "units": ["cp-a", "cp-b"],
    }
    found.update(overrides)
    return found


def running(w, **overrides):
    campaign = ops.create(w["bureau"], data(w, **overrides), actor=w["admin"])
    ops.start(campaign, actor=w["admin"])
    db.session.commit()
    return campaign


def photo(*, exif_date: str | None = "2026:05:03 10:11:12", fmt="JPEG") -> bytes:
    image = Image.new("RGB", (64, 48), (180, 20, 20))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (39.0, 28.0, 12.5), 3: "E", 4: (75.0, 59.0, 1.0)}
    if exif_date:
        exif.get_ifd(0x8769)[0x9003] = exif_date
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.rule("RPT-2")
def test_a_superior_runs_a_campaign_in_stages_and_sees_each_unit_s_progress(w):
    campaign = ops.create(
        w["bureau"], data(w, stages=ops.default_stages(date(2026, 1, 1))), actor=w["admin"]
    )
    stages = reading.stages(campaign)
    assert [s.title("zh_Hans_CN") for s in stages] == [
        "宣传发动阶段",
        "组织实施阶段",
        "检查验收阶段",
    ]
    assert [len(s.item_keys()) for s in stages] == [3, 3, 2]
    ops.start(campaign, actor=w["admin"])
    db.session.commit()
    first = stages[0]
    for key in first.item_keys():
        ops.check(campaign, first, w["a"], key, actor=w["a_editor"], note="已召开动员会")
    ops.check(campaign, first, w["b"], first.item_keys()[0], actor=w["b_admin"], note="已部署")
    db.session.commit()
    cells = reading.progress(campaign)
    a, b = cells[(w["a"].id, first.id)], cells[(w["b"].id, first.id)]
    assert (a.done, a.total, a.complete) == (3, 3, True)
    assert (b.done, b.complete) == (1, False)
    # late: not complete after its deadline (on the deadline itself: not yet)
    assert not b.late(first.deadline) and b.late(first.deadline + timedelta(days=1))
    assert not a.late(first.deadline + timedelta(days=30))
    assert [u.code for u in reading.laggards(campaign, first)] == ["cp-b"]
    assert cells[(w["a"].id, stages[1].id)].done == 0


@pytest.mark.rule("RPT-2")
def test_a_campaign_starts_with_stages_deadlines_and_units_only(w):
    with pytest.raises(UserError) as refused:
        ops.create(
            w["bureau"],
            data(w, stages=[{"titles": {"zh_Hans_CN": "动员"}, "deadline": None, "checklist": []}]),
            actor=w["admin"],
        )
    text = " ".join(refused.value.problems)
    assert "stages-0-deadline" in text and "stages-0-checklist" in text
    late_first = ops.default_stages(date(2026, 1, 1))
    late_first[1]["deadline"] = late_first[0]["deadline"] - timedelta(days=1)
    with pytest.raises(UserError, match="not saved"):
        ops.create(w["bureau"], data(w, stages=late_first), actor=w["admin"])
    with pytest.raises(UserError):
        ops.create(w["bureau"], data(w, units=["cp-outside"]), actor=w["admin"])  # not below it
    with pytest.raises(UserError):
        ops.create(w["bureau"], data(w), actor=w["a_admin"])  # not the superior's admin
    campaign = ops.create(w["bureau"], data(w), actor=w["admin"])
    with pytest.raises(TransitionRefused):
        ops.start(campaign, actor=w["bureau_reviewer"])


def test_progress_is_marked_with_evidence_by_the_unit_s_own_staff(w):
    campaign = running(w)
    stage = reading.stages(campaign)[0]
    key = stage.item_keys()[0]
    with pytest.raises(UserError) as refused:
        ops.check(campaign, stage, w["a"], key, actor=w["a_admin"])
    assert "evidence" in " ".join(refused.value.problems)
    for actor, unit in (
        (w["a_member"], w["a"]),
        (w["b_admin"], w["a"]),
        (w["admin"], w["a"]),
        (w["outside_admin"], w["outside"]),
    ):
        with pytest.raises(UserError):
            ops.check(campaign, stage, unit, key, actor=actor, note="做了")
    with pytest.raises(UserError, match="no such"):
        ops.check(campaign, stage, w["a"], "nope", actor=w["a_admin"], note="做了")
    ops.check(campaign, stage, w["a"], key, actor=w["a_admin"], files=[("board.jpg", photo())])
    db.session.commit()
    (row,) = db.session.scalars(select(CampaignEvidence)).all()
    assert row.taken_on == date(2026, 5, 3) and row.content_type == "image/jpeg"
    stored = Image.open(io.BytesIO(storage().open(row.storage_key)))
    assert not dict(stored.getexif())  # no GPS, no camera: the upload's metadata is gone
    ops.uncheck(campaign, stage, w["a"], key, actor=w["a_editor"])
    db.session.commit()
    assert reading.progress(campaign)[(w["a"].id, stage.id)].done == 0
    assert db.session.scalars(select(CampaignEvidence)).all() == []


def test_evidence_is_checked_by_its_content_and_a_photo_needs_its_day(w):
    campaign = running(w)
    stage = reading.stages(campaign)[0]
    key = stage.item_keys()[0]

    def refused(files, **kw) -> str:
        with pytest.raises(UserError) as caught:
            ops.check(campaign, stage, w["a"], key, actor=w["a_admin"], files=files, **kw)
        return " ".join(caught.value.problems)

    assert "JPEG, PNG" in refused([("photo.jpg", b"<html>not a picture</html>")])
    assert "day the photo" in refused([("photo.jpg", photo(exif_date=None))])
    future = date.today() + timedelta(days=2)
    assert "future" in refused([("photo.jpg", photo(exif_date=None))], taken_on=future)
    # a PNG named .jpg is a PNG; a photo without a date takes the day given
    ops.check(
        campaign,
        stage,
        w["a"],
        key,
        actor=w["a_admin"],
        taken_on=date(2026, 4, 1),
        files=[
            ("photo.jpg", photo(exif_date=None, fmt="PNG")),
            ("plan.pdf", b"%PDF-1.4\n% plan\n%%EOF\n"),
        ],
    )
    rows = db.session.scalars(select(CampaignEvidence).order_by(CampaignEvidence.id)).all()
    assert [(r.filename, r.content_type) for r in rows] == [
        ("photo.png", "image/png"),
        ("plan.pdf", "application/pdf"),
    ]
    assert rows[0].taken_on == date(2026, 4, 1) and rows[1].taken_on == date(2026, 4, 1)


def notified(kind: str) -> list[str]:
    rows = db.session.scalars(select(Notification.user_id).where(Notification.kind == kind))
    return sorted(db.session.get(User, uid).username for uid in rows)


@pytest.mark.rule("RPT-2")
def test_the_superior_reminds_the_units_behind_and_only_them(w):
    campaign = running(w)
    assert notified("campaigns.started") == ["cp-a-admin", "cp-a-editor", "cp-b-admin"]
    stage = reading.stages(campaign)[0]
    for key in stage.item_keys():
        ops.check(campaign, stage, w["a"], key, actor=w["a_admin"], note="完成")
    units = ops.remind(campaign, stage, actor=w["admin"])
    ops.remind(campaign, stage, actor=w["admin"])  # twice the same day: told once
    db.session.commit()
    assert [u.code for u in units] == ["cp-b"]
    assert notified("campaigns.reminder") == ["cp-b-admin"]
    with pytest.raises(UserError):
        ops.remind(campaign, stage, actor=w["a_admin"])


def test_the_reminder_sweep_tells_the_units_behind_before_and_after_a_deadline(w):
    campaign = running(w, stages=ops.default_stages(date(2026, 5, 1)))
    stage = reading.stages(campaign)[0]  # due 2026-05-31

    def sweep(day: date) -> int:
        return reminders.run("campaigns.stages", datetime.combine(day, time(9), tzinfo=ZONE))

    assert sweep(date(2026, 5, 27)) == 0  # four days before
    assert sweep(date(2026, 5, 28)) == 2  # three days before: both units
    assert sweep(date(2026, 6, 2)) == 0  # the second day after: not a reminder day
    assert sweep(date(2026, 6, 8)) == 2  # a week after the first day overdue
    assert stage.deadline == date(2026, 5, 31)


# --- pages -------------------------------------------------------------------------------------


def test_the_campaign_pages_for_the_superior_and_the_unit(app, w):
    campaign = running(w)
    stage = reading.stages(campaign)[0]
    superior = sign_in(app, "cp-bureau-admin")
    page = superior.get(f"/admin/o/cp-bureau/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-unit="cp-a"' in page and "0/3" in page
    unit = sign_in(app, "cp-a-editor")
    listing = unit.get("/admin/o/cp-a/campaigns").get_data(as_text=True)
    assert f"/admin/o/cp-a/campaigns/{campaign.id}" in listing
    html = unit.get(f"/admin/o/cp-a/campaigns/{campaign.id}").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    empty = unit.post(
        f"/admin/o/cp-a/campaigns/{campaign.id}/stages/{stage.id}/check",
        data={"item": stage.item_keys()[0], "csrf_token": token},
    )
    assert empty.status_code == 400 and "evidence" in empty.get_data(as_text=True)
    done = unit.post(
        f"/admin/o/cp-a/campaigns/{campaign.id}/stages/{stage.id}/check",
        data={
            "item": stage.item_keys()[0],
            "csrf_token": token,
            "note": "已召开",
            "files": (io.BytesIO(photo()), "board.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    (row,) = db.session.scalars(select(CampaignEvidence)).all()
    served = unit.get(f"/admin/o/cp-a/campaigns/{campaign.id}/evidence/{row.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        superior.get(f"/admin/o/cp-bureau/campaigns/{campaign.id}/evidence/{row.id}").status_code
        == 200
    )
    other = sign_in(app, "cp-b-admin")
    assert other.get(f"/admin/o/cp-b/campaigns/{campaign.id}/evidence/{row.id}").status_code == 404
    assert other.get(f"/admin/o/cp-a/campaigns/{campaign.id}").status_code == 403
    member = sign_in(app, "cp-a-member")
    assert member.get("/admin/o/cp-a/campaigns").status_code == 403
    outside = sign_in(app, "cp-outside-admin")
    assert outside.get(f"/admin/o/cp-outside/campaigns/{campaign.id}").status_code == 404


def test_a_draft_is_changed_or_removed_a_running_campaign_keeps_its_terms(app, w):
    campaign = ops.create(w["bureau"], data(w), actor=w["admin"])
    db.session.commit()
    client = sign_in(app, "cp-bureau-admin")
    form = client.get(f"/admin/o/cp-bureau/campaigns/{campaign.id}/edit")
    assert form.status_code == 200 and "宣传发动阶段" in form.get_data(as_text=True)
    campaign = db.session.get(Campaign, campaign.id)
    w = {k: db.session.merge(v) for k, v in w.items()}
    assert ops.update(campaign, data(w, titles={"zh_Hans_CN": "新标题"}), actor=w["admin"])
    ops.start(campaign, actor=w["admin"])
    with pytest.raises(UserError, match="draft"):
        ops.update(campaign, data(w), actor=w["admin"])
    with pytest.raises(UserError, match="draft"):
        ops.delete_draft(campaign, actor=w["admin"])
    new = client.get("/admin/o/cp-bureau/campaigns/new")
    assert new.status_code == 200 and "检查验收阶段" in new.get_data(as_text=True)
