"""The checks of an item that its workflow's guards and its operations share (no writes):
PUB-1 (the plan is complete), PUB-2 (the latest review), PUB-3 (the superior's approval is
needed). :mod:`core.items.workflow` and :mod:`core.items.operations` both use them, so that
neither imports the other back.
"""

from __future__ import annotations

from sqlalchemy import select

from core import db
from core.i18n import _
from core.items.models import Item, ItemReview, ItemVersion
from core.params import operations as params


def versions(item: Item) -> list[ItemVersion]:
    return list(
        db.session.scalars(
            select(ItemVersion).where(ItemVersion.item_id == item.id).order_by(ItemVersion.number)
        )
    )


def pending_version(item: Item) -> ItemVersion | None:
    """The newest version when it is not (yet) the current one (a draft amendment)."""
    newest = versions(item)[-1:] or [None]
    return newest[0] if newest[0] is not None and newest[0].id != item.current_version_id else None


def latest_review(item: Item) -> ItemReview | None:
    return db.session.scalar(
        select(ItemReview)
        .where(ItemReview.item_id == item.id)
        .order_by(ItemReview.id.desc())
        .limit(1)
    )


def needs_superior(item: Item) -> bool:
    """Off-catalogue items always, and items whose scope the parameter escalates (PUB-3)."""
    if item.off_catalogue or item.escalate:
        return True
    return item.scope in params.value(item.organisation, "items.escalate_scopes")


PLAN_PARTS = {
    "title": _("the title"),
    "content": _("the text"),
    "channels": _("the channels"),
    "planned_at": _("the planned publication time"),
    "decision_date": _("the decision date"),
}
"""What a plan must have before it is proposed (PUB-1), as the refusal names it."""


def plan_problems(item: Item) -> list[str]:
    """The parts of :data:`PLAN_PARTS` the plan still lacks (PUB-1: content, scope, time,
    channels), by name."""
    problems = []
    version = item.current_version or pending_version(item)
    if version is None or not version.titles.get("zh_Hans_CN"):
        problems.append("title")
    if version is None or not version.bodies.get("zh_Hans_CN"):
        problems.append("content")
    if not item.channels:
        problems.append("channels")
    if item.planned_at is None:
        problems.append("planned_at")
    if item.decision_date is None:
        problems.append("decision_date")
    return problems
