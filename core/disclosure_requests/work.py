"""The requests' groups of My work (:mod:`core.web.work`): open requests by deadline (REQ-2:
due within 3 working days marked, past due marked more strongly), filed decisions to
acknowledge and escalations to decide as the superior (REQ-5)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from core import db
from core.disclosure_requests import workflow as wf
from core.disclosure_requests.models import (
    OPEN_STATES,
    DisclosureRequest,
    RequestDecision,
    RequestEscalation,
)
from core.i18n import _
from core.web import work
from core.workdays import operations as workdays
from tenants.models import Organisation


def soon(ctx: work.Context):
    """The last day that counts as "due soon": 3 working days from today (official calendar)."""
    return ctx.remember("soon", lambda: workdays.due_soon_until(ctx.today))


def _summary(req: DisclosureRequest) -> str:
    text = " ".join((req.content or "").split())
    return text if len(text) <= 60 else text[:59] + "…"


@work.provider(
    "requests.deadline",
    _("Disclosure requests by deadline"),
    action=_("Handle"),
    roles=wf.HANDLERS,
    order=40,
)
def requests_by_deadline(ctx: work.Context):
    query = (
        select(DisclosureRequest, Organisation)
        .join(Organisation, Organisation.id == DisclosureRequest.org_id)
        .where(
            DisclosureRequest.state.in_(OPEN_STATES),
            DisclosureRequest.org_id.in_(ctx.org_ids(wf.HANDLERS)),
        )
        .order_by(DisclosureRequest.deadline, DisclosureRequest.id)
    )
    last_soon = None
    for req, org in db.session.execute(query):
        if not ctx.may("requests.handle", org):
            continue
        if last_soon is None:
            last_soon = soon(ctx)
        yield work.Row(
            org,
            _("Request %(number)s", number=req.number),
            url_for("requests_admin.detail", org_code=org.code, request_id=req.id),
            due=req.deadline,
            urgency=work.urgency(req.deadline, ctx.today, last_soon),
            note=_summary(req),
        )


@work.provider(
    "requests.filings",
    _("Request decisions to acknowledge"),
    action=_("Acknowledge"),
    roles=wf.SUPERIOR_DECIDERS,
    order=46,
)
def filings_to_acknowledge(ctx: work.Context):
    """Decisions filed by the units below the person's organisations, not yet acknowledged; each
    links to the filings page of the nearest organisation where the person may acknowledge."""
    query = (
        select(RequestDecision, DisclosureRequest, Organisation)
        .join(DisclosureRequest, DisclosureRequest.id == RequestDecision.request_id)
        .join(Organisation, Organisation.id == DisclosureRequest.org_id)
        .where(
            RequestDecision.filed_with_id.is_not(None),
            RequestDecision.acknowledged_at.is_(None),
            ctx.below(wf.SUPERIOR_DECIDERS),
        )
        .order_by(RequestDecision.decided_at, RequestDecision.id)
    )
    for decision, req, org in db.session.execute(query):
        reader = ctx.nearest_above(org, wf.SUPERIOR_DECIDERS)
        if reader is not None and ctx.may("requests.receive_filing", req):
            yield work.Row(
                org,
                _("Request %(number)s", number=req.number),
                url_for("requests_admin.filings", org_code=reader.code) + f"#filing-{decision.id}",
                note=_summary(req),
                sort=decision.decided_at,
            )


@work.provider(
    "requests.escalations",
    _("Escalated requests to decide"),
    action=_("Review and decide"),
    roles=wf.SUPERIOR_DECIDERS,
    order=48,
)
def escalations_to_decide(ctx: work.Context):
    query = (
        select(RequestEscalation, Organisation)
        .join(Organisation, Organisation.id == RequestEscalation.org_id)
        .where(RequestEscalation.state == "pending", ctx.below(wf.SUPERIOR_DECIDERS))
        .order_by(RequestEscalation.escalated_at, RequestEscalation.id)
    )
    for escalation, org in db.session.execute(query):
        req = escalation.request
        if ctx.may("requests.review_escalation", req):
            yield work.Row(
                org,
                _("Request %(number)s", number=req.number),
                url_for("requests_admin.detail", org_code=org.code, request_id=req.id)
                + "#review-h",
                note=_summary(req),
                sort=escalation.escalated_at,
            )
