"""What the applicant's request pages and the console's request pages share: the words and
helpers of their templates, and what a request page shows of a request."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, send_file, url_for
from sqlalchemy import select

from core import db
from core.disclosure_requests import forms
from core.disclosure_requests import operations as ops
from core.disclosure_requests import workflow as wf
from core.disclosure_requests.models import DisclosureRequest
from core.i18n import locale
from core.items.models import Item
from core.storage import storage
from tenants.models import Organisation


def helpers() -> dict[str, Any]:
    return {
        "locale": locale(),
        "request_labels": forms,
        "transition_label": wf.transition_label,
        "today": ops.today,
        "overdue": ops.overdue,
    }


def request_view(req: DisclosureRequest, *, reader=None) -> dict[str, Any]:
    """What the applicant's page and the console's detail page both show; with ``reader`` (the
    applicant), only the linked items that reader may see."""
    decision = ops.current_decision(req)
    all_decisions = ops.decisions(req)
    files = ops.attachments(req)
    by_decision: dict[int, list] = {}
    for att in files:
        by_decision.setdefault(att.decision_id, []).append(att)
    ids = {d.public_item_id for d in all_decisions} | {d.item_id for d in all_decisions}
    ids.discard(None)
    if reader is not None:
        linked = ops.linkable_items(reader, ids)
    else:
        linked = (
            {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(ids)))}
            if ids
            else {}
        )
    org_ids = {d.referred_org_id for d in all_decisions} | {
        e.to_org_id for e in ops.escalations(req)
    }
    org_ids.discard(None)
    orgs = (
        {
            o.id: o
            for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
        }
        if org_ids
        else {}
    )
    duplicates = {d.duplicate_of_id for d in all_decisions} - {None}
    earlier = (
        {
            r.id: r
            for r in db.session.scalars(
                select(DisclosureRequest).where(DisclosureRequest.id.in_(duplicates))
            )
        }
        if duplicates
        else {}
    )
    return {
        "req": req,
        "decision": decision,
        "decisions": all_decisions,
        "files": by_decision,
        "linked_items": linked,
        "orgs": orgs,
        "earlier": earlier,
        "consultations": ops.consultations(req),
        "escalations": ops.escalations(req),
        "explanation": ops.explain(req),
        "is_overdue": ops.overdue(req),
        "parent": ops.parent_of(req.organisation),
    }


def item_link(item: Item) -> str:
    return url_for("portal.item", org_code=item.organisation.code, item_id=item.id)


def send_attachment(req: DisclosureRequest, attachment_id: int):
    found = ops.attachment(req, attachment_id)
    if found is None:
        abort(404)
    try:
        data = storage().open(found.storage_key)
    except (FileNotFoundError, ValueError):
        abort(404)
    return send_file(
        io.BytesIO(data),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
    )
