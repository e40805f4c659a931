"""Reactions to request and calendar events, in the sender's transaction.

* Every decision on a request is written to the unit's register (ARC-1, action
  ``request_decision``) with its outcome, dates and the approvals from the workflow history;
  a superior's review of an escalation is written to the superior's register.
* When a year of the working-day calendar is loaded, the deadlines of the open requests are
  computed again (provisional ones become firm).
"""

from __future__ import annotations

from sqlalchemy import select

from core import db, events
from core.disclosure_requests import operations
from core.register import operations as register
from core.workflow.models import WorkflowStep

APPROVAL_STEPS = (
    "accept",
    "extend",
    "start_consultation",
    "end_consultation",
    "ask_amendment",
    "reject_invalid",
    "reconsider",
    "uphold",
    *(f"decide_{o}" for o in ("already_public", "granted", "granted_published",
                              "partly_granted", "declined", "not_held", "not_this_unit",
                              "duplicate")),
)  # fmt: skip


def _approvals(req) -> list[dict]:
    steps = db.session.scalars(
        select(WorkflowStep)
        .where(
            WorkflowStep.object_type == "disclosure_request",
            WorkflowStep.object_id == req.id,
            WorkflowStep.transition.in_(APPROVAL_STEPS),
        )
        .order_by(WorkflowStep.id)
    )
    return [{"step": s.transition, "by": s.actor_label, "at": s.at.isoformat()} for s in steps]


def _title(req) -> str:
    text = " ".join(req.content.split())
    return f"{req.number} {text[:80]}"


@events.request_decided.connect
def on_decided(req, *, actor, outcome, filed_with=None, **_kw) -> None:
    decision = operations.current_decision(req) or (operations.decisions(req) or [None])[-1]
    files = operations.attachments(req, decision) if decision is not None else []
    register.append(
        req.organisation,
        "request_decision",
        object_type="disclosure_request",
        object_id=req.id,
        title=_title(req),
        approvals=_approvals(req),
        attachments=[{"name": a.filename, "sha256": a.sha256} for a in files],
        data={
            "number": req.number,
            "outcome": outcome,
            "channel": req.channel,
            "received_on": req.received_on.isoformat(),
            "decided_on": decision.decided_on.isoformat() if decision else None,
            "deadline": req.deadline.isoformat(),
            "deadline_provisional": req.deadline_provisional,
            "extended": req.extension_days is not None,
            "reason_code": decision.reason_code if decision else None,
            "explanation": decision.explanation if decision else None,
            "item_id": decision.item_id if decision else None,
            "filed_with": filed_with.code if filed_with is not None else None,
        },
        actor=actor,
    )


@operations.review_decided.connect
def on_review_decided(req, *, actor, escalation, **_kw) -> None:
    superior = db.session.get(type(req.organisation), escalation.to_org_id)
    register.append(
        superior,
        "request_decision",
        object_type="disclosure_request",
        object_id=req.id,
        title=_title(req),
        approvals=_approvals(req),
        data={
            "number": req.number,
            "unit": req.organisation.code,
            "review": escalation.state,
            "outcome": req.outcome,
            "escalated_at": escalation.escalated_at.isoformat(),
            "decided_at": escalation.decided_at.isoformat() if escalation.decided_at else None,
            "deadline": req.deadline.isoformat(),
            "comment": escalation.comment,
        },
        actor=actor,
    )


@events.workdays_year_loaded.connect
def on_year_loaded(year, *, actor=None, **_kw) -> None:
    operations.refresh_open_deadlines(actor=actor)
