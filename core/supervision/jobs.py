"""The supervision's sweep and reminders: automatic flags are raised every hour (SUP-2); the
superiors who decide on them are told once a day how many wait; a finding past its deadline is
reminded to its unit and to the organisation that raised it once a week."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core import db, jobs
from core.notifications import operations as notify
from core.notifications import reminders
from core.supervision import operations
from core.supervision.models import Finding, SupervisionFlag
from tenants.models import Organisation


@jobs.periodic(interval=3600, name="raise_supervision_flags")
def raise_supervision_flags() -> tuple[int, int]:
    return operations.raise_flags()


@reminders.register("supervision.flags_waiting")
def flags_waiting(now: datetime | None = None) -> int:
    """Tell each superior who decides on flags, once a day, how many wait below them."""
    query = (
        select(SupervisionFlag.id, Organisation)
        .join(Organisation, Organisation.id == SupervisionFlag.org_id)
        .where(SupervisionFlag.state == "open")
    )
    return reminders.tell_waiting(
        "supervision.flags_waiting",
        "supervision.decide_flags",
        "supervision_admin.flags",
        query,
        now,
    )


@reminders.register("supervision.finding_overdue")
def findings_overdue(now: datetime | None = None) -> int:
    """A finding still open past its deadline: its unit (who must rectify) and the organisation
    that raised it are told, on the first day past it and then every week."""
    day = notify.local_day(now)
    made = 0
    query = select(Finding).where(Finding.state == "open", Finding.deadline < day)
    for finding in db.session.scalars(query.order_by(Finding.id)):
        period = reminders.overdue_period(finding.deadline, day)
        unit, supervisor = finding.organisation, finding.supervisor
        params = {
            "org": notify.org_names(supervisor),
            "unit": notify.org_names(unit),
            "excerpt": notify.excerpt(finding.description, 120),
            "deadline_on": finding.deadline.isoformat(),
        }
        for org, people in (
            (unit, notify.recipients("inspections.respond", unit)),
            (supervisor, notify.recipients("inspections.manage", supervisor, at=supervisor)),
        ):
            made += len(
                notify.notify(
                    people,
                    "supervision.finding_overdue",
                    org=org,
                    params=params,
                    link=notify.path_for(
                        "supervision_admin.finding", org_code=org.code, finding_id=finding.id
                    ),
                    about=("finding", finding.id),
                    dedup=f"supervision.finding_overdue:{finding.id}:{period}",
                )
            )
    return made
