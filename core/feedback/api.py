"""JSON API of the feedback ledger's public side.

* ``POST /api/v1/orgs/<code>/feedback`` — feedback from anyone (no token needed), the same
  operation and the same rate limit per address as the portal's form: ``content`` (required),
  ``item_id``, ``name``, ``contact``. Answers 201 with the entry's ``id``, its ``receipt``
  number and the ``lookup_code`` (given only here) and the address of its receipt page.
* ``GET /api/v1/orgs/<code>/feedback/answers`` — the published answers and rectification
  results of the organisation, newest publication first, paged with cursors (``limit``,
  ``cursor``); never a submitter's name or contact details.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import force_locale, get_locale
from flask_login import current_user
from sqlalchemy import and_, or_

from core import db, ratelimit
from core.api import pagination, schemas
from core.api import spec as api
from core.api.auth import reader
from core.api.errors import ApiError
from core.api.inputs import json_body, language, preprocess_url, text_field
from core.errors import Problem, UserError
from core.feedback import labels, ledger
from core.feedback import operations as feedback
from core.feedback.models import CHANNELS, CONTACT_MAX, CONTENT_MAX, NAME_MAX, FeedbackEntry
from core.i18n import _
from core.items.models import Item
from core.items.visibility import visible_items

bp = Blueprint("feedback_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(preprocess_url)

S = schemas
schemas.SCHEMAS.setdefault(
    "FeedbackInput",
    {
        "type": "object",
        "required": ["content"],
        "properties": {
            "content": {"type": "string", "minLength": 1, "maxLength": CONTENT_MAX},
            "item_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
            "name": {"type": ["string", "null"], "maxLength": NAME_MAX},
            "contact": {"type": ["string", "null"], "maxLength": CONTACT_MAX},
        },
    },
)
schemas.SCHEMAS.setdefault(
    "FeedbackReceipt",
    S.obj(
        {
            "id": S.INTEGER,
            "receipt": S.STRING,
            "lookup_code": S.STRING,
            "lookup_url": S.URL,
            "organisation": S.ORG_REF,
            "state": S.STRING,
            "received_on": {"type": "string", "format": "date"},
        }
    ),
)
schemas.SCHEMAS.setdefault(
    "FeedbackAnswer",
    S.obj(
        {
            "receipt": S.STRING,
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "channel_label": S.STRING,
            "received_on": {"type": "string", "format": "date"},
            "question": S.STRING,
            "answer": S.TEXT_OR_NULL,
            "answered_on": S.DATE_OR_NULL,
            "rectification": S.nullable(S.obj({"result": S.STRING, "done_on": S.DATE_OR_NULL})),
            "item": S.nullable(S.obj({"id": S.INTEGER, "title": S.STRING, "url": S.URL})),
            "published_at": S.DATETIME,
            "closed": S.BOOLEAN,
        }
    ),
)
schemas.SCHEMAS.setdefault(
    "FeedbackAnswerPage",
    S.obj(
        {
            "organisation": S.ORG_REF,
            "language": S.STRING,
            "total": S.INTEGER,
            "limit": S.INTEGER,
            "next_cursor": S.TEXT_OR_NULL,
            "answers": {"type": "array", "items": S.ref("FeedbackAnswer")},
        }
    ),
)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@bp.route("/orgs/<org_code>/feedback", methods=["POST"])
@api.operation(
    _("Give feedback"),
    tag="feedback",
    description=_(
        "Feedback on the organisation or one of its disclosed items (FB-1): no account is "
        "needed, name and contact are optional. Answers with the receipt number and the lookup "
        "code (shown only here). Limited per address like the portal's form."
    ),
    params=(api.ORG_CODE,),
    body="FeedbackInput",
    responses={201: "FeedbackReceipt", 429: None},
    scope="feedback:write",  # with a token; no account is needed without one
)
def submit():
    org = g.org
    data = json_body()
    try:
        with ratelimit.limit(feedback.FEEDBACK_LIMIT, scope="feedback"):
            pass
    except ratelimit.RateLimitExceeded:
        raise ApiError(
            429, _("Too many submissions were sent from your address; please try again later.")
        ) from None
    problems: list[Problem] = []
    content = text_field(data, "content", problems, required=True, max_length=CONTENT_MAX)
    name = text_field(data, "name", problems, max_length=NAME_MAX)
    contact = text_field(data, "contact", problems, max_length=CONTACT_MAX)
    item_id = data.get("item_id")
    if item_id is not None and (
        isinstance(item_id, bool) or not isinstance(item_id, int) or not 1 <= item_id < 2**31
    ):
        problems.append(Problem("item_id", _("a whole number (the id of a disclosed item)")))
        item_id = None
    if problems:
        raise ApiError(422, _("The feedback was not sent."), problems=problems)
    try:
        sent = feedback.submit_online(
            org,
            content=content,
            name=name,
            contact=contact,
            item_id=item_id,
            user=current_user if current_user.is_authenticated else None,
        )
    except UserError as exc:
        raise ApiError(422, exc.message, problems=exc.problems) from None
    entry = sent.entry
    body = {
        "id": entry.id,
        "receipt": entry.receipt,
        "lookup_code": sent.lookup_code,
        "lookup_url": url_for(
            "feedback.lookup",
            org_code=org.code,
            receipt=entry.receipt,
            code=sent.lookup_code,
            _external=True,
        ),
        "organisation": {"code": org.code, "name": org.name(str(get_locale()))},
        "state": entry.state,
        "received_on": entry.received_on.isoformat(),
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response, 201


def _after(position) -> Any:
    try:
        published_at = datetime.fromisoformat(position[0])
        entry_id = int(position[1])
    except (TypeError, ValueError, IndexError):
        raise ApiError(
            400,
            _("The request has invalid parameters."),
            problems=[Problem("cursor", _("not a cursor of this list"))],
        ) from None
    return or_(
        FeedbackEntry.published_at < published_at,
        and_(FeedbackEntry.published_at == published_at, FeedbackEntry.id < entry_id),
    )


def answer_json(entry: FeedbackEntry, items: dict[int, Item], loc: str) -> dict[str, Any]:
    item = items.get(entry.item_id) if entry.item_id else None
    rectification = None
    if entry.rectification_result and entry.rectification_public:
        rectification = {
            "result": entry.rectification_result,
            "done_on": _iso(entry.rectification_done_on),
        }
    return {
        "receipt": entry.receipt,
        "channel": entry.channel,
        "channel_label": labels.channel(entry.channel),
        "received_on": entry.received_on.isoformat(),
        "question": entry.public_question or "",
        "answer": entry.answer if entry.answer_published else None,
        "answered_on": _iso(entry.answered_on) if entry.answer_published else None,
        "rectification": rectification,
        "item": (
            {
                "id": item.id,
                "title": item.title(loc),
                "url": url_for(
                    "portal.item",
                    org_code=item.organisation.code,
                    item_id=item.id,
                    _external=True,
                ),
            }
            if item is not None
            else None
        ),
        "published_at": entry.published_at.isoformat(),
        "closed": entry.state == "closed",
    }


@bp.route("/orgs/<org_code>/feedback/answers")
@api.operation(
    _("Published answers to feedback"),
    tag="feedback",
    description=_(
        "The organisation's published answers and rectification results (FB-2), newest "
        "first, paged with cursors; never a submitter's name or contact details."
    ),
    params=(
        api.ORG_CODE,
        api.Param("limit", {"type": "integer", "minimum": 1, "maximum": 100}, _("Page size.")),
        api.Param("cursor", {"type": "string", "maxLength": 500}, _("next_cursor of a page.")),
        api.LANG,
    ),
    responses={200: "FeedbackAnswerPage"},
)
def answers():
    org = g.org
    problems: list[str] = []
    limit = pagination.limit_arg(request.args, problems)
    kind = f"feedback-answers:{org.id}"
    position = pagination.decode(request.args.get("cursor"), kind, {}, problems)
    pagination.require_valid(problems)
    query = ledger.published_query(org)
    total = ledger.count(query)
    if position is not None:
        query = query.where(_after(position))
    rows = list(db.session.scalars(query.limit(limit + 1)))
    next_position = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_position = [rows[-1].published_at.isoformat(), rows[-1].id]
    loc = language()
    ids = {e.item_id for e in rows if e.item_id}
    user = reader(org)
    items = (
        {i.id: i for i in db.session.scalars(visible_items(user).where(Item.id.in_(ids)))}
        if ids
        else {}
    )
    with force_locale(loc):
        body = {
            "organisation": {"code": org.code, "name": org.name(loc)},
            "language": loc,
            "total": total,
            "limit": limit,
            "next_cursor": (pagination.encode(kind, {}, next_position) if next_position else None),
            "answers": [answer_json(e, items, loc) for e in rows],
        }
    response = jsonify(body)
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response
