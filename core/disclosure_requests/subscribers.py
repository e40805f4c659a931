"""Reactions to request and calendar events, in the sender's transaction.

* Every decision on a request is written to the unit's register (ARC-1, action
  ``request_decision``) with its outcome, dates and the approvals from the workflow history;
  a superior's review of an escalation is written to the superior's register.
* When a year of the working-day calendar is loaded, the deadlines of the open requests are
  computed again (provisional ones become firm).
* People are told (:mod:`core.notifications`): the unit's handlers of a new request, the
  applicant of an extension and of a decision, the superior of a filing and of an escalation.
"""

from __future__ import annotations

from sqlalchemy import select

from core import db, events
from core.disclosure_requests import forms, labels, operations
from core.notifications import operations as ops
from core.register import operations as register
from core.workflow.models import WorkflowStep
from tenants.models import Organisation, User

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


# --- notifications (:mod:`core.notifications`) -----------------------------------------------


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None


def request_params(req, org: Organisation, **extra) -> dict:
    return {
        "org": ops.org_names(org),
        "subject": ops.excerpt(getattr(req, "content", ""), 60),
        "number": getattr(req, "number", ""),
        "deadline_on": req.deadline.isoformat() if getattr(req, "deadline", None) else "",
        **extra,
    }


def request_link(req, org: Organisation, *, applicant: bool = False) -> str | None:
    """The request's page: the applicant's own view, or the unit's console."""
    endpoint = "requests.detail" if applicant else "requests_admin.detail"
    return ops.path_for(endpoint, org_code=org.code, request_id=req.id)


def outcome_label(outcome: str | None) -> dict[str, str] | str:
    """The outcome's label in every language (the label the request pages show)."""
    if outcome in forms.OUTCOMES:
        return ops.texts(forms.OUTCOMES[outcome])
    return outcome or ""


@events.request_submitted.connect
def on_request_submitted(req, *, actor=None, **_kw) -> None:
    org = req.organisation
    ops.notify(
        ops.recipients("requests.handle", org),
        "requests.submitted",
        org=org,
        params=request_params(req, org),
        link=request_link(req, org),
        about=("disclosure_request", req.id),
        exclude=[actor],
    )


@events.request_extended.connect
def on_request_extended(req, *, actor=None, reason="", **_kw) -> None:
    org = req.organisation
    ops.notify(
        [_user(req.applicant_id)],
        "requests.extended",
        org=org,
        params=request_params(req, org, reason=ops.excerpt(reason, 300)),
        link=request_link(req, org, applicant=True),
        about=("disclosure_request", req.id),
        exclude=[actor],
    )


@events.request_decided.connect
def on_request_decided(req, *, actor=None, outcome=None, filed_with=None, **_kw) -> None:
    org = req.organisation
    params = request_params(req, org, outcome=outcome_label(outcome or req.outcome))
    ops.notify(
        [_user(req.applicant_id)],
        "requests.decided",
        org=org,
        params=params,
        link=request_link(req, org, applicant=True),
        about=("disclosure_request", req.id),
        exclude=[actor],
    )
    if filed_with is not None:
        ops.notify(
            ops.recipients("requests.receive_filing", org, at=filed_with),
            "requests.filed",
            org=filed_with,
            params={**params, "org": ops.org_names(filed_with), "unit": ops.org_names(org)},
            link=ops.path_for("requests_admin.filings", org_code=filed_with.code),
            about=("disclosure_request", req.id),
            exclude=[actor],
        )


@events.request_escalated.connect
def on_request_escalated(req, *, actor=None, to_org=None, **_kw) -> None:
    org = req.organisation
    if to_org is None:
        return
    ops.notify(
        ops.recipients("requests.review_escalation", org, at=to_org),
        "requests.escalated",
        org=to_org,
        params={
            **request_params(req, org),
            "org": ops.org_names(to_org),
            "unit": ops.org_names(org),
        },
        link=ops.path_for("requests_admin.escalations", org_code=to_org.code),
        about=("disclosure_request", req.id),
        exclude=[actor],
    )


@operations.review_decided.connect
def on_review_told(req, *, actor, escalation, **_kw) -> None:
    """The superior's review (REQ-5): the applicant learns the outcome; an order to reconsider
    goes to the unit's handlers, with the new deadline."""
    org = req.organisation
    superior = db.session.get(Organisation, escalation.to_org_id)
    upheld = escalation.state == "upheld"
    outcome = labels.ESCALATION_LABELS["upheld" if upheld else "reconsider"]
    params = {
        **request_params(req, org), "unit": ops.org_names(org), "org": ops.org_names(superior),
        "outcome": ops.texts(outcome), "comment": ops.excerpt(escalation.comment or "", 300) or "—",
    }  # fmt: skip
    ops.notify(
        [_user(req.applicant_id)], "requests.review_decided", org=superior, params=params,
        link=request_link(req, org, applicant=True), about=("disclosure_request", req.id),
        exclude=[actor],
    )  # fmt: skip
    if not upheld:
        ops.notify(
            ops.recipients("requests.handle", org), "requests.reconsider", org=org,
            params={**params, "org": ops.org_names(org), "superior": ops.org_names(superior)},
            link=request_link(req, org), about=("disclosure_request", req.id), exclude=[actor],
        )  # fmt: skip
