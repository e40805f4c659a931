"""Reactions to the feedback ledger's events: a closed entry is registered (ARC-1); whoever
assigns is told of a new entry, a handler of their assignment (:mod:`core.notifications`).

The register:

The entry written in the closing transaction holds the channel, the dates (received, due,
answered, closed), the workflow's steps (who assigned, answered, closed, when), whether the answer
and the rectification's result were published (and, if not, why) — never the submitter's words,
name or contact details.
"""

from __future__ import annotations

from sqlalchemy import select

from core import db, events
from core.notifications import operations as ops
from core.register import operations as register
from core.workflow.models import WorkflowStep
from tenants.models import Organisation, User

TITLE_CHARS = 60


def _approvals(entry) -> list[dict]:
    steps = db.session.scalars(
        select(WorkflowStep)
        .where(WorkflowStep.object_type == "feedback", WorkflowStep.object_id == entry.id)
        .order_by(WorkflowStep.id)
    )
    return [{"step": s.transition, "by": s.actor_label, "at": s.at.isoformat()} for s in steps]


def _title(entry) -> str:
    """The receipt number and, when published, the unit's public summary: the register keeps no
    submitter's words (they may name people, and the register is never edited)."""
    if not entry.published:
        return entry.receipt
    text = " ".join((entry.public_question or "").split())
    if len(text) > TITLE_CHARS:
        text = text[: TITLE_CHARS - 1] + "…"
    return f"{entry.receipt} {text}".strip()


def _iso(value):
    return value.isoformat() if value is not None else None


@events.feedback_closed.connect
def on_closed(entry, *, actor, **_kw) -> None:
    register.append(
        entry.organisation,
        "feedback_closed",
        object_type="feedback",
        object_id=entry.id,
        title=_title(entry),
        scope="public" if entry.published else None,
        channels=["website"] if entry.published else [],  # the answers page
        approvals=_approvals(entry),
        data={
            "receipt": entry.receipt,
            "channel": entry.channel,
            "received_on": _iso(entry.received_on),
            "due_on": _iso(entry.due_on),
            "answered_on": _iso(entry.answered_on),
            "answer_channel": entry.answer_channel,
            "anonymous": entry.anonymous,
            "published_at": _iso(entry.published_at),
            "answer_published": entry.answer_published,
            "rectification": entry.has_rectification,
            "rectification_done_on": _iso(entry.rectification_done_on),
            "rectification_public": entry.rectification_public if entry.has_rectification else None,
            "rectification_private_reason": entry.rectification_private_reason,
            "item_id": entry.item_id,
        },
        actor=actor,
        # the public register: the receipt and the unit's published summary, never the
        # submitter's words or name, nor a reason kept from the public
        public=(
            {
                "title": _title(entry),
                "receipt": entry.receipt,
                "answered_on": _iso(entry.answered_on),
                "published_at": _iso(entry.published_at),
            }
            if entry.published
            else None
        ),
    )


@events.workdays_year_loaded.connect
def on_year_loaded(year, *, actor=None, **_kw) -> None:
    """A year of the holiday calendar was loaded: recompute the provisional due dates of open
    entries (a due date set by hand is never provisional, so it is kept)."""
    from core import audit
    from core.feedback import operations as feedback
    from core.feedback.models import OPEN_STATES, FeedbackEntry

    query = select(FeedbackEntry).where(
        FeedbackEntry.due_provisional.is_(True), FeedbackEntry.state.in_(OPEN_STATES)
    )
    for entry in db.session.scalars(query):
        before = entry.due_on
        entry.due_on, entry.due_provisional = feedback.default_due(
            entry.organisation, entry.received_on
        )
        if entry.due_on != before:
            audit.log(
                "feedback.due_recomputed",
                "feedback",
                entry.id,
                org_id=entry.org_id,
                actor=actor,
                changes={"due_on": [str(before), str(entry.due_on)], "year": [None, year]},
            )
    db.session.flush()


# --- notifications (:mod:`core.notifications`) -----------------------------------------------


def feedback_link(entry, org: Organisation) -> str | None:
    return ops.path_for("feedback_admin.detail", org_code=org.code, feedback_id=entry.id)


def feedback_params(entry, org: Organisation) -> dict:
    return {
        "org": ops.org_names(org),
        "excerpt": ops.excerpt(getattr(entry, "content", ""), 80),
        "receipt": getattr(entry, "receipt", ""),
        "due_on": entry.due_on.isoformat() if getattr(entry, "due_on", None) else "",
    }


@events.feedback_received.connect
def on_feedback_received(entry, *, actor=None, **_kw) -> None:
    if getattr(entry, "spam", False):
        return
    org = entry.organisation
    ops.notify(
        ops.recipients("feedback.assign", org),
        "feedback.received",
        org=org,
        params=feedback_params(entry, org),
        link=feedback_link(entry, org),
        about=("feedback", entry.id),
        exclude=[actor],
    )


@events.feedback_assigned.connect
def on_feedback_assigned(entry, *, actor=None, handler=None, due=None, **_kw) -> None:
    org = entry.organisation
    params = feedback_params(entry, org)
    if due is not None:
        params["due_on"] = due.isoformat()
    ops.notify(
        [handler],
        "feedback.assigned",
        org=org,
        params=params,
        link=feedback_link(entry, org),
        about=("feedback", entry.id),
        exclude=[actor],
    )


@events.feedback_closed.connect
def on_feedback_closed(entry, *, actor=None, **_kw) -> None:
    """The submitter who gave feedback signed in learns that it was answered (the page of the
    receipt shows the answer to whoever holds the receipt and its code)."""
    if entry.user_id is None:
        return
    org = entry.organisation
    ops.notify(
        [db.session.get(User, entry.user_id)], "feedback.closed_mine", org=org,
        params=feedback_params(entry, org),
        link=ops.path_for("feedback.lookup", org_code=org.code, receipt=entry.receipt),
        about=("feedback", entry.id), exclude=[actor],
    )  # fmt: skip
