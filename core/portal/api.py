"""JSON API of disclosed items, shaped like the catalogue endpoint (``core.catalogue.api``).

* ``GET /api/v1/orgs/<code>/items`` — the items of the organisation and its subtree, newest
  first, or ranked by relevance with ``q``; filters ``category`` (a category key, sub-categories
  included), ``cadence``, ``from`` and ``to`` (days of publication, ``YYYY-MM-DD``), ``page``,
  ``per_page`` (at most 100), ``lang``.
* ``GET /api/v1/items/<id>`` — one item with its body (sanitised HTML), published versions and
  their explanations, attachments and, when revoked, the revocation notice.

Anonymous callers get public items only (SCOPE-1); a signed-in browser session gets what its
user may see. An item the caller may not see is a 404, as is one that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import force_locale, get_locale
from flask_login import current_user

from core import db
from core.catalogue import labels
from core.catalogue import operations as cat
from core.catalogue.models import CADENCES
from core.i18n import normalise
from core.items import content
from core.items import operations as items
from core.items.models import Item
from core.items.visibility import can_see
from core.portal import reading
from core.search import operations as search_ops
from core.search import tokens
from tenants import resolution
from tenants.models import Organisation

bp = Blueprint("portal_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(resolution.pull_org)

PER_PAGE = 20
MAX_PER_PAGE = 100


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


def not_found():
    return jsonify(error="not_found", message="There is no such item, or you may not see it."), 404


def bad_request(problems: list[str]):
    return jsonify(error="bad_request", message="; ".join(problems), problems=problems), 400


def _day(value: str | None, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
        return None


def _language() -> str:
    return normalise(request.args.get("lang")) or str(get_locale())


def _vary(response):
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@bp.route("/orgs/<org_code>/items", endpoint="items")
def items_list():
    org = g.org
    args = request.args
    problems: list[str] = []
    q = (args.get("q") or "").strip()
    if len(q) > tokens.MAX_QUERY_CHARS:
        problems.append(f"q: at most {tokens.MAX_QUERY_CHARS} characters")
    category = (args.get("category") or "").strip() or None
    cadence = (args.get("cadence") or "").strip() or None
    if cadence and cadence not in CADENCES:
        problems.append(f"cadence: one of {', '.join(CADENCES)}")
    date_from = _day(args.get("from"), "from", problems)
    date_to = _day(args.get("to"), "to", problems)
    page = args.get("page", 1, type=int)
    per_page = args.get("per_page", PER_PAGE, type=int)
    if page is None or page < 1:
        problems.append("page: a whole number from 1")
    if per_page is None or not 1 <= per_page <= MAX_PER_PAGE:
        problems.append(f"per_page: a whole number from 1 to {MAX_PER_PAGE}")
    if problems:
        return bad_request(problems)
    filters = {"category": category, "cadence": cadence, "date_from": date_from, "date_to": date_to}
    if q:
        found = search_ops.search(
            current_user, q, within=org, page=page, per_page=per_page, **filters
        )
        result = reading.Page(
            found.total, found.items, found.page, found.pages, found.per_page, found.snippets
        )
    else:
        result = reading.page_of(reading.filtered(current_user, org, **filters), page, per_page)
    loc = _language()
    with force_locale(loc):
        channel_labels = cat.channel_labels(loc)
        entries = reading.entries_of(result.items)
        rows = []
        for item in result.items:
            entry, category_row = entries.get(
                (item.catalogue_version_id, item.entry_key), (None, None)
            )
            rows.append(
                item_json(
                    item,
                    loc,
                    channel_labels,
                    entry,
                    category_row,
                    result.snippets.get(item.id) if q else None,
                )
            )
        body = {
            "organisation": {"code": org.code, "name": org.name(loc)},
            "language": loc,
            "query": {
                "q": q or None,
                "category": category,
                "cadence": cadence,
                "from": _iso(date_from),
                "to": _iso(date_to),
            },
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "per_page": result.per_page,
            "items": rows,
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


@bp.route("/items/<int:item_id>")
def item(item_id: int):
    found = db.session.get(Item, item_id)
    if found is None or not can_see(current_user, found) or not reachable(found):
        return not_found()
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
        data["versions"] = [
            {
                "number": v.number,
                "title": _text(v.titles, loc),
                "titles": dict(v.titles or {}),
                "explanation": v.explanation or None,
                "published_at": _iso(v.published_at),
                "current": version is not None and v.id == version.id,
                "attachments": [
                    attachment_json(found, a) for a in detail.attachments.get(v.id, [])
                ],
            }
            for v in detail.versions
        ]
        data["revocation"] = (
            {"explanation": found.revocation_explanation, "revoked_at": _iso(detail.revoked_at)}
            if found.state == "revoked"
            else None
        )
        data["language"] = loc
    return _vary(jsonify(data))
