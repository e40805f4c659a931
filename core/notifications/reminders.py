"""Reminders: what the reminder sweep tells people, once per object and day at most (the
``dedup`` key of :func:`core.notifications.operations.notify`).

Each package registers its own reminders from its own module (``jobs.py``), as it registers its
notification kinds and its sweeps; this module runs them and offers what they share::

    from core.notifications import reminders

    @reminders.register("feedback.overdue")
    def feedback_overdue(now=None) -> int: ...   # how many notifications it made

Every reminder takes ``now`` (tests pass one; the sweep uses the clock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select

from core import db, permissions
from core.notifications import operations as ops
from tenants.models import Organisation, User

Reminder = Callable[[datetime | None], int]

_reminders: dict[str, Reminder] = {}


def register(name: str) -> Callable[[Reminder], Reminder]:
    """Register a reminder under ``name`` (``<package>.<what>``), at import time."""

    def decorate(func: Reminder) -> Reminder:
        _reminders[name] = func
        return func

    return decorate


def registered() -> dict[str, Reminder]:
    """Every registered reminder by name."""
    return dict(_reminders)


def run(name: str, now: datetime | None = None) -> int:
    """Run the reminder ``name`` now (tests; ``gongkai notifications remind`` runs them all)."""
    return _reminders[name](now)


def run_all(now: datetime | None = None) -> dict[str, int]:
    """Every reminder (the ``notification_reminders`` sweep), in the order of their names."""
    return {name: func(now) for name, func in sorted(_reminders.items())}


def overdue_period(due: date, today: date) -> str:
    """Which week of being overdue ``today`` is in: reminders of something overdue go on the
    first day past ``due`` and every seventh day after (``w0``, ``w1`` ...), not every day."""
    return f"w{((today - due).days - 1) // 7}"


# --- objects awaiting a superior's decision ---------------------------------------------------


def waiting_by_reviewer(action: str, waiting: list[tuple[int, Organisation]]):
    """``{(user, reviewer org id): count}`` of the objects (``(id, org)``) each holder of
    ``action`` (a ``superior`` action) decides on, by the inbox they appear in."""
    act = permissions.action(action)
    above = {a for _, org in waiting for a in org.ancestor_ids}
    by_org: dict[int, list[User]] = defaultdict(list)
    for org_id, user in ops.holders(act.roles, above):
        by_org[org_id].append(user)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    users: dict[int, User] = {}
    for _obj_id, org in waiting:
        candidates = {u.id: u for a in org.ancestor_ids for u in by_org.get(a, [])}
        allowed = {u.id for u in permissions.allowed(list(candidates.values()), action, org)}
        for reviewer_org in org.ancestor_ids:
            for user in by_org.get(reviewer_org, []):
                if user.id in allowed:
                    users[user.id] = user
                    counts[(user.id, reviewer_org)] += 1
    return counts, users


def tell_waiting(kind: str, action: str, endpoint: str, query, now: datetime | None) -> int:
    """Tell each holder of ``action`` above the waiting objects (``query`` selects their
    ``(id, Organisation)``), once a day, how many wait in their inbox (``endpoint``)."""
    waiting = [(obj_id, org) for obj_id, org in db.session.execute(query)]
    day = ops.local_day(now)
    counts, users = waiting_by_reviewer(action, waiting)
    if not counts:
        return 0
    orgs = {
        o.id: o
        for o in db.session.scalars(
            select(Organisation).where(Organisation.id.in_({k[1] for k in counts}))
        )
    }
    made = 0
    for (user_id, org_id), count in sorted(counts.items()):
        org = orgs[org_id]
        made += len(
            ops.notify(
                [users[user_id]],
                kind,
                org=org,
                params={"count": count, "org": ops.org_names(org)},
                link=ops.path_for(endpoint, org_code=org.code),
                dedup=f"{kind}:{org_id}:{day.isoformat()}",
            )
        )
    return made
