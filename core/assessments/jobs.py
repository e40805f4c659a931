"""The self-assessments' reminder (SUP-3): the units of an open scheme that have not submitted
their self-assessment are reminded from three days before it is due, and after it every seventh
day (once a day at most, by the notifications' de-duplication)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core import db
from core.assessments.models import AssessmentScheme, AssessmentSheet
from core.notifications import operations as notify
from core.notifications import reminders

BEFORE_DAYS = 3


@reminders.register("assessments.self_due")
def self_assessments_due(now: datetime | None = None) -> int:
    from core.assessments.subscribers import sheet_link

    day = notify.local_day(now)
    made = 0
    rows = db.session.execute(
        select(AssessmentScheme, AssessmentSheet)
        .join(AssessmentSheet, AssessmentSheet.scheme_id == AssessmentScheme.id)
        .where(
            AssessmentScheme.state == "open",
            AssessmentSheet.state == "pending",
            AssessmentScheme.self_due_on <= day + timedelta(days=BEFORE_DAYS),
        )
        .order_by(AssessmentScheme.self_due_on, AssessmentSheet.id)
    ).all()
    for scheme, sheet in rows:
        overdue = (day - scheme.self_due_on).days
        if overdue > 0 and (overdue - 1) % 7:
            continue
        unit = sheet.organisation
        made += len(
            notify.notify(
                notify.recipients("assessments.self_assess", unit),
                "assessments.self_due",
                org=unit,
                params={
                    "title": dict(scheme.titles or {}),
                    "org": notify.org_names(unit),
                    "due_on": scheme.self_due_on.isoformat(),
                },
                link=sheet_link(sheet),
                about=("assessment_sheet", sheet.id),
                dedup=f"assessments.self_due:{sheet.id}:{day.isoformat()}",
            )
            or []
        )
    return made
