"""Reminders: what the sweeps of :mod:`core.notifications.jobs` tell people, once per object and
day at most (the ``dedup`` key of :func:`core.notifications.operations.notify`).

* items and catalogues awaiting a superior's decision: derived from the same facts as the
  superior's inboxes (``/admin/o/<code>/items/inbox``, ``/catalogue/inbox``), one notification
  per reviewer and inbox per day with the count, rather than one per event;
* notice periods ending within a day: the unit's editors, once per notice;
* disclosure request deadlines approaching (:data:`APPROACHING_WORKING_DAYS` working days before)
  and passed (the handlers, and the superior once passed), feedback overdue (the handler and the
  unit's admins): once the packages that hold them are installed (imported lazily).

Every function takes ``now`` (tests pass one; the sweeps use the clock).
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from types import ModuleType

from sqlalchemy import select

from core import db, permissions
from core.catalogue.models import Catalogue, CatalogueVersion
from core.items.models import Item
from core.notifications import operations as ops
from tenants.models import Organisation, User

ITEM_DECISION_STATES = ("superior_review", "amendment_pending", "revocation_pending")
"""The states of the superior's item inbox (``core.items.views.DECISION_STATES``)."""
APPROACHING_WORKING_DAYS = 3
NOTICE_WARNING = timedelta(days=1)


def optional(module: str) -> ModuleType | None:
    """A package written alongside this one, or None while it is not there."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def overdue_period(due: date, today: date) -> str:
    """Which week of being overdue ``today`` is in: reminders of something overdue go on the
    first day past ``due`` and every seventh day after (``w0``, ``w1`` ...), not every day."""
    return f"w{((today - due).days - 1) // 7}"


# --- awaiting a superior's decision ----------------------------------------------------------


def _waiting_by_reviewer(action: str, waiting: list[tuple[int, Organisation]]):
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
        allowed = {u.id for u in ops._plugins_allow(list(candidates.values()), action, org)}
        for reviewer_org in org.ancestor_ids:
            for user in by_org.get(reviewer_org, []):
                if user.id in allowed:
                    users[user.id] = user
                    counts[(user.id, reviewer_org)] += 1
    return counts, users


def _tell_waiting(kind: str, action: str, endpoint: str, waiting, day: date) -> int:
    counts, users = _waiting_by_reviewer(action, waiting)
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


def _with_orgs(rows) -> list[tuple[int, Organisation]]:
    return [(obj_id, org) for obj_id, org in rows]


def awaiting_decisions(now: datetime | None = None) -> int:
    """Tell each superior reviewer, once a day, how many items and catalogues wait for them."""
    day = ops.local_day(now)
    items = _with_orgs(
        db.session.execute(
            select(Item.id, Organisation)
            .join(Organisation, Organisation.id == Item.org_id)
            .where(Item.state.in_(ITEM_DECISION_STATES))
        )
    )
    catalogues = _with_orgs(
        db.session.execute(
            select(CatalogueVersion.id, Organisation)
            .join(Catalogue, Catalogue.id == CatalogueVersion.catalogue_id)
            .join(Organisation, Organisation.id == CatalogueVersion.org_id)
            .where(Catalogue.kind == "unit", CatalogueVersion.state == "submitted")
        )
    )
    return _tell_waiting(
        "items.awaiting_decision", "items.decide", "items_admin.inbox", items, day
    ) + _tell_waiting(
        "catalogue.awaiting_decision", "catalogue.decide", "catalogue_admin.inbox", catalogues, day
    )


# --- notice periods --------------------------------------------------------------------------


def notice_periods_ending(now: datetime | None = None) -> int:
    """Tell a unit's editors when one of its notices (公示) ends within a day (once per notice)."""
    now = now or db.utcnow()
    made = 0
    query = select(Item).where(
        Item.state == "published",
        Item.is_notice.is_(True),
        Item.notice_ends_at > now,
        Item.notice_ends_at <= now + NOTICE_WARNING,
    )
    for item in db.session.scalars(query.order_by(Item.id)):
        org = item.organisation
        made += len(
            ops.notify(
                ops.recipients("items.edit", org),
                "items.notice_ending",
                org=org,
                params={
                    "title": dict(item.current_version.titles) if item.current_version else {},
                    "ends_at": item.notice_ends_at.isoformat(),
                    "org": ops.org_names(org),
                },
                link=ops.path_for("items_admin.detail", org_code=org.code, item_id=item.id),
                about=("item", item.id),
                dedup=f"items.notice_ending:{item.id}",
            )
        )
    return made


# --- disclosure request deadlines -------------------------------------------------------------


def working_days_left(today: date, deadline: date) -> int:
    """Working days after ``today`` up to ``deadline`` (0: due today), by the official calendar
    (:mod:`core.workdays`), else counting Monday to Friday."""
    workdays = optional("core.workdays.operations")
    if workdays is not None:
        return workdays.working_days_between(today, deadline)
    days = range(1, (deadline - today).days + 1)
    return sum(1 for i in days if (today + timedelta(days=i)).weekday() < 5)


def request_deadlines(now: datetime | None = None) -> int:
    """Open requests due within :data:`APPROACHING_WORKING_DAYS` working days: the unit's
    handlers, every day. Passed: the handlers and the superior (its nearest level that receives
    filings), the day after and every seventh day after while it stays open. A consultation
    stops the clock: a request being consulted on never passes."""
    models = optional("core.disclosure_requests.models")
    if models is None:
        return 0
    from core.notifications.subscribers import request_link, request_params

    request = models.DisclosureRequest
    today = ops.local_day(now)
    made = 0
    rows = db.session.scalars(
        select(request)
        .where(request.state.in_(models.OPEN_STATES), request.deadline.is_not(None))
        .where(request.deadline <= today + timedelta(days=APPROACHING_WORKING_DAYS + 14))
        .order_by(request.deadline, request.id)
    )
    for req in rows:
        org = req.organisation
        handlers = ops.recipients("requests.handle", org)
        passed = req.deadline < today
        left = None if passed else working_days_left(today, req.deadline)
        if left is not None and left <= APPROACHING_WORKING_DAYS:
            made += len(
                ops.notify(
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
            superior = ops.recipients("requests.receive_filing", org, nearest=True)
            period = overdue_period(req.deadline, today)
            made += len(
                ops.notify(
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


# --- feedback overdue ------------------------------------------------------------------------


def feedback_overdue(now: datetime | None = None) -> int:
    """Open feedback past its due date: its handler and the unit's admins, on the first day
    and every seventh day after while it stays open (spam is never due)."""
    feedback = optional("core.feedback.operations")
    if feedback is None:
        return 0
    from core.notifications.subscribers import feedback_link, feedback_params

    today = ops.local_day(now)
    made = 0
    for entry in feedback.overdue(today=today):
        org = entry.organisation
        people = [user for _org, user in ops.holders({"admin"}, [org.id])]
        if entry.handler_id is not None:
            handler = db.session.get(User, entry.handler_id)
            people.insert(0, handler)
        made += len(
            ops.notify(
                people,
                "feedback.overdue",
                org=org,
                params=feedback_params(entry, org),
                link=feedback_link(entry, org),
                about=("feedback", entry.id),
                dedup=f"feedback.overdue:{entry.id}:{overdue_period(entry.due_on, today)}",
            )
        )
    return made


def run_all(now: datetime | None = None) -> dict[str, int]:
    """Every reminder (the ``notification_reminders`` sweep)."""
    return {
        "awaiting_decisions": awaiting_decisions(now),
        "notice_periods_ending": notice_periods_ending(now),
        "request_deadlines": request_deadlines(now),
        "feedback_overdue": feedback_overdue(now),
    }
