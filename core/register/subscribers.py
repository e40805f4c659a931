"""The register listens to the items (ARC-1): publication, withholding, amendment, revocation,
closure, and the widening of an item to the public (internal first, SCOPE-2: its publication to
society).

Each receiver appends one entry in the sender's transaction, with the approvals taken from the
item's workflow history and the attachments' names and digests.

What the public register shows of an entry (its ``public`` part, see
:func:`core.register.operations.append`) is decided here: the titles, plan and published
explanation of an item that the public can see at that moment (visible scope ``public``); for a
withholding of an item planned for the public, the fact and the superior it was filed with, never
its title or reason. Names of the people who approved are never public.
"""

from __future__ import annotations

from sqlalchemy import select

from core import db, events
from core.register import operations
from core.workflow.models import WorkflowStep

APPROVAL_STEPS = (
    "review",
    "approve",
    "superior_approve",
    "approve_amendment",
    "approve_revocation",
    "withhold",
)


def _approvals(item) -> list[dict]:
    steps = db.session.scalars(
        select(WorkflowStep)
        .where(
            WorkflowStep.object_type == "item",
            WorkflowStep.object_id == item.id,
            WorkflowStep.transition.in_(APPROVAL_STEPS),
        )
        .order_by(WorkflowStep.id)
    )
    return [{"step": s.transition, "by": s.actor_label, "at": s.at.isoformat()} for s in steps]


def _attachments(item, version) -> list[dict]:
    from core.items.operations import attachments

    return [{"name": a.filename, "sha256": a.sha256} for a in attachments(item, version)]


def public_details(item, version, action: str, *, explanation=None) -> dict | None:
    """What the public register shows of an item's entry, or None while the public cannot see
    the item (a withholding: only that an item planned for the public was withheld)."""
    if action == "withhold":
        return {} if item.scope == "public" else None
    if item.visible_scope != "public":
        return None
    details = {
        "titles": dict(version.titles or {}) if version else {},
        "scope": "public",
        "channels": list(item.channels or []),
        "entry_key": item.entry_key,
        "category_key": item.category_key,
        "period_key": item.period_key,
        "decision_date": item.decision_date.isoformat() if item.decision_date else None,
        "notice_ends_at": item.notice_ends_at.isoformat() if item.notice_ends_at else None,
        "attachments": _attachments(item, version) if version else [],
    }
    if explanation is not None:
        details["explanation"] = explanation
    return details


def _append(item, action: str, *, actor, version=None, data=None, explanation=None) -> None:
    version = version or item.current_version
    public = public_details(item, version, action, explanation=explanation)
    if action == "withhold" and public is not None and data and data.get("filed_with"):
        public["filed_with"] = data["filed_with"]
    operations.append(
        item.organisation,
        action,
        object_type="item",
        object_id=item.id,
        object_version=version.number if version else None,
        title=version.title("zh_Hans_CN") if version else "",
        scope=item.scope,
        channels=list(item.channels or []),
        approvals=_approvals(item),
        attachments=_attachments(item, version) if version else [],
        data={
            "entry_key": item.entry_key,
            "period_key": item.period_key,
            "decision_date": item.decision_date.isoformat() if item.decision_date else None,
            **(data or {}),
        },
        actor=actor,
        public=public,
    )


@events.item_published.connect
def on_published(item, *, actor, version, **_kw) -> None:
    _append(
        item,
        "publish",
        actor=actor,
        version=version,
        data={
            "visible_scope": item.visible_scope,
            "notice_ends_at": item.notice_ends_at.isoformat() if item.notice_ends_at else None,
            "late": item.late,
        },
    )


@events.item_withheld.connect
def on_withheld(item, *, actor, reason, filed_with, **_kw) -> None:
    _append(
        item,
        "withhold",
        actor=actor,
        data={
            "reason": reason,
            "filed_with": filed_with.code if filed_with is not None else None,
        },
    )


@events.item_amended.connect
def on_amended(item, *, actor, version, explanation, **_kw) -> None:
    _append(
        item,
        "amend",
        actor=actor,
        version=version,
        data={"explanation": explanation},
        explanation=explanation,
    )


@events.item_revoked.connect
def on_revoked(item, *, actor, explanation, **_kw) -> None:
    _append(item, "revoke", actor=actor, data={"explanation": explanation}, explanation=explanation)


@events.item_widened.connect
def on_widened(item, **_kw) -> None:
    """Internal first (SCOPE-2): the item's visible scope became its planned one; for a public
    item this is its publication to society, and the first public entry about it."""
    _append(item, "widen", actor=None, data={"visible_scope": item.visible_scope})


@events.item_closed.connect
def on_closed(item, *, actor, **_kw) -> None:
    """Closing a published item (its disclosure period, or a notice's, is over) is a recorded
    fact of ARC-1, written with its approvals like the publication."""
    closed_at = getattr(item, "closed_at", None)
    _append(
        item, "close", actor=actor, data={"closed_at": closed_at.isoformat() if closed_at else None}
    )
