"""JSON API of items: the disclosed items (shaped like the catalogue endpoint,
``core.catalogue.api``) and their workflow steps.

* ``GET /api/v1/orgs/<code>/items`` — the items of the organisation and its subtree, newest
  first by ``(published_at, id)``, paged with cursors (``limit`` at most 100, ``cursor`` =
  the previous answer's ``next_cursor``); filters ``category`` (a category key, sub-categories
  included), ``cadence``, ``scope`` (the visible scope), ``state`` (published, closed,
  revoked), ``from`` and ``to`` (days of publication, ``YYYY-MM-DD``), ``lang``. With ``q`` the
  items are ranked by relevance among the newest 1000 matches (``total`` is then at most 1000;
  the cursor walks that ranked window); ``scope`` and ``state`` do not combine with ``q``.
  The older ``page``/``per_page`` parameters still work (offset paging).
* ``GET /api/v1/items/<id>`` — one item with its body (sanitised HTML), published versions and
  their explanations, attachments and, when revoked, the revocation notice.
* ``GET /api/v1/items/<id>/versions`` — the published versions with their explanations.
* ``POST /api/v1/items/<id>/objections`` — an objection to a notice in its period (PUB-5), no
  account needed; the same operation and rate limit as the portal's form.
* ``GET /api/v1/items/<id>/transitions`` — the item as the workflow sees it, with the steps the
  token's user may run; ``POST /api/v1/items/<id>/transitions/<name>`` runs one (a token with
  ``items:write`` and a role that may run the step; 409 when the workflow refuses it).

Anonymous callers get public items only (SCOPE-1); a token or a signed-in browser session gets
what its user may see (a service token: inside its organisation's subtree). An item the caller
may not see is a 404, as is one that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from core import db, i18n, permissions, ratelimit
from core.api import auth, errors, inputs, pagination
from core.api import spec as api
from core.api.auth import reader
from core.api.errors import ApiError
from core.api.inputs import json_body, language, preprocess_url, text_field
from core.catalogue import labels
from core.catalogue import operations as cat
from core.catalogue.models import CADENCES, SCOPES
from core.errors import Problem
from core.i18n import _
from core.items import content, reading
from core.items import operations as items
from core.items import workflow as wf
from core.items.models import AMENDMENT_REASONS, REFUSAL_REASONS, REVOCATION_REASONS, Item
from core.items.operations import OBJECTION_LIMIT, OBJECTION_MAX
from core.items.visibility import can_see
from core.search import operations as search_ops
from core.search import tokens
from core.workflow import allowed_transitions, may_start
from tenants.models import Organisation

bp = Blueprint("items_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(preprocess_url)

PER_PAGE = pagination.DEFAULT_LIMIT
MAX_PER_PAGE = pagination.MAX_LIMIT
PUBLIC_STATES = {
    "published": ("published", "amendment_pending", "revocation_pending"),
    "closed": ("closed",),
    "revoked": ("revoked",),
}

LANG, ORG_CODE, ITEM_ID = api.LANG, api.ORG_CODE, api.ITEM_ID


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _text(texts: dict | None, loc: str) -> str:
    return i18n.localised(texts, loc)


def attachment_json(item: Item, att) -> dict[str, Any]:
    return {
        "id": att.id,
        "filename": att.filename,
        "content_type": att.content_type,
        "size": att.size,
        "sha256": att.sha256,
        "url": url_for(
            "portal.attachment",
            org_code=item.organisation.code,
            item_id=item.id,
            attachment_id=att.id,
            _external=True,
        ),
    }


def entry_json(entry, category, item: Item, loc: str) -> dict[str, Any] | None:
    if not item.entry_key:
        return None
    data: dict[str, Any] = {"key": item.entry_key, "title": None, "category": None}
    if entry is not None:
        data["title"] = entry.title(loc)
    if category is not None:
        data["category"] = {"key": category.key, "title": category.title(loc)}
    elif item.category_key:
        data["category"] = {"key": item.category_key, "title": None}
    return data


def item_json(
    item: Item,
    loc: str,
    channel_labels: dict[str, str],
    entry=None,
    category=None,
    snippet: str | None = None,
) -> dict[str, Any]:
    version = item.current_version
    titles = dict(version.titles or {}) if version else {}
    data: dict[str, Any] = {
        "id": item.id,
        "url": url_for(
            "portal.item", org_code=item.organisation.code, item_id=item.id, _external=True
        ),
        "api_url": url_for("items_api.item", item_id=item.id, _external=True),
        "organisation": {"code": item.organisation.code, "name": item.organisation.name(loc)},
        "title": _text(titles, loc),
        "titles": titles,
        "state": reading.public_state(item),
        "scope": item.visible_scope,
        "scope_label": labels.scope(item.visible_scope),
        "channels": list(item.channels or []),
        "channel_labels": [channel_labels.get(c, c) for c in item.channels or []],
        "entry": entry_json(entry, category, item, loc),
        "off_catalogue": item.entry_key is None,
        "cadence": item.cadence,
        "period": item.period_key,
        "period_label": reading.period_label(item.period_key) or None,
        "decision_date": _iso(item.decision_date),
        "published_at": _iso(item.published_at),
        "version": version.number if version else None,
        "notice": item.is_notice,
        "notice_ends_at": _iso(item.notice_ends_at) if item.is_notice else None,
        "notice_open": items.notice_open(item),
    }
    if snippet is not None:
        data["snippet"] = snippet
    return data


def version_json(item: Item, version, detail: reading.Detail, loc: str) -> dict[str, Any]:
    current = item.current_version
    return {
        "number": version.number,
        "title": _text(version.titles, loc),
        "titles": dict(version.titles or {}),
        "explanation": version.explanation or None,
        "reason": version.reason,
        "published_at": _iso(version.published_at),
        "current": current is not None and version.id == current.id,
        "attachments": [attachment_json(item, a) for a in detail.attachments.get(version.id, [])],
    }


def _day(value: str | None, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem(name, _("“%(value)s” is not a date (YYYY-MM-DD)", value=value)))
        return None
    if not 1000 <= day.year <= 9998:
        problems.append(Problem(name, _("a year from %(low)s to %(high)s", low=1000, high=9998)))
        return None
    return day


def _vary(response):
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


def _choice(name: str, allowed, problems: list[str]) -> str | None:
    value = (request.args.get(name) or "").strip() or None
    if value is not None and value not in allowed:
        problems.append(Problem(name, _("one of %(codes)s", codes=", ".join(allowed))))
        return None
    return value


def _page_arg(problems: list[str]) -> int | None:
    raw = request.args.get("page")
    if raw in (None, ""):
        return None
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if not 1 <= page <= 1_000_000:
        problems.append(Problem("page", _("a whole number from 1")))
        return None
    return page


def _after(position) -> Any:
    """The keyset condition "older than ``position``" (newest first by published_at, id)."""
    try:
        published_at = datetime.fromisoformat(position[0])
        item_id = int(position[1])
    except (TypeError, ValueError, IndexError):
        raise ApiError(
            400,
            _("The request has invalid parameters."),
            problems=[Problem("cursor", _("not a cursor of this list"))],
        ) from None
    return or_(
        Item.published_at < published_at,
        and_(Item.published_at == published_at, Item.id < item_id),
    )


ITEM_LIST_PARAMS = (
    ORG_CODE,
    api.Param(
        "q",
        {"type": "string", "maxLength": tokens.MAX_QUERY_CHARS},
        _("Words to search for (ranked by relevance among the newest 1000 matches)."),
    ),
    api.Param("category", {"type": "string", "maxLength": 60}, _("A category key.")),
    api.Param("cadence", {"type": "string", "enum": list(CADENCES)}, _("A cadence.")),
    api.Param("scope", {"type": "string", "enum": list(SCOPES)}, _("The visible scope.")),
    api.Param("state", {"type": "string", "enum": list(PUBLIC_STATES)}, _("The state.")),
    api.Param("from", {"type": "string", "format": "date"}, _("Published on or after.")),
    api.Param("to", {"type": "string", "format": "date"}, _("Published on or before.")),
    api.Param("limit", {"type": "integer", "minimum": 1, "maximum": 100}, _("Page size.")),
    api.Param("cursor", {"type": "string", "maxLength": 500}, _("next_cursor of a page.")),
    api.Param("page", {"type": "integer", "minimum": 1, "maximum": 1000000}, _("Offset paging.")),
    api.Param(
        "per_page", {"type": "integer", "minimum": 1, "maximum": 100}, _("Old name of limit.")
    ),
    LANG,
)


@bp.route("/orgs/<org_code>/items", endpoint="items")
@api.operation(
    _("Items of an organisation and its subtree"),
    tag="items",
    description=_(
        "Disclosed items the caller may see, newest first, paged with cursors; or search "
        "results with q."
    ),
    params=ITEM_LIST_PARAMS,
    responses={200: "ItemPage"},
)
def items_list():
    org = g.org
    args = request.args
    problems: list[str] = []
    q = (args.get("q") or "").strip()
    if len(q) > tokens.MAX_QUERY_CHARS:
        problems.append(Problem("q", _("at most %(n)s characters", n=tokens.MAX_QUERY_CHARS)))
    category = (args.get("category") or "").strip() or None
    cadence = _choice("cadence", CADENCES, problems)
    scope = _choice("scope", SCOPES, problems)
    state = _choice("state", tuple(PUBLIC_STATES), problems)
    if q and (scope or state):
        problems.append(Problem("scope, state", _("do not combine with q")))
    date_from = _day(args.get("from"), "from", problems)
    date_to = _day(args.get("to"), "to", problems)
    limit = pagination.limit_arg(args, problems, names=("limit", "per_page"))
    page = _page_arg(problems)
    query_echo = {
        "q": q or None,
        "category": category,
        "cadence": cadence,
        "scope": scope,
        "state": state,
        "from": _iso(date_from),
        "to": _iso(date_to),
    }
    kind = f"items:{org.id}"
    fingerprint = {**query_echo, "limit": limit} if q else query_echo
    position = pagination.decode(args.get("cursor"), kind, fingerprint, problems)
    if position is not None and page is not None:
        problems.append(Problem("page", _("not together with cursor")))
    pagination.require_valid(problems)
    user = reader(org)
    filters = {"category": category, "cadence": cadence, "date_from": date_from, "date_to": date_to}
    snippets: dict[int, str] = {}
    next_position = None
    if q:
        number = page or (position[1] if isinstance(position, list) and len(position) == 2 else 1)
        if not isinstance(number, int) or number < 1:
            raise errors.bad_request([Problem("cursor", _("not a cursor of this list"))])
        found = search_ops.search(
            user, q, within=org, page=number, per_page=limit, locale=language(), **filters
        )
        total, rows, snippets = found.total, found.items, found.snippets
        if number * limit < total:
            next_position = ["q", number + 1]
        page_number = number if (page or position is None) else None
    else:
        query = reading.filtered(user, org, **filters)
        if scope:
            query = query.where(Item.visible_scope == scope)
        if state:
            query = query.where(Item.state.in_(PUBLIC_STATES[state]))
        total = db.session.scalar(
            select(func.count()).select_from(query.with_only_columns(Item.id).subquery())
        ) or 0  # fmt: skip
        ordered = reading.newest_first(query)
        if position is not None:
            ordered = ordered.where(_after(position))
        elif page is not None:
            ordered = ordered.offset((page - 1) * limit)
        rows = list(db.session.scalars(ordered.limit(limit + 1)))
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_position = [last.published_at.isoformat(), last.id]
        page_number = page or (1 if position is None else None)
    loc = language()
    with force_locale(loc):
        channel_labels = cat.channel_labels(loc)
        entries = reading.entries_of(rows)
        out = []
        for item in rows:
            entry, category_row = entries.get(
                (item.catalogue_version_id, item.entry_key), (None, None)
            )
            out.append(
                item_json(
                    item,
                    loc,
                    channel_labels,
                    entry,
                    category_row,
                    snippets.get(item.id) if q else None,
                )
            )
        body = {
            "organisation": {"code": org.code, "name": org.name(loc)},
            "language": loc,
            "query": query_echo,
            "total": total,
            "limit": limit,
            "next_cursor": (
                pagination.encode(kind, fingerprint, next_position) if next_position else None
            ),
            "page": page_number,
            "pages": -(-total // limit),
            "per_page": limit,
            "items": out,
        }
    return _vary(jsonify(body))


def reachable(item: Item) -> bool:
    """The item's county is enabled, and it is the mapped county on a custom host."""
    org = item.organisation
    if not org.enabled:
        return False
    host_org = g.get("host_org")
    if host_org is not None and org.root_id != host_org.root_id:
        return False
    root = org if org.parent_id is None else db.session.get(Organisation, org.root_id)
    return root is not None and root.enabled


def visible_item(item_id: int) -> Item:
    """The item if the caller may read it, else a 404 (never a 403: that would confirm it)."""
    found = db.session.get(Item, item_id)
    if found is None or not can_see(reader(found.organisation), found) or not reachable(found):
        raise errors.not_found(_("There is no such item, or you may not see it."))
    return found


@bp.route("/items/<int:item_id>")
@api.operation(
    _("One item"),
    tag="items",
    description=_("The item with its body, attachments, published versions and revocation."),
    params=(ITEM_ID, LANG),
    responses={200: "ItemDetail"},
)
def item(item_id: int):
    found = visible_item(item_id)
    loc = language()
    detail = reading.detail(found)
    with force_locale(loc):
        data = item_json(found, loc, cat.channel_labels(loc), detail.entry, detail.category)
        version = found.current_version
        data["body_html"] = str(content.render(_text(version.bodies if version else {}, loc)))
        data["bodies"] = dict(version.bodies or {}) if version else {}
        data["attachments"] = (
            [attachment_json(found, a) for a in detail.attachments.get(version.id, [])]
            if version
            else []
        )
        data["versions"] = [version_json(found, v, detail, loc) for v in detail.versions]
        data["revocation"] = (
            {
                "explanation": found.revocation_explanation,
                "reason": found.revocation_reason,
                "revoked_at": _iso(detail.revoked_at),
            }
            if found.state == "revoked"
            else None
        )
        data["language"] = loc
    return _vary(jsonify(data))


@bp.route("/items/<int:item_id>/versions")
@api.operation(
    _("Published versions of an item"),
    tag="items",
    description=_("Every published version, oldest first, with the explanation of each change."),
    params=(ITEM_ID, LANG),
    responses={200: "VersionList"},
)
def versions(item_id: int):
    found = visible_item(item_id)
    loc = language()
    detail = reading.detail(found)
    with force_locale(loc):
        body = {
            "item": {
                "id": found.id,
                "api_url": url_for("items_api.item", item_id=found.id, _external=True),
            },
            "language": loc,
            "versions": [version_json(found, v, detail, loc) for v in detail.versions],
        }
    return _vary(jsonify(body))


@bp.route("/items/<int:item_id>/objections", methods=["POST"])
@api.operation(
    _("Lodge an objection to a notice"),
    tag="items",
    description=_(
        "An objection to a notice during its notice period (PUB-5); no account is needed, "
        "name and contact are optional. Limited per address like the portal's form."
    ),
    params=(ITEM_ID,),
    body="ObjectionInput",
    responses={201: "Objection", 409: None, 429: None},
    scope="feedback:write",  # with a token; no account is needed without one
)
def objections(item_id: int):
    found = visible_item(item_id)
    data = json_body()
    try:
        with ratelimit.limit(OBJECTION_LIMIT, scope="objections"):
            pass
    except ratelimit.RateLimitExceeded:
        raise ApiError(
            429, _("Too many objections were sent from your address; please try again later.")
        ) from None
    if not items.notice_open(found):
        raise ApiError(
            409,
            _("This item is not a notice in its period: it takes no objections."),
            problems=[
                Problem("notice_ends_at", _iso(found.notice_ends_at))
                if found.is_notice
                else Problem("notice", _("the item is not a notice"))
            ],
        )
    problems: list[str] = []
    text = text_field(data, "text", problems, required=True, max_length=OBJECTION_MAX["text"])
    name = text_field(data, "name", problems, max_length=OBJECTION_MAX["name"])
    contact = text_field(data, "contact", problems, max_length=OBJECTION_MAX["contact"])
    if problems:
        raise ApiError(422, _("The objection was not lodged."), problems=problems)
    lodged = items.lodge_objection(
        found,
        text=text,
        name=name,
        contact=contact,
        user=current_user if current_user.is_authenticated else None,
    )
    body = {
        "id": lodged.id,
        "receipt": lodged.receipt,
        "lookup_code": lodged.lookup_code,
        "lookup_url": url_for(
            "portal.objection_lookup",
            org_code=found.organisation.code,
            receipt=lodged.receipt,
            code=lodged.lookup_code,
            _external=True,
        ),
        "item": {
            "id": found.id,
            "api_url": url_for("items_api.item", item_id=found.id, _external=True),
        },
        "received_at": _iso(lodged.lodged_at),
    }
    return jsonify(body), 201


# --- item workflow steps ---------------------------------------------------------------------


def _comment(data, problems, *, required: bool) -> str | None:
    return inputs.text_field(data, "comment", problems, required=required)


def _review(item: Item, data: dict, problems: list[str]):
    refuse = data.get("refuse_reason")
    if refuse is not None and refuse not in REFUSAL_REASONS:
        problems.append(
            Problem("refuse_reason", _("one of %(codes)s", codes=", ".join(REFUSAL_REASONS)))
        )
    kwargs = {
        "secrecy_passed": inputs.bool_field(data, "secrecy_passed", problems),
        "secrecy_basis": inputs.text_field(
            data, "secrecy_basis", problems, required=True, max_length=500
        ),
        "necessity_ok": inputs.bool_field(data, "necessity_ok", problems),
        "accuracy_ok": inputs.bool_field(data, "accuracy_ok", problems),
        "comment": _comment(data, problems, required=False),
        "refuse_reason": refuse if refuse in REFUSAL_REASONS else None,
    }
    return lambda actor: items.review(item, actor=actor, **kwargs)


def _plain(func):
    return lambda item, data, problems: lambda actor: func(item, actor=actor)


def _with_text(func, field: str):
    def prepare(item, data, problems):
        value = inputs.text_field(data, field, problems, required=True)
        return lambda actor: func(item, actor=actor, **{field: value})

    return prepare


def _amendment(item: Item, data: dict, problems: list[str]):
    titles = inputs.texts_field(data, "titles", problems)
    bodies = inputs.texts_field(data, "bodies", problems)
    explanation = inputs.text_field(data, "explanation", problems, required=True)
    reason = _code(data, "amendment_reason", AMENDMENT_REASONS, "update", problems)
    return lambda actor: items.request_amendment(
        item, actor=actor, titles=titles, bodies=bodies, explanation=explanation, reason=reason
    )


def _revocation(item: Item, data: dict, problems: list[str]):
    explanation = inputs.text_field(data, "explanation", problems, required=True)
    reason = _code(data, "revocation_reason", REVOCATION_REASONS, "other", problems)
    return lambda actor: items.request_revocation(
        item, actor=actor, explanation=explanation, reason=reason
    )


def _code(data: dict, name: str, codes, default: str, problems: list[str]) -> str:
    value = data.get(name, default)
    if value not in codes:
        problems.append(Problem(name, _("one of %(codes)s", codes=", ".join(codes))))
        return default
    return value


def _decision(func, *, approve: bool):
    def prepare(item, data, problems):
        comment = _comment(data, problems, required=not approve)
        return lambda actor: func(item, actor=actor, approve=approve, comment=comment)

    return prepare


STEPS = {
    # API name: (workflow transitions it may run, how to prepare it from the body)
    "propose": (("propose",), _plain(items.propose)),
    "review": (("review", "refuse"), _review),
    "return_to_draft": (("return_to_draft",), _with_text(items.return_to_draft, "comment")),
    "approve": (("approve", "escalate"), _plain(items.approve)),
    "superior_approve": (("superior_approve",), _decision(items.superior_decide, approve=True)),
    "superior_return": (("superior_return",), _decision(items.superior_decide, approve=False)),
    "schedule": (("schedule",), _plain(items.schedule_publication)),
    "publish": (("publish",), _plain(items.publish)),
    "close": (("close",), _plain(items.close)),
    "withhold": (("withhold",), _with_text(items.withhold, "reason")),
    "request_amendment": (("request_amendment",), _amendment),
    "approve_amendment": (("approve_amendment",), _decision(items.decide_amendment, approve=True)),
    "reject_amendment": (("reject_amendment",), _decision(items.decide_amendment, approve=False)),
    "request_revocation": (("request_revocation",), _revocation),
    "approve_revocation": (
        ("approve_revocation",),
        _decision(items.decide_revocation, approve=True),
    ),
    "reject_revocation": (
        ("reject_revocation",),
        _decision(items.decide_revocation, approve=False),
    ),
}
"""The workflow steps the API runs, by name (see :mod:`core.items.workflow`): ``approve`` submits
to the superior when the item needs it; ``review`` records the review (a failed check returns
the item, ``refuse_reason`` refuses it)."""


def workflow_item_json(item: Item, loc: str) -> dict[str, Any]:
    version = item.current_version
    return {
        "id": item.id,
        "organisation": {"code": item.organisation.code, "name": item.organisation.name(loc)},
        "state": item.state,
        "title": i18n.localised(version.titles if version else {}, loc),
        "titles": dict(version.titles or {}) if version else {},
        "scope": item.scope,
        "visible_scope": item.visible_scope,
        "version": version.number if version else None,
        "planned_at": _iso(item.planned_at),
        "published_at": _iso(item.published_at),
        "notice_ends_at": _iso(item.notice_ends_at),
        "transitions": [t.name for t in allowed_transitions(wf.item, item, actor=current_user)],
        "api_url": url_for("items_api.transition_item", item_id=item.id, _external=True),
    }


def workflow_item(item_id: int, *, console_only: bool = False) -> Item:
    """An item the token's user may work on or read (else 404), of an enabled county; with
    ``console_only``, only for those who see it in the unit console (its workflow state, plan
    and scopes are console business)."""
    found = db.session.get(Item, item_id)
    if found is None:
        raise errors.not_found(_("There is no such item, or you may not see it."))
    org = found.organisation
    root = org if org.parent_id is None else db.session.get(Organisation, org.root_id)
    visible = permissions.may(current_user, "items.view_console", org) or (
        not console_only and can_see(auth.reader(org), found)
    )
    if not visible or not org.enabled or root is None or not root.enabled:
        raise errors.not_found(_("There is no such item, or you may not see it."))
    return found


@bp.route("/items/<int:item_id>/transitions", endpoint="transition_item")
@api.operation(
    _("An item's state and the steps the caller may run"),
    tag="workflow",
    description=_("The item as the workflow sees it, with the steps the token's user may run."),
    params=(ITEM_ID, LANG),
    responses={200: "WorkflowItem"},
    auth="required",
)
def transition_item(item_id: int):
    auth.require_bearer()
    found = workflow_item(item_id, console_only=True)
    loc = language()
    with force_locale(loc):
        return jsonify(workflow_item_json(found, loc))


@bp.route(
    "/items/<int:item_id>/transitions/<any({}):name>".format(", ".join(STEPS)),
    methods=["POST"],
)
@api.operation(
    _("Run a workflow step of an item"),
    tag="workflow",
    description=_(
        "Runs the step as the token's user: it needs the token scope items:write and a role "
        "that may run it. A comment, reason or explanation is required where the step needs "
        "one; review takes its findings. Answers the item."
    ),
    params=(
        ITEM_ID,
        api.Param("name", {}, _("The step (transition)."), location="path"),
    ),
    body="TransitionInput",
    responses={200: "WorkflowItem", 409: None},
    auth="required",
    scope="items:write",
)
def transition(item_id: int, name: str):
    auth.require_bearer()
    found = workflow_item(item_id)
    org = found.organisation
    auth.require_scope(f"item.{name}", org)
    candidates, prepare = STEPS[name]
    if not any(may_start(wf.item, found, t, actor=current_user) for t in candidates):
        raise ApiError(403, _("You hold no role that may run this step for this item."))
    data = inputs.json_body(optional=True)
    problems: list[str] = []
    run = prepare(found, data, problems)
    if problems:
        raise ApiError(422, _("The step needs other input."), problems=problems)
    run(current_user)
    db.session.flush()
    loc = language()
    with force_locale(loc):
        return jsonify(workflow_item_json(found, loc))
