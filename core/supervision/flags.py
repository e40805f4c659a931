"""What the supervision flags by itself (SUP-2): one query per kind over every hosted county, no
loop over units. No writes: :func:`core.supervision.operations.raise_flags` raises the flags.

* ``overdue_disclosure`` (应公开未公开) — an expected disclosure of a unit's schedule
  (:class:`core.items.models.ScheduledDisclosure`) whose due day passed and that no item met;
  it *resolves* when it is met late (or leaves the schedule);
* ``correction`` — an approved amendment whose reason is a correction of false content;
* ``late_request`` — a disclosure request decided after its deadline, or still open past it;
* ``late_feedback`` — feedback answered after its due date, or still unanswered past it;
* ``early_close`` — someone tried to close a notice before its period ended (one flag per
  notice, however many attempts);
* ``secrecy_revocation`` — an item revoked (or proposed for revocation) for secrecy.

Units only: a hosted county (a root) has no superior on the platform to decide on its flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select

from core import db
from core.disclosure_requests.models import OPEN_STATES as REQUEST_OPEN
from core.disclosure_requests.models import DisclosureRequest
from core.feedback.models import OPEN_STATES as FEEDBACK_OPEN
from core.feedback.models import FeedbackEntry
from core.items.models import Item, ItemVersion, NoticeCloseAttempt, ScheduledDisclosure
from tenants.models import Organisation

RESOLVABLE = ("overdue_disclosure",)
"""Kinds whose condition can end (an open flag of them resolves); the others are events."""


@dataclass(frozen=True)
class Condition:
    org_id: int
    kind: str
    subject_key: str
    subject_type: str
    subject_id: int | None
    facts: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def _units(query, org_column):
    """Only enabled units below a county."""
    return query.join(Organisation, Organisation.id == org_column).where(
        Organisation.parent_id.is_not(None), Organisation.enabled.is_(True)
    )


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def overdue_disclosures(on: date) -> list[Condition]:
    sd = ScheduledDisclosure
    query = _units(
        select(sd.id, sd.org_id, sd.entry_key, sd.period_key, sd.due_on).where(
            sd.item_id.is_(None), sd.due_on < on
        ),
        sd.org_id,
    )
    return [
        Condition(
            org_id,
            "overdue_disclosure",
            f"{entry}:{period}",
            "expected",
            row_id,
            {"entry_key": entry, "period_key": period, "due_on": _iso(due)},
        )
        for row_id, org_id, entry, period, due in db.session.execute(query)
    ]


def _titles_of_items():
    current = ItemVersion.__table__.alias("current_version")
    return current, Item.current_version_id == current.c.id


def corrections(_on: date) -> list[Condition]:
    query = _units(
        select(
            ItemVersion.id,
            Item.org_id,
            Item.id,
            ItemVersion.number,
            ItemVersion.titles,
            ItemVersion.approved_at,
            ItemVersion.explanation,
        )
        .join(Item, Item.id == ItemVersion.item_id)
        .where(
            ItemVersion.reason == "correction",
            ItemVersion.approved_at.is_not(None),
            ItemVersion.number > 1,
        ),
        Item.org_id,
    )
    rows = db.session.execute(query)
    return [
        Condition(
            org_id,
            "correction",
            f"version:{version_id}",
            "item",
            item_id,
            {
                "item_id": item_id,
                "version": number,
                "titles": dict(titles or {}),
                "approved_at": _iso(approved),
                "explanation": (explanation or "")[:300],
            },
        )
        for version_id, org_id, item_id, number, titles, approved, explanation in rows
    ]


def late_requests(on: date) -> list[Condition]:
    r = DisclosureRequest
    late = or_(
        and_(r.decided_on.is_not(None), r.decided_on > r.deadline),
        and_(r.state.in_(REQUEST_OPEN), r.deadline < on),
    )
    query = _units(
        select(r.id, r.org_id, r.year, r.seq, r.deadline, r.decided_on).where(late), r.org_id
    )
    return [
        Condition(
            org_id,
            "late_request",
            f"request:{req_id}",
            "request",
            req_id,
            {
                "request_id": req_id,
                "number": f"{year}-{seq:04d}",
                "deadline_on": _iso(deadline),
                "decided_on": _iso(decided),
            },
        )
        for req_id, org_id, year, seq, deadline, decided in db.session.execute(query)
    ]


def late_feedback(on: date) -> list[Condition]:
    f = FeedbackEntry
    late = or_(
        and_(f.answered_on.is_not(None), f.answered_on > f.due_on),
        and_(f.state.in_(FEEDBACK_OPEN), f.due_on < on),
    )
    query = _units(
        select(f.id, f.org_id, f.receipt, f.due_on, f.answered_on).where(
            f.spam.is_(False), f.due_on.is_not(None), late
        ),
        f.org_id,
    )
    return [
        Condition(
            org_id,
            "late_feedback",
            f"feedback:{entry_id}",
            "feedback",
            entry_id,
            {
                "feedback_id": entry_id,
                "receipt": receipt,
                "due_on": _iso(due),
                "answered_on": _iso(answered),
            },
        )
        for entry_id, org_id, receipt, due, answered in db.session.execute(query)
    ]


def early_closes(_on: date) -> list[Condition]:
    a = NoticeCloseAttempt
    attempts = (
        select(
            a.item_id,
            a.org_id,
            func.count(a.id).label("attempts"),
            func.min(a.at).label("first_at"),
            func.max(a.at).label("last_at"),
        )
        .group_by(a.item_id, a.org_id)
        .subquery()
    )
    current, joined = _titles_of_items()
    query = _units(
        select(
            attempts.c.item_id,
            attempts.c.org_id,
            attempts.c.attempts,
            attempts.c.first_at,
            attempts.c.last_at,
            current.c.titles,
        )
        .join(Item, Item.id == attempts.c.item_id)
        .outerjoin(current, joined),
        attempts.c.org_id,
    )
    return [
        Condition(
            org_id,
            "early_close",
            f"item:{item_id}",
            "item",
            item_id,
            {
                "item_id": item_id,
                "attempts": count,
                "first_at": _iso(first),
                "last_at": _iso(last),
                "titles": dict(titles or {}),
            },
        )
        for item_id, org_id, count, first, last, titles in db.session.execute(query)
    ]


def secrecy_revocations(_on: date) -> list[Condition]:
    current, joined = _titles_of_items()
    query = _units(
        select(Item.id, Item.org_id, Item.state, current.c.titles, Item.revocation_explanation)
        .outerjoin(current, joined)
        .where(
            Item.revocation_reason == "secrecy",
            Item.state.in_(("revocation_pending", "revoked")),
        ),
        Item.org_id,
    )
    return [
        Condition(
            org_id,
            "secrecy_revocation",
            f"item:{item_id}",
            "item",
            item_id,
            {
                "item_id": item_id,
                "titles": dict(titles or {}),
                "explanation": (explanation or "")[:300],
            },
        )
        for item_id, org_id, _state, titles, explanation in db.session.execute(query)
    ]


DETECTORS = (
    overdue_disclosures,
    corrections,
    late_requests,
    late_feedback,
    early_closes,
    secrecy_revocations,
)


def detect(on: date) -> list[Condition]:
    """Every condition to flag on day ``on`` (one query per kind)."""
    return [condition for detector in DETECTORS for condition in detector(on)]
