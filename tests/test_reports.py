"""Half-year reports (RPT-1): every unit reports to its superior each period of the parameter
``report.months`` — statistics drawn from the data and a narrative — by the due date of
``report.due_days``; late and missing reports are flagged, the superior accepts or returns them,
sees who has not reported, and reads a summary of its subtree; each report prints as a PDF and
downloads as XLSX."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from core import db
from core.disclosure_requests import operations as requests
from core.errors import UserError
from core.feedback import operations as feedback
from core.items.demo import simulated_clock
from core.notifications import reminders
from core.notifications.models import Notification
from core.params import operations as params
from core.reports import operations as ops
from core.reports import periods
from core.reports.models import HalfYearReport
from core.workflow.engine import TransitionRefused
from tests.items_helpers import build_world, published, sign_in, user
from tests.printed import pdf_fonts, pdf_text

ZONE = ZoneInfo("Asia/Shanghai")
NARRATIVE = {
    "practices": "坚持每月更新党务公开栏。",
    "problems": "部分事项公开不够及时。",
    "suggestions": "建议加强培训。",
}


@contextmanager
def on_day(day: date, hour: int = 10, minute: int = 0):
    """The application's clock at ``hour:minute`` in Beijing on ``day``."""
    with simulated_clock() as clock:
        clock.moment = datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)
        yield clock


@pytest.fixture(autouse=True)
def english(app):
    """Refusals read in English (the messages the assertions quote); pages in their own."""
    with force_locale("en"):
        yield


@pytest.fixture
def w(make_org):
    w = build_world(make_org)
    w["bureau_admin"] = user("it-bureau-admin", ("admin", w["bureau"]))
    w["sibling_admin"] = user("it-sibling-admin", ("admin", w["sibling"]))
    w["applicant"] = user("it-applicant")
    db.session.commit()
    return w


def published_on(w, day: date, hour: int = 10, minute: int = 0, **overrides):
    """An item of the unit published at ``hour:minute`` on ``day`` (Beijing)."""
    with on_day(day, hour, minute) as clock:
        planned = clock.moment - timedelta(minutes=1)
        return published(w, planned_at=planned, decision_date=day, **overrides)


def prepared(w, unit="unit", day=date(2026, 7, 2)) -> HalfYearReport:
    org = w[unit]
    with on_day(day):
        report = ops.prepare(org, periods.last_ended(org, day))
    db.session.commit()
    return report


def written(report, actor) -> HalfYearReport:
    ops.update_narrative(report, NARRATIVE, actor=actor)
    db.session.commit()
    return report


# --- the periods -------------------------------------------------------------------------------


@pytest.mark.rule("RPT-1")
def test_the_periods_and_due_dates_follow_the_parameters(w):
    unit = w["unit"]
    first = periods.period_ending(unit, 2026, 6)
    assert (first.starts_on, first.ends_on, first.due_on) == (
        date(2026, 1, 1),
        date(2026, 6, 30),
        date(2026, 7, 10),
    )
    assert first.remind_from == date(2026, 7, 3)
    second = periods.period_ending(unit, 2026, 12)
    assert (second.starts_on, second.due_on) == (date(2026, 7, 1), date(2027, 1, 10))
    # a period is over only after its last day
    assert periods.last_ended(unit, date(2026, 6, 30)).key == "2025-12"
    assert periods.last_ended(unit, date(2026, 7, 1)).key == "2026-06"
    # the county sets its own schedule: quarterly, due 15 days after
    params.set_value(w["county"], "report.months", "3, 6, 9, 12")
    params.set_value(w["county"], "report.due_days", "15")
    db.session.commit()
    quarter = periods.last_ended(unit, date(2026, 10, 1))
    assert (quarter.key, quarter.starts_on, quarter.due_on) == (
        "2026-09",
        date(2026, 7, 1),
        date(2026, 10, 15),
    )
    assert periods.period_ending(unit, 2026, 3).starts_on == date(2026, 1, 1)


@pytest.mark.rule("RPT-1")
def test_the_sweep_prepares_a_draft_for_every_unit_once_its_period_is_over(w):
    with on_day(date(2026, 6, 30)):
        made = ops.prepare_due(date(2026, 6, 30))
    db.session.commit()
    keys = set(db.session.execute(select(HalfYearReport.org_id, HalfYearReport.period_key)).all())
    units = ("bureau", "unit", "sibling", "child")
    assert keys == {(w[u].id, "2025-12") for u in units}
    assert made == 4  # the counties report to nobody on the platform
    assert ops.prepare_due(date(2026, 6, 30)) == 0  # once
    with on_day(date(2026, 7, 1)):
        assert ops.prepare_due(date(2026, 7, 1)) == 4
    db.session.commit()
    report = ops.find(w["unit"], "2026-06")
    assert (report.state, report.superior_id, report.due_on) == (
        "draft",
        w["bureau"].id,
        date(2026, 7, 10),
    )
    with pytest.raises(UserError, match="county"):
        ops.prepare(w["county"], periods.period_ending(w["county"], 2026, 6))


# --- the statistics ----------------------------------------------------------------------------


@pytest.mark.rule("RPT-1")
def test_the_statistics_are_drawn_from_the_period_s_data(w):
    published_on(w, date(2025, 12, 31), 23, 59)  # before the period
    published_on(w, date(2026, 3, 2))
    published_on(
        w,
        date(2026, 3, 2),
        titles={"zh_Hans_CN": "换届公示"},
        entry_key="org.election",
        scope="public",
        channels=["website"],
        is_notice=True,
    )
    published_on(w, date(2026, 6, 30), 23, 59)  # the period's last minute
    published_on(w, date(2026, 7, 1), 0, 0)  # after it
    with on_day(date(2026, 4, 8)):
        req = requests.file(
            w["unit"],
            {
                "content": "申请公开党费使用明细",
                "purpose": "了解情况",
                "contact_email": "a@example.org",
                "delivery": "electronic",
            },
            applicant=w["applicant"],
        )
        requests.accept(req, actor=w["admin"])
    with on_day(date(2026, 4, 15)):
        requests.decide(req, "granted", {"answer": "见附件"}, actor=w["admin"])
        entry = feedback.submit_online(w["unit"], content="建议公开栏再大一些").entry
        feedback.assign(entry, actor=w["admin"], handler=w["admin"])
        feedback.answer(entry, actor=w["admin"], text="已采纳")
    db.session.commit()
    report = prepared(w)
    stats = report.statistics
    assert stats["items"]["published"] == 3
    assert stats["items"]["notices"] == 1
    assert stats["items"]["by_category"]["org"]["count"] == 3
    assert stats["items"]["by_channel"] == {"meeting": 2, "notice_board": 2, "website": 1}
    assert stats["items"]["by_scope"] == {"party_wide": 2, "public": 1}
    assert (stats["requests"]["received"], stats["requests"]["decided"]) == (1, 1)
    assert stats["requests"]["by_outcome"] == {"granted": 1}
    assert (stats["feedback"]["received"], stats["feedback"]["answered"]) == (1, 1)
    assert stats["timeliness"]["expected"] >= 1
    # a sibling's data is not the unit's
    assert prepared(w, "sibling").statistics["items"]["published"] == 0


def test_the_statistics_are_drawn_again_while_a_draft_and_frozen_once_submitted(w):
    report = written(prepared(w), w["admin"])
    assert report.statistics["items"]["published"] == 0
    published_on(w, date(2026, 5, 5))
    ops.refresh(report, actor=w["editor"])
    assert report.statistics["items"]["published"] == 1
    with on_day(date(2026, 7, 5)):
        ops.submit(report, actor=w["admin"])
    db.session.commit()
    with pytest.raises(UserError, match="frozen"):
        ops.refresh(report, actor=w["admin"])
    with pytest.raises(UserError, match="frozen"):
        ops.update_narrative(report, {"practices": "改"}, actor=w["admin"])


# --- submitting, late and missing --------------------------------------------------------------


def test_a_report_is_submitted_only_with_its_narrative_and_by_the_unit_s_admin(w):
    report = prepared(w)
    with pytest.raises(TransitionRefused) as refused:
        ops.submit(report, actor=w["admin"])
    assert "narrative" in " ".join(refused.value.problems)
    ops.update_narrative(report, {**NARRATIVE, "suggestions": ""}, actor=w["editor"])
    with pytest.raises(TransitionRefused):
        ops.submit(report, actor=w["admin"])
    written(report, w["editor"])
    with pytest.raises(TransitionRefused):
        ops.submit(report, actor=w["editor"])  # an editor prepares, the admin submits
    with on_day(date(2026, 7, 8)):
        ops.submit(report, actor=w["admin"])
    assert report.state == "submitted" and not report.late


@pytest.mark.rule("RPT-1")
def test_a_report_first_submitted_after_its_due_date_is_late(w):
    on_time = written(prepared(w), w["admin"])
    late = written(prepared(w, "sibling"), w["sibling_admin"])
    with on_day(date(2026, 7, 10), 23, 50):  # the due date's last minutes: on time
        ops.submit(on_time, actor=w["admin"])
    with on_day(date(2026, 7, 11), 0, 5):  # the day after: late
        ops.submit(late, actor=w["sibling_admin"])
    db.session.commit()
    assert (on_time.late, late.late) == (False, True)
    # returned and submitted again after the due date: the first submission counts
    with on_day(date(2026, 7, 12)):
        ops.return_report(on_time, actor=w["bureau_reviewer"], comment="请补充整改措施。")
        ops.submit(on_time, actor=w["admin"])
    assert on_time.late is False and on_time.state == "submitted"


@pytest.mark.rule("RPT-1")
def test_a_report_not_submitted_by_its_due_date_is_missing_and_the_superior_sees_who(w):
    report = prepared(w)
    submitted = written(prepared(w, "sibling"), w["sibling_admin"])
    with on_day(date(2026, 7, 9)):
        ops.submit(submitted, actor=w["sibling_admin"])
    db.session.commit()

    def states(day):
        return {s.unit.code: s.state(day) for s in ops.units_status(w["bureau"], "2026-06")}

    assert states(date(2026, 7, 10)) == {
        "it-unit": "draft",
        "it-sibling": "submitted",
        "it-child": "none",
    }
    assert states(date(2026, 7, 11)) == {
        "it-unit": "missing",
        "it-sibling": "submitted",
        "it-child": "missing",
    }
    assert report.missing(date(2026, 7, 11)) and not report.missing(date(2026, 7, 10))
    # the county sees its whole subtree
    county = {s.unit.code for s in ops.units_status(w["county"], "2026-06")}
    assert county == {"it-bureau", "it-unit", "it-sibling", "it-child"}


def test_the_superior_accepts_or_returns_a_report_and_nobody_else_does(w):
    report = written(prepared(w), w["admin"])
    with on_day(date(2026, 7, 6)):
        ops.submit(report, actor=w["admin"])
    for actor in (w["admin"], w["sibling_admin"], w["member"]):
        with pytest.raises(TransitionRefused):
            ops.accept(report, actor=actor)
    with pytest.raises(TransitionRefused):  # a return needs a comment
        ops.return_report(report, actor=w["bureau_reviewer"], comment="  ")
    ops.return_report(report, actor=w["bureau_reviewer"], comment="请补充问题分析。")
    assert (report.state, report.return_comment) == ("returned", "请补充问题分析。")
    ops.update_narrative(
        report, {**NARRATIVE, "problems": "公开不及时，已整改。"}, actor=w["admin"]
    )
    ops.submit(report, actor=w["admin"])
    assert report.return_comment is None
    ops.accept(report, actor=w["county_admin"])  # the county is a superior too
    db.session.commit()
    assert report.state == "accepted" and report.decided_by_id == w["county_admin"].id


def test_the_summary_adds_up_the_submitted_reports_of_the_subtree(w):
    published_on(w, date(2026, 3, 3))
    published_on(w, date(2026, 3, 4))
    unit = written(prepared(w), w["admin"])
    sibling = written(prepared(w, "sibling"), w["sibling_admin"])
    prepared(w, "child")  # a draft: not counted
    with on_day(date(2026, 7, 6)):
        ops.submit(unit, actor=w["admin"])
        ops.submit(sibling, actor=w["sibling_admin"])
    db.session.commit()
    total, reports = ops.summary(w["bureau"], "2026-06")
    assert {r.organisation.code for r in reports} == {"it-unit", "it-sibling"}
    assert total["items"]["published"] == 2
    assert total["items"]["by_category"]["org"]["count"] == 2


# --- reminders ---------------------------------------------------------------------------------


def notified(kind: str) -> set[str]:
    rows = db.session.execute(
        select(Notification.user_id).where(Notification.kind == kind)
    ).scalars()
    from tenants.models import User

    return {db.session.get(User, uid).username for uid in rows}


def test_reminders_before_the_due_date_and_after_it_the_superior_too(w):
    prepared(w)
    before = datetime.combine(date(2026, 7, 2), time(9), tzinfo=ZONE)
    assert reminders.run("reports.due", before) == 0  # reminders begin 7 days before July 10
    reminders.run("reports.due", before + timedelta(days=1))
    db.session.commit()
    assert {"it-admin", "it-editor"} <= notified("reports.due")
    assert not notified("reports.overdue")
    reminders.run("reports.due", datetime.combine(date(2026, 7, 11), time(9), tzinfo=ZONE))
    db.session.commit()
    assert {"it-admin", "it-bureau-reviewer", "it-bureau-admin"} <= notified("reports.overdue")
    assert "it-county-admin" not in notified("reports.overdue")  # the superior it reports to


# --- pages -------------------------------------------------------------------------------------


def test_the_unit_writes_and_submits_its_report_in_the_console(app, w):
    report = prepared(w)
    client = sign_in(app, "it-admin")
    page = client.get("/admin/o/it-unit/reports")
    assert page.status_code == 200
    assert f"/admin/o/it-unit/reports/{report.id}" in page.get_data(as_text=True)
    detail = client.get(f"/admin/o/it-unit/reports/{report.id}")
    token = detail.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(
        f"/admin/o/it-unit/reports/{report.id}/submit", data={"csrf_token": token}
    )
    assert refused.status_code == 409
    assert "narrative" in refused.get_data(as_text=True)
    saved = client.post(
        f"/admin/o/it-unit/reports/{report.id}/narrative", data={**NARRATIVE, "csrf_token": token}
    )
    assert saved.status_code == 302
    done = client.post(f"/admin/o/it-unit/reports/{report.id}/submit", data={"csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(HalfYearReport, report.id).state == "submitted"
    # the superior finds it, returns it with a comment
    superior = sign_in(app, "it-bureau-reviewer")
    listing = superior.get("/admin/o/it-bureau/reports?period=2026-06").get_data(as_text=True)
    assert f"/admin/o/it-unit/reports/{report.id}" in listing
    page = superior.get(f"/admin/o/it-unit/reports/{report.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    empty = superior.post(
        f"/admin/o/it-unit/reports/{report.id}/return", data={"comment": "", "csrf_token": token}
    )
    assert empty.status_code == 400
    back = superior.post(
        f"/admin/o/it-unit/reports/{report.id}/return",
        data={"comment": "请补充", "csrf_token": token},
    )
    assert back.status_code == 302


def test_report_pages_are_refused_to_people_without_a_role_over_the_unit(app, w):
    report = prepared(w)
    for username, expected in (("it-member", 403), ("it-sibling-admin", 403)):
        client = sign_in(app, username)
        assert client.get("/admin/o/it-unit/reports").status_code == expected
        assert client.get(f"/admin/o/it-unit/reports/{report.id}").status_code == expected
    sibling = sign_in(app, "it-sibling-admin")  # its own console, another unit's report: 404
    assert sibling.get(f"/admin/o/it-sibling/reports/{report.id}").status_code == 404
    assert app.test_client().get("/admin/o/it-unit/reports").status_code == 302


def test_a_report_prints_as_a_pdf_with_its_fonts_and_downloads_as_xlsx(app, w):
    report = written(prepared(w), w["admin"])
    client = sign_in(app, "it-bureau-reviewer")
    client.get("/?lang=zh_Hans_CN")
    answer = client.get(f"/admin/o/it-unit/reports/{report.id}.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = pdf_text(answer.data)
    assert "坚持每月更新党务公开栏" in text and "党务公开" in text
    assert all(embedded for _name, embedded in pdf_fonts(answer.data))
    sheet = client.get(f"/admin/o/it-unit/reports/{report.id}.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert any("部分事项公开不够及时" in str(cell) for row in rows for cell in row)
    summary = client.get("/admin/o/it-bureau/reports/summary.pdf?period=2026-06")
    assert summary.status_code == 200 and summary.mimetype == "application/pdf"
    assert client.get("/admin/o/it-bureau/reports/summary?period=2026-06").status_code == 200
    assert client.get("/admin/o/it-bureau/reports/summary.xlsx?period=bad").status_code == 200


def test_the_ug_pdf_embeds_an_arabic_script_font(app, w):
    report = written(prepared(w), w["admin"])
    client = sign_in(app, "it-bureau-reviewer")
    client.get("/?lang=ug")
    answer = client.get(f"/admin/o/it-unit/reports/{report.id}.pdf")
    fonts = [name for name, embedded in pdf_fonts(answer.data) if embedded]
    assert any("Arabic" in name or "DejaVu" in name for name in fonts), fonts


# --- the hook ----------------------------------------------------------------------------------


def test_hook_report_sections(w):
    """A plugin's section is in the report of a unit that enables it, not of another."""
    unit = w["unit"]
    unit.plugin_settings = {"enabled": ["testplugin"]}
    db.session.commit()
    mine = prepared(w)
    other = prepared(w, "sibling")
    (section,) = mine.statistics["sections"]
    assert section["key"] == "testplugin" and section["rows"][0]["key"] == "notes"
    assert other.statistics["sections"] == []
    count = db.session.scalar(select(func.count(HalfYearReport.id)))
    assert count == 2
