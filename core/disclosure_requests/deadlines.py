"""Deadlines of disclosure requests (REQ-2, REQ-4), in working days of the official calendar
(:mod:`core.workdays`): ``decision_days`` working days from ``clock_start`` (the day the request
was received, amended, or sent back for reconsideration), then — after the one extension —
``extension_days`` more from that due date; the days of a third-party consultation do not count
(a consultation still running counts as ending today). A deadline that reaches a year the calendar
does not hold yet is *provisional* (weekends only) until the year is loaded; then it is computed
again (:func:`refresh_open_deadlines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from core import audit, db, localtime
from core.disclosure_requests.models import (
    OPEN_STATES,
    DisclosureRequest,
    RequestConsultation,
)
from core.workdays import operations as workdays
from tenants.models import Organisation


def today(org: Organisation) -> date:
    """The organisation's date now (the clock of :func:`core.db.utcnow`)."""
    return localtime.today(org)


def overdue(req: DisclosureRequest, on: date | None = None) -> bool:
    """The deadline passed without a decision (a paused clock is never overdue)."""
    on = on or today(req.organisation)
    return req.state in ("submitted", "accepted") and req.deadline < on


def pauses(req: DisclosureRequest) -> list[tuple[date, date | None]]:
    """The consultations as paused periods of the clock (``None``: still running)."""
    if req.id is None:
        return []
    return [(c.started_on, c.ended_on) for c in consultations(req)]


@dataclass(frozen=True)
class Computed:
    """A request's deadline and how it came about: ``base`` counts ``decision_days`` from the
    clock's start, ``extension`` (after the one extension) counts on from ``base.due``."""

    base: Any  # core.workdays Deadline
    extension: Any | None

    @property
    def due(self) -> date:
        return (self.extension or self.base).due

    @property
    def provisional(self) -> bool:
        return bool(self.base.provisional or (self.extension and self.extension.provisional))


def compute(req: DisclosureRequest, *, on: date | None = None) -> Computed:
    """The deadline of ``req``; a consultation still running counts as ending on ``on``
    (default: the organisation's today)."""
    on = on or today(req.organisation)
    paused = pauses(req)
    base = workdays.add_working_days(req.clock_start, req.decision_days, paused=paused, today=on)
    extension = None
    if req.extension_days:
        extension = workdays.add_working_days(base.due, req.extension_days, paused=paused, today=on)
    return Computed(base, extension)


def refresh_deadline(req: DisclosureRequest, *, on: date | None = None) -> bool:
    """Compute the deadline again; True when it (or its provisional mark) changed."""
    computed = compute(req, on=on)
    before = (req.deadline, req.deadline_provisional)
    after = (computed.due, computed.provisional)
    if before == after:
        return False
    req.deadline, req.deadline_provisional = after
    return True


def explain(req: DisclosureRequest) -> list[str]:
    """How the deadline is computed, line by line, in the reader's language."""
    computed = compute(req)
    lines = []
    if req.clock_start != req.received_on:
        lines.append(
            gettext(
                "Received on %(received)s; the clock started again on %(start)s (amended, or "
                "sent back for reconsideration).",
                received=req.received_on.isoformat(),
                start=req.clock_start.isoformat(),
            )
        )
    lines += [str(line) for line in computed.base.explain()]
    if computed.extension is not None:
        lines.append(
            gettext(
                "Extended once, by %(days)d working days from %(due)s. Reason: %(reason)s",
                days=req.extension_days,
                due=computed.base.due.isoformat(),
                reason=req.extension_reason or "",
            )
        )
        lines += [str(line) for line in computed.extension.explain()]
    for start, end in pauses(req):
        if end is None:
            lines.append(
                gettext(
                    "A third party is consulted since %(start)s: the clock is paused.",
                    start=start.isoformat(),
                )
            )
        else:
            lines.append(
                gettext(
                    "The clock was paused from %(start)s to %(end)s for a third-party "
                    "consultation.",
                    start=start.isoformat(),
                    end=end.isoformat(),
                )
            )
    return list(dict.fromkeys(lines))


def refresh_open_deadlines(*, states=OPEN_STATES, actor=None) -> int:
    """Compute the deadline of every request in ``states`` again (after a calendar year was
    loaded; and for running consultations); audits each change. Returns how many changed."""
    changed = 0
    for req in db.session.scalars(
        select(DisclosureRequest).where(DisclosureRequest.state.in_(states))
    ):
        before = (req.deadline.isoformat(), req.deadline_provisional)
        if refresh_deadline(req):
            changed += 1
            audit.log(
                "request.deadline",
                "disclosure_request",
                req.id,
                org_id=req.org_id,
                actor=actor,
                changes={
                    "deadline": [before[0], req.deadline.isoformat()],
                    "provisional": [before[1], req.deadline_provisional],
                },
            )
    db.session.flush()
    return changed


def consultations(req: DisclosureRequest) -> list[RequestConsultation]:
    return list(
        db.session.scalars(
            select(RequestConsultation)
            .where(RequestConsultation.request_id == req.id)
            .order_by(RequestConsultation.id)
        )
    )
