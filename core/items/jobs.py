"""The item sweeps, run by ``gongkai scheduler`` (or in-process in the embedded mode), and the
item reminders of the notification sweep (:mod:`core.notifications.reminders`): items awaiting a
superior's decision (one notification per reviewer and inbox a day, with the count) and notice
periods ending within a day (the unit's editors, once per notice)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core import db, jobs
from core.items import operations, timeliness
from core.items.models import Item
from core.notifications import operations as notify
from core.notifications import reminders
from tenants.models import Organisation

NOTICE_WARNING = timedelta(days=1)


@jobs.periodic(interval=60, name="publish_scheduled_items")
def publish_scheduled_items() -> int:
    return operations.publish_due()


@jobs.periodic(interval=300, name="widen_item_scopes")
def widen_item_scopes() -> int:
    return operations.widen_scopes()


@jobs.periodic(interval=300, name="close_notices")
def close_notices() -> int:
    return operations.close_notices()


@jobs.periodic(interval=3600, name="flag_overdue_disclosures")
def flag_overdue_disclosures() -> tuple[int, int]:
    return timeliness.refresh_all()


@reminders.register("items.awaiting_decision")
def awaiting_decision(now: datetime | None = None) -> int:
    """Tell each superior reviewer, once a day, how many items wait for their decision."""
    query = (
        select(Item.id, Organisation)
        .join(Organisation, Organisation.id == Item.org_id)
        .where(Item.state.in_(operations.DECISION_STATES))
    )
    return reminders.tell_waiting(
        "items.awaiting_decision", "items.decide", "items_admin.inbox", query, now
    )


@reminders.register("items.notice_ending")
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
            notify.notify(
                notify.recipients("items.edit", org),
                "items.notice_ending",
                org=org,
                params={
                    "title": dict(item.current_version.titles) if item.current_version else {},
                    "ends_at": item.notice_ends_at.isoformat(),
                    "org": notify.org_names(org),
                },
                link=notify.path_for("items_admin.detail", org_code=org.code, item_id=item.id),
                about=("item", item.id),
                dedup=f"items.notice_ending:{item.id}",
            )
        )
    return made
