"""The public figures of each unit of a subtree, per year: a fixed number of queries whatever the
number of units, items, requests or feedback entries.

* **Published items** (visible to the public): how many, how many had a due date from the
  catalogue's cadence, how many of those came on time or late (CAT-5, SUP-2), notices and the
  objections lodged to them (handled or not);
* **Disclosure requests** received in the year, decided in the year by outcome (REQ-3), decided
  on or before their deadline, and the response time in working days (from the day the clock
  started to the decision, consultation days not counted, REQ-4) in bands and as a median;
* **Feedback** received in the year: answered, answered on time (on or before the due date),
  published (:mod:`core.feedback.stats`);
* **Member evaluation**: the results of rounds published for the public (SUP-3) whose last day
  falls in the year: per unit, the overall satisfaction and the participation.

Nothing here is about a person: counts only, and only of what anyone may know exists.
"""

from __future__ import annotations

import statistics as pystats
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from core import db, localtime
from core.disclosure_requests.models import (
    DECISIONS,
    DisclosureRequest,
    RequestConsultation,
)
from core.evaluation import operations as evaluation
from core.evaluation.models import EvaluationRound, EvaluationUnit
from core.evaluation.visibility import visible_rounds
from core.feedback import stats as feedback_stats
from core.items.models import Item, Objection
from core.items.visibility import visible_items
from core.workdays import operations as workdays
from tenants import hierarchy
from tenants.models import Organisation

RESPONSE_BANDS = ((0, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, None))
"""Response time bands in working days (the default deadline is 15, one extension 15 more)."""


def band_key(low: int, high: int | None) -> str:
    return f"days_{low}_{high}" if high is not None else f"days_{low}_plus"


BAND_KEYS = tuple(band_key(lo, hi) for lo, hi in RESPONSE_BANDS)


def band_of(days: int) -> str:
    for low, high in RESPONSE_BANDS:
        if days >= low and (high is None or days <= high):
            return band_key(low, high)
    return BAND_KEYS[0]


@dataclass
class EvaluationFigure:
    round_id: int
    superior_code: str
    titles: dict[str, str]
    closes_on: date
    eligible: int
    voters: int
    answers: int
    satisfied: int

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.answers if self.answers else None

    @property
    def participation(self) -> float | None:
        return self.voters / self.eligible if self.eligible else None


@dataclass
class UnitFigures:
    org: Organisation
    year: int
    items_published: int = 0
    items_with_due_date: int = 0
    items_on_time: int = 0
    items_late: int = 0
    notices: int = 0
    objections: int = 0
    objections_handled: int = 0
    requests_received: int = 0
    requests_decided: int = 0
    requests_on_time: int = 0
    outcomes: Counter = field(default_factory=Counter)
    response_bands: Counter = field(default_factory=Counter)
    response_days: list[int] = field(default_factory=list)
    feedback_received: int = 0
    feedback_answered: int = 0
    feedback_timed: int = 0
    feedback_on_time: int = 0
    feedback_published: int = 0
    evaluations: list[EvaluationFigure] = field(default_factory=list)

    @property
    def org_id(self) -> int:
        return self.org.id

    @property
    def code(self) -> str:
        return self.org.code

    @property
    def on_time_rate(self) -> float | None:
        return self.items_on_time / self.items_with_due_date if self.items_with_due_date else None

    @property
    def requests_on_time_rate(self) -> float | None:
        return self.requests_on_time / self.requests_decided if self.requests_decided else None

    @property
    def response_median(self) -> float | None:
        return float(pystats.median(self.response_days)) if self.response_days else None

    @property
    def feedback_on_time_rate(self) -> float | None:
        return self.feedback_on_time / self.feedback_timed if self.feedback_timed else None

    @property
    def empty(self) -> bool:
        return not (
            self.items_published
            or self.requests_received
            or self.requests_decided
            or self.feedback_received
            or self.evaluations
        )


zone = localtime.zone


def year_bounds(org: Organisation, year: int) -> tuple[datetime, datetime]:
    tz = zone(org)
    start = datetime.combine(date(year, 1, 1), time(0, 0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time(0, 0), tzinfo=tz).astimezone(UTC)
    return start, end


def units(org: Organisation) -> list[Organisation]:
    """The enabled organisations of ``org``'s subtree, in tree order."""
    return [o for o in hierarchy.subtree(org) if o.enabled]


def _one(flag) -> Any:
    return func.coalesce(func.sum(case((flag, 1), else_=0)), 0)


def _items(org: Organisation, figures: dict[int, UnitFigures], start, end) -> None:
    published = visible_items(None, within=org).where(
        Item.published_at >= start, Item.published_at < end
    )
    sub = published.with_only_columns(
        Item.id, Item.org_id, Item.late, Item.due_on, Item.is_notice
    ).subquery()
    rows = db.session.execute(
        select(
            sub.c.org_id,
            func.count(sub.c.id),
            _one(sub.c.due_on.is_not(None)),
            _one(and_(sub.c.due_on.is_not(None), sub.c.late.is_(False))),
            _one(sub.c.late.is_(True)),
            _one(sub.c.is_notice.is_(True)),
        ).group_by(sub.c.org_id)
    )
    for org_id, n, with_due, on_time, late, notices in rows:
        f = figures.get(org_id)
        if f is not None:
            f.items_published, f.items_with_due_date = int(n), int(with_due)
            f.items_on_time, f.items_late, f.notices = int(on_time), int(late), int(notices)
    objections = db.session.execute(
        select(sub.c.org_id, func.count(Objection.id), _one(Objection.handled.is_(True)))
        .join(Objection, Objection.item_id == sub.c.id)
        .where(sub.c.is_notice.is_(True))
        .group_by(sub.c.org_id)
    )
    for org_id, n, handled in objections:
        f = figures.get(org_id)
        if f is not None:
            f.objections, f.objections_handled = int(n), int(handled)


def request_rows(org: Organisation, since: date | None = None, until: date | None = None):
    """``(request, response working days or None)`` of the subtree's requests received or
    decided between ``since`` and ``until`` (inclusive; all when None): two statements."""
    R = DisclosureRequest
    query = (
        select(
            R.id,
            R.org_id,
            R.received_on,
            R.clock_start,
            R.decided_on,
            R.deadline,
            R.outcome,
            R.state,
        )
        .join(Organisation, Organisation.id == R.org_id)
        .where(Organisation.path.startswith(org.path, autoescape=True))
        .order_by(R.id)
    )
    if since is not None:
        query = query.where(
            or_(
                and_(R.received_on >= since, R.received_on <= until),
                and_(R.decided_on >= since, R.decided_on <= until),
            )
        )
    rows = db.session.execute(query).all()
    decided = [r.id for r in rows if r.decided_on is not None]
    pauses: dict[int, list[tuple[date, date | None]]] = {}
    if decided:
        for request_id, started, ended in db.session.execute(
            select(
                RequestConsultation.request_id,
                RequestConsultation.started_on,
                RequestConsultation.ended_on,
            ).where(RequestConsultation.request_id.in_(decided))
        ):
            pauses.setdefault(request_id, []).append((started, ended))
    out = []
    for r in rows:
        days = None
        if r.decided_on is not None and r.clock_start is not None:
            days = max(
                0,
                workdays.working_days_between(
                    r.clock_start, r.decided_on, paused=pauses.get(r.id, ()), today=r.decided_on
                ),
            )
        out.append((r, days))
    return out


def outcome_of(row) -> str:
    """The outcome a decided request is counted under (REQ-3, or rejected / lapsed)."""
    if row.state == "lapsed":
        return "lapsed"
    if row.state == "rejected_invalid":
        return "rejected_invalid"
    return row.outcome if row.outcome in DECISIONS else "other"


OUTCOME_KEYS = (*DECISIONS, "lapsed")


def _requests(org: Organisation, figures: dict[int, UnitFigures], year: int) -> None:
    first, last = date(year, 1, 1), date(year, 12, 31)
    for row, days in request_rows(org, first, last):
        f = figures.get(row.org_id)
        if f is None:
            continue
        if first <= row.received_on <= last:
            f.requests_received += 1
        if row.decided_on is not None and first <= row.decided_on <= last:
            f.requests_decided += 1
            f.outcomes[outcome_of(row)] += 1
            if row.deadline is not None and row.decided_on <= row.deadline:
                f.requests_on_time += 1
            if days is not None:
                f.response_days.append(days)
                f.response_bands[band_of(days)] += 1


def _feedback(org: Organisation, figures: dict[int, UnitFigures], year: int) -> None:
    today = date.today()
    _total, per_org = feedback_stats.compute(
        org, subtree=True, today=today, date_from=date(year, 1, 1), date_to=date(year, 12, 31)
    )
    for org_id, s in per_org.items():
        f = figures.get(org_id)
        if f is not None:
            f.feedback_received, f.feedback_answered = s.total, s.answered
            f.feedback_timed, f.feedback_on_time = s.timed, s.on_time
            f.feedback_published = s.published


def public_rounds(unit_ids: list[int], year: int, *, newest_first: bool = False) -> list:
    """Member evaluation rounds with public results, for any of ``unit_ids``, whose last day
    falls in ``year``."""
    order = EvaluationRound.closes_on.desc() if newest_first else EvaluationRound.closes_on
    return list(
        db.session.scalars(
            visible_rounds(None)
            .where(
                EvaluationRound.closes_on >= date(year, 1, 1),
                EvaluationRound.closes_on <= date(year, 12, 31),
                EvaluationRound.id.in_(
                    select(EvaluationUnit.round_id).where(EvaluationUnit.org_id.in_(unit_ids))
                ),
            )
            .order_by(order, EvaluationRound.id)
        )
    )


def _evaluations(org: Organisation, figures: dict[int, UnitFigures], year: int) -> None:
    rounds = public_rounds(list(figures), year)
    for round_ in rounds:
        for result in evaluation.results(round_):
            f = figures.get(result.unit.id)
            overall = result.overall
            if f is None or overall is None:
                continue
            f.evaluations.append(
                EvaluationFigure(
                    round_id=round_.id,
                    superior_code=round_.organisation.code,
                    titles=dict(round_.titles or {}),
                    closes_on=round_.closes_on,
                    eligible=result.eligible,
                    voters=result.voters,
                    answers=overall.total,
                    satisfied=overall.satisfied,
                )
            )


def compute(org: Organisation, year: int) -> list[UnitFigures]:
    """The figures of every enabled unit of ``org``'s subtree for ``year``, in tree order."""
    members = units(org)
    figures = {o.id: UnitFigures(org=o, year=year) for o in members}
    start, end = year_bounds(org, year)
    _items(org, figures, start, end)
    _requests(org, figures, year)
    _feedback(org, figures, year)
    _evaluations(org, figures, year)
    return [figures[o.id] for o in members]


def total(rows: list[UnitFigures], org: Organisation, year: int) -> UnitFigures:
    """The sum of ``rows`` (the subtree's figures), under ``org``'s name."""
    out = UnitFigures(org=org, year=year)
    for f in rows:
        for name in (
            "items_published",
            "items_with_due_date",
            "items_on_time",
            "items_late",
            "notices",
            "objections",
            "objections_handled",
            "requests_received",
            "requests_decided",
            "requests_on_time",
            "feedback_received",
            "feedback_answered",
            "feedback_timed",
            "feedback_on_time",
            "feedback_published",
        ):
            setattr(out, name, getattr(out, name) + getattr(f, name))
        out.outcomes.update(f.outcomes)
        out.response_bands.update(f.response_bands)
        out.response_days.extend(f.response_days)
        out.evaluations.extend(f.evaluations)
    return out


def years(org: Organisation, today: date) -> list[int]:
    """The years with public data in the subtree, newest first (this year always)."""
    first = db.session.scalar(
        visible_items(None, within=org).with_only_columns(func.min(Item.published_at))
    )
    received = db.session.scalar(
        select(func.min(DisclosureRequest.received_on))
        .join(Organisation, Organisation.id == DisclosureRequest.org_id)
        .where(Organisation.path.startswith(org.path, autoescape=True))
    )
    start = today.year
    if first is not None:
        start = min(start, first.astimezone(zone(org)).year)
    if received is not None:
        start = min(start, received.year)
    return list(range(today.year, max(start, today.year - 20) - 1, -1))
