"""JSON API of disclosed items, shaped like the catalogue endpoint (``core.catalogue.api``).

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

Anonymous callers get public items only (SCOPE-1); a token or a signed-in browser session gets
what its user may see (a service token: inside its organisation's subtree). An item the caller
may not see is a 404, as is one that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import force_locale, get_locale
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from core import db, ratelimit
from core.api import errors, pagination
from core.api import spec as api
from core.api.auth import reader
from core.api.errors import ApiError
from core.api.inputs import json_body, preprocess_url, text_field
from core.catalogue import labels
from core.catalogue import operations as cat
from core.catalogue.models import CADENCES, SCOPES
from core.i18n import _, normalise
from core.items import content
from core.items import operations as items
from core.items.models import Item
from core.items.visibility import can_see
from core.portal import reading
from core.portal.views import OBJECTION_LIMIT, OBJECTION_MAX
from core.search import operations as search_ops
from core.search import tokens
from tenants.models import Organisation

bp = Blueprint("portal_api", __name__, url_prefix="/api/v1")
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
    return labels.title(texts, loc)


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
        "api_url": url_for("portal_api.item", item_id=item.id, _external=True),
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
        problems.append(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
        return None
    if not 1000 <= day.year <= 9998:
        problems.append(f"{name}: a year from 1000 to 9998")
        return None
    return day


def _language() -> str:
    return normalise(request.args.get("lang")) or str(get_locale())


def _vary(response):
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


def _choice(name: str, allowed, problems: list[str]) -> str | None:
    value = (request.args.get(name) or "").strip() or None
    if value is not None and value not in allowed:
        problems.append(f"{name}: one of {', '.join(allowed)}")
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
        problems.append("page: a whole number from 1")
        return None
    return page


def _after(position) -> Any:
    """The keyset condition "older than ``position``" (newest first by published_at, id)."""
    try:
        published_at = datetime.fromisoformat(position[0])
        item_id = int(position[1])
    except (TypeError, ValueError, IndexError):
        raise ApiError(400, "The request has invalid parameters.",
                       problems=["cursor: not a cursor of this list"]) from None  # fmt: skip
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
        problems.append(f"q: at most {tokens.MAX_QUERY_CHARS} characters")
    category = (args.get("category") or "").strip() or None
    cadence = _choice("cadence", CADENCES, problems)
    scope = _choice("scope", SCOPES, problems)
    state = _choice("state", tuple(PUBLIC_STATES), problems)
    if q and (scope or state):
        problems.append("scope, state: do not combine with q")
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
        problems.append("page: not together with cursor")
    pagination.require_valid(problems)
    user = reader(org)
    filters = {"category": category, "cadence": cadence, "date_from": date_from, "date_to": date_to}
    snippets: dict[int, str] = {}
    next_position = None
    if q:
        number = page or (position[1] if isinstance(position, list) and len(position) == 2 else 1)
        if not isinstance(number, int) or number < 1:
            raise errors.bad_request(["cursor: not a cursor of this list"])
        found = search_ops.search(
            user, q, within=org, page=number, per_page=limit, locale=_language(), **filters
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
    loc = _language()
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
        raise errors.not_found("There is no such item, or you may not see it.")
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
    loc = _language()
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
            {"explanation": found.revocation_explanation, "revoked_at": _iso(detail.revoked_at)}
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
    loc = _language()
    detail = reading.detail(found)
    with force_locale(loc):
        body = {
            "item": {
                "id": found.id,
                "api_url": url_for("portal_api.item", item_id=found.id, _external=True),
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
            429, "Too many objections were sent from your address; please try again later."
        ) from None
    if not items.notice_open(found):
        raise ApiError(
            409,
            "This item is not a notice in its period: it takes no objections.",
            problems=[
                f"notice_ends_at: {_iso(found.notice_ends_at)}"
                if found.is_notice
                else "notice: the item is not a notice"
            ],
        )
    problems: list[str] = []
    text = text_field(data, "text", problems, required=True, max_length=OBJECTION_MAX["text"])
    name = text_field(data, "name", problems, max_length=OBJECTION_MAX["name"])
    contact = text_field(data, "contact", problems, max_length=OBJECTION_MAX["contact"])
    if problems:
        raise ApiError(422, "The objection was not lodged.", problems=problems)
    lodged = items.lodge_objection(
        found,
        text=text,
        name=name,
        contact=contact,
        user=current_user if current_user.is_authenticated else None,
    )
    body = {
        "id": lodged.id,
        "item": {
            "id": found.id,
            "api_url": url_for("portal_api.item", item_id=found.id, _external=True),
        },
        "received_at": _iso(lodged.lodged_at),
    }
    return jsonify(body), 201
