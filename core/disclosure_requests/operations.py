"""Disclosure request operations: the only code that changes requests.

Each public function validates, runs at most one workflow transition (:mod:`.workflow`) and sends
its domain event (``core.events.request_*``) in the caller's unit of work; the register, the
notifications and the year-loaded recompute listen to them (``subscribers`` modules).

The package's modules: :mod:`.reading` (queries), :mod:`.deadlines` (REQ-2, REQ-4: working days
of the official calendar, paused by consultations), :mod:`.filing` (REQ-1), :mod:`.decisions`
(REQ-3, REQ-5); this module holds the other steps — accepting, extending, consulting, the
applicant's amendment and escalation, the superior's review, the acknowledgement of filings and
the sweeps — and is where callers find them all.
"""

from __future__ import annotations

from datetime import date

from blinker import Namespace
from flask_babel import gettext
from sqlalchemy import func, select

from core import audit, db, events, permissions
from core.disclosure_requests import workflow as wf

# Deadlines, filing and decisions, and the reading queries, live in modules of their own; the
# request's callers keep finding them here, the package's service module.
from core.disclosure_requests.deadlines import consultations as consultations
from core.disclosure_requests.deadlines import explain as explain
from core.disclosure_requests.deadlines import (
    overdue,
    refresh_deadline,
    refresh_open_deadlines,
    today,
)
from core.disclosure_requests.decisions import _require_state
from core.disclosure_requests.decisions import ask_amendment as ask_amendment
from core.disclosure_requests.decisions import decide as decide
from core.disclosure_requests.decisions import reject_invalid as reject_invalid
from core.disclosure_requests.filing import MAX
from core.disclosure_requests.filing import file as file
from core.disclosure_requests.filing import realname_problem as realname_problem
from core.disclosure_requests.filing import record as record
from core.disclosure_requests.models import (
    ESCALABLE_OUTCOMES,
    DisclosureRequest,
    RequestConsultation,
    RequestDecision,
    RequestEscalation,
)
from core.disclosure_requests.reading import attachment as attachment
from core.disclosure_requests.reading import attachments as attachments
from core.disclosure_requests.reading import (
    current_decision,
    is_applicant,
    open_consultation,
    parent_of,
    pending_escalation,
)
from core.disclosure_requests.reading import decisions as decisions
from core.disclosure_requests.reading import escalations as escalations
from core.disclosure_requests.reading import get as get
from core.disclosure_requests.reading import history as history
from core.disclosure_requests.reading import linkable_items as linkable_items
from core.disclosure_requests.reading import may_read as may_read
from core.disclosure_requests.reading import of_applicant as of_applicant
from core.disclosure_requests.reading import public_items as public_items
from core.errors import NotFound, Problem, UserError
from core.i18n import _
from core.params import operations as params
from core.workflow import engine
from core.workflow.engine import SYSTEM, TransitionRefused
from tenants.models import Organisation

signals = Namespace()
review_decided = signals.signal("request-review-decided")
"""``sender``: the DisclosureRequest; ``actor``, ``escalation``: the decided RequestEscalation
(its ``state`` is ``upheld`` or ``reconsider``). The register writes it in the superior's book."""


# --- the workflow: the unit ------------------------------------------------------------------


def accept(req: DisclosureRequest, *, actor) -> DisclosureRequest:
    engine.run(wf.request, req, "accept", actor=actor)
    return req


def extend(req: DisclosureRequest, *, actor, reason: str, days: int | None = None):
    """The one extension (REQ-2): up to ``request.extension_working_days`` working days from the
    original due date, with a reason; the applicant is told (event ``request_extended``)."""
    _require_state(req, "extend")
    limit = params.value(req.organisation, "request.extension_working_days")
    days = limit if days in (None, "") else days
    problems = []
    try:
        days = int(days)
    except (TypeError, ValueError):
        problems.append(Problem("days", _("a whole number")))
        days = 0
    if not problems and not 1 <= days <= limit:
        problems.append(Problem("days", _("from 1 to %(n)s working days", n=limit)))
    if not (reason or "").strip():
        problems.append(Problem("reason", _("an extension needs a reason")))
    if problems:
        raise UserError(_("The deadline was not extended."), problems=problems)
    reason = reason.strip()[: MAX["text"]]
    on = today(req.organisation)

    def effect(r: DisclosureRequest) -> None:
        r.extension_days, r.extension_reason, r.extended_on = days, reason, on
        refresh_deadline(r)

    engine.run(
        wf.request, req, "extend", actor=actor, inputs={"reason": reason, "days": days},
        effect=effect,
    )  # fmt: skip
    events.request_extended.send(req, actor=actor, reason=reason)
    return req


def start_consultation(
    req: DisclosureRequest, *, actor, third_party: str, question: str, started_on=None
) -> RequestConsultation:
    """Consult a third party (REQ-4): the clock pauses from ``started_on`` (today)."""
    _require_state(req, "start_consultation")
    problems = []
    third_party = (third_party or "").strip()
    question = (question or "").strip()
    if not third_party:
        problems.append(Problem("third_party", _("name the third party")))
    if len(third_party) > 200:
        problems.append(Problem("third_party", _("at most %(n)s characters", n=200)))
    if not question:
        problems.append(Problem("question", _("what is the third party asked?")))
    if problems:
        raise UserError(_("The consultation was not started."), problems=problems)
    started_on = started_on or today(req.organisation)
    consultation = RequestConsultation(
        request_id=req.id,
        org_id=req.org_id,
        third_party=third_party,
        question=question[: MAX["text"]],
        started_on=started_on,
        started_by_id=getattr(actor, "id", None),
    )

    def effect(r: DisclosureRequest) -> None:
        db.session.add(consultation)
        db.session.flush()
        refresh_deadline(r)

    engine.run(
        wf.request, req, "start_consultation", actor=actor,
        inputs={"third_party": third_party, "comment": question}, effect=effect,
    )  # fmt: skip
    return consultation


def end_consultation(req: DisclosureRequest, *, actor, opinion: str = "", ended_on=None):
    """The third party answered (or the time for it is over): the clock runs again."""
    _require_state(req, "end_consultation")
    consultation = open_consultation(req)
    if consultation is None:
        raise UserError(_("No consultation is running."))
    ended_on = ended_on or today(req.organisation)
    if ended_on < consultation.started_on:
        raise UserError(_("The consultation cannot end before it started."))

    def effect(r: DisclosureRequest) -> None:
        consultation.ended_on = ended_on
        consultation.opinion = (opinion or "").strip()[: MAX["text"]] or None
        consultation.ended_by_id = getattr(actor, "id", None)
        db.session.flush()
        refresh_deadline(r)

    engine.run(
        wf.request, req, "end_consultation", actor=actor,
        inputs={"comment": opinion}, effect=effect,
    )  # fmt: skip
    return consultation


# --- the applicant's steps -------------------------------------------------------------------


def amend(req: DisclosureRequest, *, user, amendment: str) -> DisclosureRequest:
    """The applicant makes an unclear request clear: the clock starts again today."""
    if not is_applicant(user, req):
        raise NotFound(_("There is no such request."))
    _require_state(req, "amend")
    amendment = (amendment or "").strip()
    problems = []
    if not amendment:
        problems.append(Problem("amendment", _("write what you want to make clear")))
    if len(amendment) > MAX["content"]:
        problems.append(Problem("amendment", _("at most %(n)s characters", n=MAX["content"])))
    if problems:
        raise UserError(_("The amendment was not sent."), problems=problems)
    org = req.organisation
    on = today(org)

    def effect(r: DisclosureRequest) -> None:
        r.amendment, r.amended_on = amendment, on
        r.outcome = r.decided_on = None
        _restart_clock(r, on)

    engine.run(
        wf.request, req, "amend", actor=wf.Applicant(user), inputs={"comment": amendment},
        effect=effect,
    )  # fmt: skip
    events.request_submitted.send(req, actor=user)
    return req


def _restart_clock(req: DisclosureRequest, on: date) -> None:
    req.clock_start = on
    req.decision_days = params.value(req.organisation, "request.decision_working_days")
    req.extension_days = req.extension_reason = req.extended_on = None
    refresh_deadline(req, on=on)


def escalation_refusal(req: DisclosureRequest, *, on: date | None = None) -> str | None:
    """Why the applicant may not escalate ``req`` now (None: they may)."""
    org = req.organisation
    if org.parent_id is None:
        return gettext("This organisation has no superior to escalate to.")
    if pending_escalation(req) is not None:
        return gettext("The superior organisation is already reviewing this request.")
    if req.state == "decided":
        if req.outcome not in ESCALABLE_OUTCOMES:
            return gettext("Only a decline, a partial grant or “not held” can be escalated.")
        decision = current_decision(req)
        if decision is not None and db.session.scalar(
            select(func.count())
            .select_from(RequestEscalation)
            .where(RequestEscalation.decision_id == decision.id)
        ):
            return gettext("The superior organisation already reviewed this decision.")
        return None
    if req.state in ("submitted", "accepted"):
        if overdue(req, on):
            return None
        return gettext("You may escalate when the deadline has passed without a decision.")
    return gettext("This request cannot be escalated in its present state.")


def escalate(req: DisclosureRequest, *, user, grounds: str) -> RequestEscalation:
    """The applicant asks the next level to review a decline, partial grant or "not held", or a
    request whose deadline passed without a decision (REQ-5)."""
    if not is_applicant(user, req):
        raise NotFound(_("There is no such request."))
    grounds = (grounds or "").strip()
    refusal = escalation_refusal(req)
    problems = []
    if refusal:
        raise TransitionRefused(_("The request was not escalated."), problems=[refusal])
    if not grounds:
        problems.append(Problem("grounds", _("say why the superior should review it")))
    if len(grounds) > MAX["content"]:
        problems.append(Problem("grounds", _("at most %(n)s characters", n=MAX["content"])))
    if problems:
        raise UserError(_("The request was not escalated."), problems=problems)
    parent = parent_of(req.organisation)
    decision = current_decision(req) if req.state == "decided" else None
    escalation = RequestEscalation(
        request_id=req.id,
        org_id=req.org_id,
        to_org_id=parent.id,
        decision_id=decision.id if decision is not None else None,
        from_state=req.state,
        grounds=grounds,
        escalated_by_id=user.id,
    )

    def effect(_r: DisclosureRequest) -> None:
        db.session.add(escalation)
        db.session.flush()

    engine.run(
        wf.request, req, "escalate", actor=wf.Applicant(user), inputs={"reason": grounds},
        effect=effect,
    )  # fmt: skip
    events.request_escalated.send(req, actor=user, to_org=parent)
    return escalation


# --- the superior ----------------------------------------------------------------------------


def decide_escalation(
    req: DisclosureRequest, *, actor, uphold: bool, comment: str | None = None
) -> RequestEscalation:
    """The superior's review: uphold the decision, or order the unit to reconsider (back to
    accepted with a new deadline counted from today)."""
    escalation = pending_escalation(req)
    name = "uphold" if uphold else "reconsider"
    _require_state(req, name)
    if escalation is None:
        raise UserError(_("There is no escalation to decide."))
    comment = (comment or "").strip() or None
    on = today(req.organisation)

    def effect(r: DisclosureRequest) -> None:
        escalation.state = "upheld" if uphold else "reconsider"
        escalation.decided_at = db.utcnow()
        escalation.decided_by_id = getattr(actor, "id", None)
        escalation.comment = comment
        if not uphold:
            r.outcome = r.decided_on = None
            _restart_clock(r, on)

    engine.run(wf.request, req, name, actor=actor, inputs={"comment": comment}, effect=effect)
    review_decided.send(req, actor=actor, escalation=escalation)
    return escalation


def acknowledge_filing(decision: RequestDecision, *, actor, note: str | None = None):
    """The superior acknowledges a filed decision (read; the filing itself changes nothing)."""
    if decision.filed_with_id is None:
        raise NotFound(_("This decision was not filed with a superior."))
    if not permissions.may(actor, "requests.receive_filing", decision.request):
        raise UserError(_("Only an admin or reviewer of a superior organisation may acknowledge."))
    if decision.acknowledged_at is not None:
        raise TransitionRefused(_("This filing was acknowledged already."))
    decision.acknowledged_at = db.utcnow()
    decision.acknowledged_by_id = getattr(actor, "id", None)
    decision.acknowledgement = (note or "").strip()[: MAX["text"]] or None
    db.session.flush()
    audit.log(
        "request.filing_acknowledged",
        "disclosure_request",
        decision.request_id,
        org_id=decision.filed_with_id,
        actor=actor,
        changes={"decision": [None, decision.id], "note": [None, decision.acknowledgement]},
    )
    return decision


def filings(org: Organisation) -> list[RequestDecision]:
    """Filed decisions of the units strictly below ``org`` (SUP-1), newest first."""
    return list(
        db.session.scalars(
            select(RequestDecision)
            .join(Organisation, Organisation.id == RequestDecision.org_id)
            .where(
                RequestDecision.filed_with_id.is_not(None),
                Organisation.path.startswith(org.path, autoescape=True),
                Organisation.id != org.id,
            )
            .order_by(RequestDecision.decided_at.desc(), RequestDecision.id.desc())
        )
    )


def waiting_escalations(org: Organisation) -> list[RequestEscalation]:
    """Pending escalations of requests of the units strictly below ``org``."""
    return list(
        db.session.scalars(
            select(RequestEscalation)
            .join(Organisation, Organisation.id == RequestEscalation.org_id)
            .where(
                RequestEscalation.state == "pending",
                Organisation.path.startswith(org.path, autoescape=True),
                Organisation.id != org.id,
            )
            .order_by(RequestEscalation.escalated_at, RequestEscalation.id)
        )
    )


# --- sweeps (jobs) ---------------------------------------------------------------------------


def lapse_due() -> int:
    """Unclear requests not amended within their days lapse."""
    count = 0
    candidates = db.session.scalars(
        select(DisclosureRequest).where(DisclosureRequest.state == "awaiting_amendment")
    ).all()
    for req in candidates:
        if req.amend_due is not None and req.amend_due >= today(req.organisation):
            continue
        engine.run(wf.request, req, "lapse", actor=SYSTEM)
        count += 1
    return count


def refresh_consulting() -> int:
    """Keep the deadlines of requests in consultation as if it ended today."""
    return refresh_open_deadlines(states=("consulting",))
