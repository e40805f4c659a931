"""The ledger's lists (意见建议台账): its filters, the overdue entries, the published answers, and
the counting the statistics and the exports share. Queries only; the changes are
:mod:`core.feedback.operations`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext
from sqlalchemy import Select, case, func, select

from core import db, localtime
from core.feedback.models import CHANNELS, OPEN_STATES, STATES, FeedbackEntry
from tenants.models import Organisation


@dataclass
class Filters:
    """The ledger's filters (also the export's): received dates are the unit's local dates."""

    state: str | None = None
    channel: str | None = None
    overdue: bool = False
    handler_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    subtree: bool = False
    spam: bool = False
    only_handler_id: int | None = None  # a handler without a reading role sees their entries

    def problems(self) -> list[str]:
        found = []
        if self.state is not None and self.state not in STATES:
            found.append(gettext("Unknown state."))
        if self.channel is not None and self.channel not in CHANNELS:
            found.append(gettext("Unknown channel."))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            found.append(gettext("The start date is after the end date."))
        return found


def ledger_query(org: Organisation, filters: Filters, *, today: date | None = None) -> Select:
    """``select(FeedbackEntry)`` of ``org``'s ledger (its subtree's with ``filters.subtree``),
    newest first. The caller decides who may read it (``feedback.view``)."""
    query = select(FeedbackEntry)
    if filters.subtree:
        query = query.join(Organisation, Organisation.id == FeedbackEntry.org_id).where(
            Organisation.path.startswith(org.path, autoescape=True)
        )
    else:
        query = query.where(FeedbackEntry.org_id == org.id)
    query = query.where(FeedbackEntry.spam.is_(filters.spam))
    if filters.only_handler_id is not None:
        query = query.where(FeedbackEntry.handler_id == filters.only_handler_id)
    if filters.state:
        query = query.where(FeedbackEntry.state == filters.state)
    if filters.channel:
        query = query.where(FeedbackEntry.channel == filters.channel)
    if filters.handler_id:
        query = query.where(FeedbackEntry.handler_id == filters.handler_id)
    if filters.date_from:
        query = query.where(FeedbackEntry.received_on >= filters.date_from)
    if filters.date_to:
        query = query.where(FeedbackEntry.received_on <= filters.date_to)
    if filters.overdue:
        query = query.where(*overdue_conditions(today or localtime.today(org)))
    return query.order_by(FeedbackEntry.received_on.desc(), FeedbackEntry.id.desc())


def overdue_conditions(today: date) -> list:
    """SQL conditions of an overdue entry: open, not spam, due before ``today``."""
    return [
        FeedbackEntry.state.in_(OPEN_STATES),
        FeedbackEntry.spam.is_(False),
        FeedbackEntry.due_on.is_not(None),
        FeedbackEntry.due_on < today,
    ]


def overdue(org: Organisation | None = None, today: date | None = None) -> list[FeedbackEntry]:
    """Open entries past their due date (of ``org`` alone, or everywhere), oldest due first."""
    query = select(FeedbackEntry).where(*overdue_conditions(today or date.today()))
    if org is not None:
        query = query.where(FeedbackEntry.org_id == org.id)
    return list(db.session.scalars(query.order_by(FeedbackEntry.due_on, FeedbackEntry.id)))


def handles_any(user, org: Organisation) -> bool:
    """Is ``user`` the handler of some entry of ``org`` (the ledger of their own entries)?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(FeedbackEntry.id)
            .where(FeedbackEntry.org_id == org.id, FeedbackEntry.handler_id == user.id)
            .limit(1)
        )
        is not None
    )


def published_query(org: Organisation) -> Select:
    """Published entries of ``org`` (newest publication first): what the answers page shows."""
    return (
        select(FeedbackEntry)
        .where(
            FeedbackEntry.org_id == org.id,
            FeedbackEntry.published_at.is_not(None),
            FeedbackEntry.spam.is_(False),
        )
        .order_by(FeedbackEntry.published_at.desc(), FeedbackEntry.id.desc())
    )


def count(query: Select) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(
                query.order_by(None).with_only_columns(FeedbackEntry.id).subquery()
            )
        )
        or 0
    )


def on_time_case():
    return case((FeedbackEntry.answered_on <= FeedbackEntry.due_on, 1), else_=0)
