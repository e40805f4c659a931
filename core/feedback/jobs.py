"""The feedback ledger's reminder (:mod:`core.notifications.reminders`): open feedback past its
due date goes to its handler and the unit's admins."""

from __future__ import annotations

from datetime import datetime

from core import db
from core.feedback import ledger
from core.feedback.subscribers import feedback_link, feedback_params
from core.notifications import operations as notify
from core.notifications import reminders
from tenants.models import User


@reminders.register("feedback.overdue")
def feedback_overdue(now: datetime | None = None) -> int:
    """Open feedback past its due date: its handler and the unit's admins, on the first day
    and every seventh day after while it stays open (spam is never due)."""
    today = notify.local_day(now)
    made = 0
    for entry in ledger.overdue(today=today):
        org = entry.organisation
        week = reminders.overdue_period(entry.due_on, today)
        people = [user for _org, user in notify.holders({"admin"}, [org.id])]
        if entry.handler_id is not None:
            handler = db.session.get(User, entry.handler_id)
            people.insert(0, handler)
        made += len(
            notify.notify(
                people,
                "feedback.overdue",
                org=org,
                params=feedback_params(entry, org),
                link=feedback_link(entry, org),
                about=("feedback", entry.id),
                dedup=f"feedback.overdue:{entry.id}:{week}",
            )
        )
    return made
