"""The reporting sweep and reminders (RPT-1), run by ``gongkai scheduler`` (or in-process).

* ``prepare_half_year_reports``: once a unit's period is over, its draft report is made, with
  the period's statistics.
* reminder ``reports.due``: from ``report.remind_days`` days before the due date, the unit's
  admins and editors, once a day, while the report is not submitted;
* reminder ``reports.overdue``: after the due date, the unit's admins and editors and the
  superior that receives the report, the day after and every seventh day after, while it is
  missing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core import db, jobs
from core.notifications import operations as notify
from core.notifications import reminders
from core.params import operations as params
from core.reports import operations
from core.reports.models import OPEN_STATES, HalfYearReport
from core.reports.subscribers import report_link, report_params


@jobs.periodic(interval=6 * 3600, name="prepare_half_year_reports")
def prepare_half_year_reports() -> int:
    """A draft report for every unit whose period is over."""
    return operations.prepare_due()


@reminders.register("reports.due")
def reports_due(now: datetime | None = None) -> int:
    day = notify.local_day(now)
    made = 0
    rows = db.session.scalars(
        select(HalfYearReport)
        .where(HalfYearReport.state.in_(OPEN_STATES))
        .order_by(HalfYearReport.due_on, HalfYearReport.id)
    )
    for report in rows:
        org = report.organisation
        if not org.enabled:
            continue
        remind_from = report.due_on.toordinal() - params.value(org, "report.remind_days")
        if day.toordinal() < remind_from:
            continue
        staff = notify.recipients("reports.edit", org)
        if day <= report.due_on:
            kind, key, people = "reports.due", f"reports.due:{report.id}:{day}", staff
        else:
            period = reminders.overdue_period(report.due_on, day)
            kind, key = "reports.overdue", f"reports.overdue:{report.id}:{period}"
            people = [*staff, *notify.recipients("reports.decide", org, at=report.superior)]
        made += len(
            notify.notify(
                people,
                kind,
                org=org,
                params=report_params(report),
                link=report_link(report),
                about=("half_year_report", report.id),
                dedup=key,
            )
        )
    return made
