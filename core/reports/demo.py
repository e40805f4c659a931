"""The demo of the supervising side (RPT-1, RPT-2, SUP-3): half-year reports, a campaign and
assessments, for the units below two superiors of the source plans.

Loaded by ``gongkai demo load`` after the demo counties, catalogues, items, requests, feedback
and evaluation, through the real operations (everything audited, people told):

* **half-year reports** of the last period that ended, for every unit below each superior:
  most submitted on time, one accepted, one returned with a comment, some never submitted
  (missing once the due date has passed);
* a **campaign** of each superior over its units, started six weeks ago in three stages, with
  the first stage's checklist done by some units and not by others;
* an **assessment scheme** of each superior for this year (a metric, the five haves with a
  photo as evidence, a score by hand): units that assessed themselves, units scored, one
  returned; last year's scheme of the first superior, published; a model unit and a contact
  point designated.

Running it again changes nothing: a superior that already has reports (campaigns, schemes) is
left as it is.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from core import db, localtime
from core.assessments import operations as assessments
from core.assessments.models import AssessmentScheme
from core.campaigns import operations as campaigns
from core.campaigns import reading as campaign_reading
from core.campaigns.models import Campaign
from core.errors import UserError
from core.items.demo import simulated_clock
from core.reports import operations as reports
from core.reports import periods
from core.reports.models import HalfYearReport
from tenants import hierarchy
from tenants import operations as tenants

SUPERIORS = ("hongjiang-agri", "kashgar-edu")
NARRATIVE = {
    "practices": "坚持每月更新党务公开栏，重要事项在主题党日上集中通报；"
    "建立公开事项台账，做到逐项登记、按时公开。",
    "problems": "个别事项公开不够及时，公开内容的解读还不够深入。",
    "suggestions": "建议上级加强业务培训，统一公开栏样式和公开目录模板。",
}


def _user(username: str):
    user = tenants.get_user(username)
    if user is None:
        raise UserError(f"The demo account {username} is missing: load the demo counties first.")
    return user


def _units(org) -> list:
    return [u for u in hierarchy.subtree(org, include_self=False) if u.enabled]


def photo(day: date) -> bytes:
    """A picture of "the notice board" (a drawn placeholder) dated ``day`` in its EXIF."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 420), (178, 34, 34))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 380), fill=(250, 245, 235), outline=(120, 20, 20), width=8)
    for n in range(6):
        draw.rectangle((80, 80 + n * 48, 560, 104 + n * 48), fill=(210, 200, 190))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = day.strftime("%Y:%m:%d 10:00:00")
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _at(clock, org, day: date, hour: int) -> None:
    clock.moment = datetime.combine(day, time(hour), tzinfo=localtime.zone(org)).astimezone(UTC)


def load_reports(org, clock, today: date) -> int:
    units = _units(org)
    if db.session.scalar(
        select(func.count(HalfYearReport.id)).where(
            HalfYearReport.org_id.in_([u.id for u in units])
        )
    ):
        return 0
    reviewer = _user(f"{org.code}-reviewer")
    made = 0
    for n, unit in enumerate(units):
        period = periods.last_ended(unit, today)
        _at(clock, unit, period.ends_on + timedelta(days=1), 8)
        report = reports.prepare(unit, period)
        made += 1
        if n % 4 == 3:
            continue  # never submitted: missing once due
        admin = _user(f"{unit.code}-admin")
        _at(clock, unit, period.ends_on + timedelta(days=3 + n % 5), 15)
        reports.update_narrative(report, NARRATIVE, actor=admin)
        reports.submit(report, actor=admin)
        if n % 4 == 0:
            _at(clock, unit, period.ends_on + timedelta(days=9), 10)
            reports.accept(report, actor=reviewer)
        elif n % 4 == 2 and n < 4:
            _at(clock, unit, period.ends_on + timedelta(days=9), 11)
            reports.return_report(
                report, actor=reviewer, comment="请补充意见建议办理情况和整改措施。"
            )
    clock.moment = None
    return made


def load_campaign(org, today: date) -> int:
    if db.session.scalar(select(func.count(Campaign.id)).where(Campaign.org_id == org.id)):
        return 0
    admin = _user(f"{org.code}-admin")
    units = _units(org)
    start = today - timedelta(days=42)
    campaign = campaigns.create(
        org,
        {
            "titles": {"zh_Hans_CN": "全面推行党务公开工作", "en": "Rolling out disclosure"},
            "notes": {"zh_Hans_CN": "按照宣传发动、组织实施、检查验收三个阶段推进。"},
            "stages": campaigns.default_stages(start),
            "all_units": True,
        },
        actor=admin,
    )
    campaigns.start(campaign, actor=admin)
    first = campaign_reading.stages(campaign)[0]
    for n, unit in enumerate(units):
        keys = first.item_keys()
        done = keys if n % 3 == 0 else keys[:1] if n % 3 == 1 else []
        for key in done:
            campaigns.check(campaign, first, unit, key, actor=_user(f"{unit.code}-admin"),
                            note="已按要求完成，会议记录存档备查。")  # fmt: skip
    return 1


def load_assessments(org, today: date) -> int:
    if db.session.scalar(
        select(func.count(AssessmentScheme.id)).where(AssessmentScheme.org_id == org.id)
    ):
        return 0
    admin = _user(f"{org.code}-admin")
    reviewer = _user(f"{org.code}-reviewer")
    units = _units(org)
    criteria = [
        {"key": "timeliness", "labels": {"zh_Hans_CN": "公开及时率", "en": "Timeliness"},
         "weight": 30, "method": "metric", "metric": "timeliness"},
        {"key": "haves", "labels": {"zh_Hans_CN": "“五有”阵地建设", "en": "Five haves"},
         "weight": 30, "method": "checklist", "standard": "five_haves"},
        {"key": "work", "labels": {"zh_Hans_CN": "工作落实情况", "en": "Work done"},
         "weight": 40, "method": "manual"},
    ]  # fmt: skip

    def scheme(year: int, due: date, scope: str):
        made = assessments.create(
            org,
            {"year": year, "self_due_on": due, "result_scope": scope, "criteria": criteria,
             "titles": {"zh_Hans_CN": f"{year}年度党务公开工作考核",
                        "en": f"Assessment of the disclosure work, {year}"}},
            actor=admin,
        )  # fmt: skip
        assessments.open_scheme(made, actor=admin)
        return made

    def assess(found, unit, n: int, *, score: bool):
        sheet = assessments.sheet_of(found, unit)
        rows = {c.key: c for c in assessments.criteria(found)}
        staff = _user(f"{unit.code}-admin")
        picture = photo(today - timedelta(days=20))
        for key in ("board", "team", "cabinet")[: 1 + n % 3]:
            assessments.add_evidence(sheet, rows["haves"].id, key, actor=staff,
                                     files=[(f"{key}.jpg", picture)])  # fmt: skip
        assessments.self_assess(
            sheet,
            {"summary": "全年按目录公开，公开栏每月更新，意见建议按期答复。",
             "scores": {rows["work"].id: {"score": 36 - n % 5, "note": "按计划完成"}}},
            actor=staff,
        )  # fmt: skip
        assessments.submit(sheet, actor=staff)
        if score:
            scores = {rows["work"].id: {"score": 34 - n % 6},
                      rows["timeliness"].id: {"score": 24 + n % 5}}  # fmt: skip
            confirmed = {rows["haves"].id: ["board", "team", "cabinet"][: 1 + n % 3]}
            data = {"scores": scores, "confirmed": confirmed, "comment": "工作扎实，继续保持。"}
            assessments.score(sheet, data, actor=reviewer)
        return sheet

    current = scheme(today.year, today + timedelta(days=15), "unit")
    for n, unit in enumerate(units):
        if n % 3 == 2:
            continue  # not assessed itself yet
        sheet = assess(current, unit, n, score=n % 3 == 0)
        if n == 1:
            assessments.return_sheet(sheet, actor=reviewer, comment="请补充“五有”佐证照片。")
    if org.code == SUPERIORS[0]:
        last = scheme(today.year - 1, date(today.year - 1, 12, 20), "public")
        for n, unit in enumerate(units):
            assess(last, unit, n, score=True)
        assessments.publish(last, actor=admin)
        assessments.designate(org, units[0], "model_unit", standard="eight_haves",
                              note="全县党务公开示范点", actor=admin)  # fmt: skip
        if len(units) > 1:
            assessments.designate(org, units[1], "contact_point", actor=admin,
                                  note="县委组织部联系点")  # fmt: skip
    return 1


def load(today: date | None = None) -> str:
    """Load the demo (see the module's docstring); returns a one-line summary."""
    made = {"reports": 0, "campaigns": 0, "schemes": 0}
    with simulated_clock() as clock:
        for code in SUPERIORS:
            org = tenants.get_org(code)
            if org is None:
                raise UserError(f"The demo organisation {code} is missing: load the demo first.")
            day = today or reports.today(org)
            made["reports"] += load_reports(org, clock, day)
            made["campaigns"] += load_campaign(org, day)
            made["schemes"] += load_assessments(org, day)
    return (
        f"Demo reporting: {made['reports']} half-year reports, {made['campaigns']} campaigns, "
        f"assessments of {made['schemes']} superiors."
    )
