"""JSON API of the disclosure requests.

* ``POST /api/v1/orgs/<code>/requests`` — file a request as the token's user (Bearer token
  required; JSON ``content``, ``purpose``, ``contact`` {phone, email, address}, ``delivery``);
  answers 201 with the request, its ``status`` and ``deadline`` (ISO date). Limited per address
  and per user like the portal's form; refused (403) below the unit's minimum real-name level.
* ``GET /api/v1/requests/<id>`` — one request, for its applicant and for those who read the
  unit's requests in the console (its staff and supervisors, and those of its superiors);
  anyone else gets a 404.

The schemas are declared here and added to :data:`core.api.schemas.SCHEMAS` on import.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, url_for
from flask_babel import force_locale
from flask_login import current_user

from core import db, ratelimit
from core.api import auth, errors, schemas, spec
from core.api.errors import ApiError
from core.api.inputs import json_body, language, preprocess_url
from core.api.schemas import BOOLEAN, DATETIME, INTEGER, STRING, TEXT_OR_NULL, URL, nullable, obj
from core.disclosure_requests import forms, limits
from core.disclosure_requests import operations as ops
from core.disclosure_requests.models import DELIVERIES, STATES, DisclosureRequest
from core.errors import Problem, UserError
from core.i18n import _

bp = Blueprint("requests_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(preprocess_url)

DATE = {"type": "string", "format": "date"}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
REQUEST_ID = spec.Param("request_id", {}, _("Id of the request."), location="path")

schemas.SCHEMAS.update(
    {
        "DisclosureRequestInput": {
            "type": "object",
            "required": ["content", "purpose", "contact"],
            "properties": {
                "content": {"type": "string", "minLength": 1, "maxLength": ops.MAX["content"]},
                "purpose": {"type": "string", "minLength": 1, "maxLength": ops.MAX["purpose"]},
                "contact": {
                    "type": "object",
                    "description": "At least one; electronic delivery needs the e-mail, paper "
                    "delivery the address.",
                    "properties": {
                        "phone": {"type": ["string", "null"], "maxLength": ops.MAX["phone"]},
                        "email": {"type": ["string", "null"], "maxLength": ops.MAX["email"]},
                        "address": {"type": ["string", "null"], "maxLength": ops.MAX["address"]},
                    },
                },
                "delivery": {"type": "string", "enum": list(DELIVERIES)},
            },
        },
        "DisclosureRequest": obj(
            {
                "id": INTEGER,
                "number": STRING,
                "organisation": obj({"code": STRING, "name": STRING}),
                "status": {"type": "string", "enum": list(STATES)},
                "status_label": STRING,
                "received_on": DATE,
                "deadline": DATE,
                "deadline_provisional": BOOLEAN,
                "deadline_explanation": {"type": "array", "items": STRING},
                "extended": BOOLEAN,
                "overdue": BOOLEAN,
                "applicant": STRING,
                "channel": STRING,
                "content": STRING,
                "purpose": STRING,
                "contact": obj(
                    {"phone": TEXT_OR_NULL, "email": TEXT_OR_NULL, "address": TEXT_OR_NULL}
                ),
                "delivery": {"type": "string", "enum": list(DELIVERIES)},
                "outcome": TEXT_OR_NULL,
                "outcome_label": TEXT_OR_NULL,
                "decision": nullable(
                    obj(
                        {
                            "outcome": STRING,
                            "decided_on": DATE,
                            "answer": TEXT_OR_NULL,
                            "declined_part": TEXT_OR_NULL,
                            "reason_code": TEXT_OR_NULL,
                            "reason_label": TEXT_OR_NULL,
                            "explanation": TEXT_OR_NULL,
                            "link": TEXT_OR_NULL,
                            "referred_to": TEXT_OR_NULL,
                            "duplicate_of": TEXT_OR_NULL,
                            "attachments": {
                                "type": "array",
                                "items": obj(
                                    {
                                        "id": INTEGER,
                                        "filename": STRING,
                                        "content_type": STRING,
                                        "size": INTEGER,
                                        "sha256": STRING,
                                    }
                                ),
                            },
                        }
                    )
                ),
                "amend_request": TEXT_OR_NULL,
                "amend_due": DATE_OR_NULL,
                "created_at": DATETIME,
                "url": URL,
                "api_url": URL,
                "language": STRING,
            }
        ),
    }
)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def request_json(req: DisclosureRequest, loc: str) -> dict[str, Any]:
    decision = ops.current_decision(req)
    decision_json = None
    if decision is not None:
        link = decision.public_url
        linked = ops.linkable_items(current_user, {decision.public_item_id})
        if decision.public_item_id in linked:  # only an item the reader may open
            item = linked[decision.public_item_id]
            link = url_for(
                "portal.item", org_code=item.organisation.code, item_id=item.id, _external=True
            )
        referred = decision.referred_to
        if decision.referred_org_id:
            org = db.session.get(type(req.organisation), decision.referred_org_id)
            referred = org.name(loc) if org is not None else referred
        earlier = (
            db.session.get(DisclosureRequest, decision.duplicate_of_id)
            if decision.duplicate_of_id
            else None
        )
        decision_json = {
            "outcome": decision.outcome,
            "decided_on": decision.decided_on.isoformat(),
            "answer": decision.answer,
            "declined_part": decision.declined_part,
            "reason_code": decision.reason_code,
            "reason_label": forms.reason(decision.reason_code) if decision.reason_code else None,
            "explanation": decision.explanation,
            "link": link,
            "referred_to": referred,
            "duplicate_of": earlier.number if earlier is not None else None,
            "attachments": [
                {
                    "id": a.id,
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                }
                for a in ops.attachments(req, decision)
            ],
        }
    return {
        "id": req.id,
        "number": req.number,
        "organisation": {"code": req.organisation.code, "name": req.organisation.name(loc)},
        "status": req.state,
        "status_label": forms.state(req.state),
        "received_on": req.received_on.isoformat(),
        "deadline": req.deadline.isoformat(),
        "deadline_provisional": req.deadline_provisional,
        "deadline_explanation": [str(line) for line in ops.explain(req)],
        "extended": req.extension_days is not None,
        "overdue": ops.overdue(req),
        "applicant": req.applicant_name,
        "channel": req.channel,
        "content": req.content,
        "purpose": req.purpose,
        "contact": {
            "phone": req.contact_phone,
            "email": req.contact_email,
            "address": req.contact_address,
        },
        "delivery": req.delivery,
        "outcome": req.outcome,
        "outcome_label": forms.outcome(req.outcome) if req.outcome else None,
        "decision": decision_json,
        "amend_request": req.amend_request if req.state == "awaiting_amendment" else None,
        "amend_due": _iso(req.amend_due) if req.state == "awaiting_amendment" else None,
        "created_at": req.created_at.isoformat(),
        "url": url_for(
            "requests.detail", org_code=req.organisation.code, request_id=req.id, _external=True
        ),
        "api_url": url_for("requests_api.one", request_id=req.id, _external=True),
        "language": loc,
    }


def _limit() -> None:
    try:
        limits.count_filing(current_user)
    except ratelimit.RateLimitExceeded:
        raise ApiError(
            429, _("Too many requests were filed from this account or address; try again later.")
        ) from None


def _filing_data(data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    contact = data.get("contact")
    if contact is None:
        contact = {}
    if not isinstance(contact, dict):
        problems.append(Problem("contact", _("must be an object with phone, email and address")))
        contact = {}
    out = {
        "content": data.get("content"),
        "purpose": data.get("purpose"),
        "contact_phone": contact.get("phone"),
        "contact_email": contact.get("email"),
        "contact_address": contact.get("address"),
        "delivery": data.get("delivery") or "electronic",
    }
    for key in ("delivery",):
        if not isinstance(out[key], str):
            problems.append(Problem(key, _("must be text")))
            out[key] = "electronic"
    return out


@bp.route("/orgs/<org_code>/requests", methods=["POST"])
@spec.operation(
    _("File a disclosure request"),
    tag="requests",
    description=_(
        "Files a disclosure request (依申请公开) with the organisation as the token's user. "
        "Answers the request with its status and its deadline in working days (provisional "
        "while the year's official holiday calendar is not loaded). Limited per address and "
        "per user."
    ),
    params=(spec.ORG_CODE,),
    body="DisclosureRequestInput",
    responses={201: "DisclosureRequest", 403: None, 429: None},
    auth="required",
    scope="requests:write",
)
def file_request():
    token = auth.require_bearer()
    org = g.org
    if not auth.in_token_subtree(token, org):
        raise ApiError(403, _("The token acts for another organisation's subtree only."))
    data = json_body()
    problem = ops.realname_problem(current_user, org)
    if problem:
        raise ApiError(403, problem, code="realname_level")
    _limit()
    problems: list[Problem] = []
    filing = _filing_data(data, problems)
    if problems:
        raise ApiError(422, _("The request was not filed."), problems=problems)
    try:
        req = ops.file(org, filing, applicant=current_user, channel="api")
    except UserError as exc:
        raise ApiError(422, exc.message, problems=exc.problems) from None
    db.session.flush()
    loc = language()
    with force_locale(loc):
        body = request_json(req, loc)
    return jsonify(body), 201


@bp.route("/requests/<int:request_id>", endpoint="one")
@spec.operation(
    _("One disclosure request"),
    tag="requests",
    description=_(
        "A request with its status, deadline (and how it was computed) and decision: for its "
        "applicant and for those who read the unit's requests; others get 404."
    ),
    params=(REQUEST_ID, spec.LANG),
    responses={200: "DisclosureRequest"},
    auth="required",
)
def one(request_id: int):
    auth.require_bearer()
    found = db.session.get(DisclosureRequest, request_id)
    if found is None or not ops.may_read(current_user, found):
        raise errors.not_found(_("There is no such request, or you may not see it."))
    loc = language()
    with force_locale(loc):
        body = request_json(found, loc)
    return jsonify(body)
