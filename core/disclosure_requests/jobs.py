"""The request sweeps, run by ``gongkai scheduler`` (or in-process in the embedded mode), and the
deadline reminder of the notification sweep (:mod:`core.notifications.reminders`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from core import db, jobs
from core.disclosure_requests import operations
from core.disclosure_requests.models import OPEN_STATES, DisclosureRequest
from core.disclosure_requests.subscribers import request_link, request_params
from core.notifications import operations as notify
from core.notifications import reminders
from core.workdays import operations as workdays

APPROACHING_WORKING_DAYS = 3


@jobs.periodic(interval=3600, name="lapse_unclear_requests")
def lapse_unclear_requests() -> int:
    """Unclear requests not amended within ``request.amend_lapse_days`` lapse (REQ-3)."""
    return operations.lapse_due()


@jobs.periodic(interval=3600, name="refresh_consultation_deadlines")
def refresh_consultation_deadlines() -> int:
    """While a third party is consulted the clock stands still: its deadline moves each day."""
    return operations.refresh_consulting()


def working_days_left(today: date, deadline: date) -> int:
    """Working days after ``today`` up to ``deadline`` (0: due today), by the official calendar
    (:mod:`core.workdays`)."""
    return workdays.working_days_between(today, deadline)


@reminders.register("requests.deadlines")
def request_deadlines(now: datetime | None = None) -> int:
    """Open requests due within :data:`APPROACHING_WORKING_DAYS` working days: the unit's
    handlers, every day. Passed: the handlers and the superior (its nearest level that receives
    filings), the day after and every seventh day after while it stays open. A consultation
    stops the clock: a request being consulted on never passes."""
    request = DisclosureRequest
    today = notify.local_day(now)
    made = 0
    rows = db.session.scalars(
        select(request)
        .where(request.state.in_(OPEN_STATES), request.deadline.is_not(None))
        .where(request.deadline <= today + timedelta(days=APPROACHING_WORKING_DAYS + 14))
        .order_by(request.deadline, request.id)
    )
    for req in rows:
        org = req.organisation
        handlers = notify.recipients("requests.handle", org)
        passed = req.deadline < today
        left = None if passed else working_days_left(today, req.deadline)
        if left is not None and left <= APPROACHING_WORKING_DAYS:
            made += len(
                notify.notify(
                    handlers,
                    "requests.deadline_approaching",
                    org=org,
                    params=request_params(req, org, days=left),
                    link=request_link(req, org),
                    about=("disclosure_request", req.id),
                    dedup=f"requests.deadline_approaching:{req.id}:{today.isoformat()}",
                )
            )
        elif passed and req.state != "consulting":
            superior = notify.recipients("requests.receive_filing", org, nearest=True)
            period = reminders.overdue_period(req.deadline, today)
            made += len(
                notify.notify(
                    [*handlers, *superior],
                    "requests.deadline_passed",
                    org=org,
                    params=request_params(req, org),
                    link=request_link(req, org),
                    about=("disclosure_request", req.id),
                    dedup=f"requests.deadline_passed:{req.id}:{period}",
                )
            )
    return made
