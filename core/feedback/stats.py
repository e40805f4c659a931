"""Statistics of the ledger, per unit and per subtree: entries by channel and by state, answers
on time (answered on or before the due date, of the answered entries that had one), overdue
entries (open past their due date), published answers and rectifications.

One grouped query whatever the number of units and entries; spam is never counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, select

from core import db
from core.feedback.models import OPEN_STATES, FeedbackEntry
from tenants.models import Organisation


@dataclass
class Stats:
    total: int = 0
    by_channel: Counter = field(default_factory=Counter)
    by_state: Counter = field(default_factory=Counter)
    answered: int = 0
    timed: int = 0  # answered, with a due date
    on_time: int = 0
    overdue: int = 0
    published: int = 0
    rectifications: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """Share of the answered entries (with a due date) answered on time; None without any."""
        return self.on_time / self.timed if self.timed else None

    @property
    def open(self) -> int:
        return sum(self.by_state[s] for s in OPEN_STATES)

    def add(self, other: Stats) -> None:
        self.total += other.total
        self.by_channel.update(other.by_channel)
        self.by_state.update(other.by_state)
        for name in ("answered", "timed", "on_time", "overdue", "published", "rectifications"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _one(flag) -> object:
    return func.coalesce(func.sum(case((flag, 1), else_=0)), 0)


def compute(
    org: Organisation,
    *,
    subtree: bool,
    today: date,
    date_from: date | None = None,
    date_to: date | None = None,
) -> tuple[Stats, dict[int, Stats]]:
    """``(total, {org_id: stats})`` of ``org`` (and its subtree) for entries received between
    ``date_from`` and ``date_to`` (inclusive, optional)."""
    E = FeedbackEntry
    query = select(
        E.org_id,
        E.channel,
        E.state,
        func.count(E.id),
        _one(E.answered_on.is_not(None)),
        _one(and_(E.answered_on.is_not(None), E.due_on.is_not(None))),
        _one(and_(E.answered_on.is_not(None), E.due_on.is_not(None), E.answered_on <= E.due_on)),
        _one(and_(E.state.in_(OPEN_STATES), E.due_on.is_not(None), E.due_on < today)),
        _one(E.published_at.is_not(None)),
        _one(E.rectification_measures.is_not(None)),
    ).where(E.spam.is_(False))
    if subtree:
        query = query.join(Organisation, Organisation.id == E.org_id).where(
            Organisation.path.startswith(org.path, autoescape=True)
        )
    else:
        query = query.where(E.org_id == org.id)
    if date_from:
        query = query.where(E.received_on >= date_from)
    if date_to:
        query = query.where(E.received_on <= date_to)
    query = query.group_by(E.org_id, E.channel, E.state)
    total = Stats()
    per_org: dict[int, Stats] = {}
    for (
        org_id,
        channel,
        state,
        n,
        answered,
        timed,
        on_time,
        overdue,
        published,
        rect,
    ) in db.session.execute(query):
        part = Stats(
            total=n,
            by_channel=Counter({channel: n}),
            by_state=Counter({state: n}),
            answered=int(answered),
            timed=int(timed),
            on_time=int(on_time),
            overdue=int(overdue),
            published=int(published),
            rectifications=int(rect),
        )
        per_org.setdefault(org_id, Stats()).add(part)
        total.add(part)
    return total, per_org
