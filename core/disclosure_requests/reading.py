"""Reading disclosure requests: one request of a unit, its decisions, documents, consultations
and escalations, an applicant's requests. Queries only.
"""

from __future__ import annotations

from sqlalchemy import select

from core import db, permissions
from core.disclosure_requests import workflow as wf
from core.disclosure_requests.models import (
    DisclosureRequest,
    RequestAttachment,
    RequestConsultation,
    RequestDecision,
    RequestEscalation,
)
from core.items import visibility
from core.items.models import Item
from core.workflow import engine
from tenants.models import Organisation


def get(org: Organisation, request_id: int) -> DisclosureRequest | None:
    """The request ``request_id`` if it belongs to ``org`` (views 404 otherwise)."""
    found = db.session.get(DisclosureRequest, request_id)
    return found if found is not None and found.org_id == org.id else None


def is_applicant(user, req: DisclosureRequest) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and req.applicant_id is not None
        and req.applicant_id == getattr(user, "id", None)
    )


def may_read(user, req: DisclosureRequest) -> bool:
    """The applicant, or those who read the unit's requests in the console (its staff and
    supervisors and those of its superiors)."""
    return is_applicant(user, req) or permissions.may(user, "requests.view", req)


def of_applicant(user) -> list[DisclosureRequest]:
    """Every request of ``user`` across units, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(DisclosureRequest)
            .where(DisclosureRequest.applicant_id == user.id)
            .order_by(DisclosureRequest.created_at.desc(), DisclosureRequest.id.desc())
        )
    )


def history(req: DisclosureRequest):
    return engine.history(wf.request, req)


def decisions(req: DisclosureRequest) -> list[RequestDecision]:
    return list(
        db.session.scalars(
            select(RequestDecision)
            .where(RequestDecision.request_id == req.id)
            .order_by(RequestDecision.id)
        )
    )


def current_decision(req: DisclosureRequest) -> RequestDecision | None:
    """The decision in force (None while undecided, or after a reconsideration was ordered)."""
    if req.outcome is None:
        return None
    return db.session.scalar(
        select(RequestDecision)
        .where(RequestDecision.request_id == req.id)
        .order_by(RequestDecision.id.desc())
        .limit(1)
    )


def attachments(req: DisclosureRequest, decision: RequestDecision | None = None):
    query = select(RequestAttachment).where(RequestAttachment.request_id == req.id)
    if decision is not None:
        query = query.where(RequestAttachment.decision_id == decision.id)
    return list(db.session.scalars(query.order_by(RequestAttachment.id)))


def attachment(req: DisclosureRequest, attachment_id: int) -> RequestAttachment | None:
    found = db.session.get(RequestAttachment, attachment_id)
    return found if found is not None and found.request_id == req.id else None


def open_consultation(req: DisclosureRequest) -> RequestConsultation | None:
    return db.session.scalar(
        select(RequestConsultation).where(
            RequestConsultation.request_id == req.id, RequestConsultation.ended_on.is_(None)
        )
    )


def escalations(req: DisclosureRequest) -> list[RequestEscalation]:
    return list(
        db.session.scalars(
            select(RequestEscalation)
            .where(RequestEscalation.request_id == req.id)
            .order_by(RequestEscalation.id)
        )
    )


def pending_escalation(req: DisclosureRequest) -> RequestEscalation | None:
    return db.session.scalar(
        select(RequestEscalation).where(
            RequestEscalation.request_id == req.id, RequestEscalation.state == "pending"
        )
    )


def parent_of(org: Organisation) -> Organisation | None:
    return db.session.get(Organisation, org.parent_id) if org.parent_id else None


def public_items(org: Organisation):
    """``select(Item)`` of the items an "already public" decision of ``org`` may name: disclosed
    items of its county that **anyone** may read (SCOPE-1 for an anonymous visitor), since the
    applicant — and whoever the applicant shows the answer — must be able to open the link."""
    return visibility.visible_items(None).where(Item.root_id == org.root_id)


def linkable_items(reader, ids) -> dict[int, Item]:
    """Of the items ``ids`` a decision links to, those ``reader`` may see (``{id: item}``): an
    answer never shows the title or link of an item its reader cannot open."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    query = visibility.visible_items(reader).where(Item.id.in_(ids))
    return {item.id: item for item in db.session.scalars(query)}
