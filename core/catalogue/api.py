"""JSON API of the catalogue: ``GET /api/v1/orgs/<code>/catalogue`` (the effective catalogue;
for a county, which keeps none of its own, its template in force: ``"kind": "template"``).

Anonymous callers get the public fields of each entry; callers signed in (or with a token)
with a role in the organisation or a superior (``catalogue.view_internal``) also get
``responsible``, ``mandatory``, ``item_type`` and ``notice_days``. ``?lang=`` picks the
language of titles and labels (else the request's language), falling back to Chinese.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify
from flask_babel import force_locale
from flask_login import current_user

from core import db, permissions
from core.api import errors
from core.api import spec as api
from core.api.inputs import language, preprocess_url
from core.catalogue import labels, schedule
from core.catalogue import operations as cat
from core.catalogue.models import CatalogueVersion, Entry
from core.i18n import _
from tenants.models import User

bp = Blueprint("catalogue_api", __name__, url_prefix="/api/v1/orgs/<org_code>")
bp.url_value_preprocessor(preprocess_url)


def entry_json(entry: Entry, org, loc: str, channel_labels: dict[str, str], internal: bool):
    data: dict[str, Any] = {
        "key": entry.key,
        "title": entry.title(loc),
        "titles": dict(entry.titles or {}),
        "content": entry.content_text(loc),
        "scope": entry.scope,
        "scope_label": labels.scope(entry.scope),
        "channels": list(entry.channels or []),
        "channel_labels": [channel_labels.get(c, c) for c in entry.channels or []],
        "cadence": entry.cadence,
        "cadence_label": labels.cadence(entry.cadence),
        "due_rule": schedule.due_rule(entry, org),
    }
    if internal:
        data.update(
            responsible=entry.responsible,
            mandatory=entry.mandatory,
            item_type=entry.item_type,
            notice_days=entry.notice_days,
            template_key=entry.template_key,
        )
    return data


def tree_json(nodes, org, loc, channel_labels, internal) -> list[dict[str, Any]]:
    return [
        {
            "key": node.category.key,
            "title": node.category.title(loc),
            "titles": dict(node.category.titles or {}),
            "code_2010": node.category.code_2010,
            "code_2017": node.category.code_2017,
            "entries": [entry_json(e, org, loc, channel_labels, internal) for e in node.entries],
            "categories": tree_json(node.children, org, loc, channel_labels, internal),
        }
        for node in nodes
    ]


def approver_name(version: CatalogueVersion) -> str | None:
    if version.decided_by_id is None:
        return None
    user = db.session.get(User, version.decided_by_id)
    return (user.display_name or user.username) if user else None


@bp.route("/catalogue")
@api.operation(
    _("The effective catalogue of an organisation"),
    tag="catalogue",
    description=_(
        "Categories and entries of the approved catalogue in force; internal fields for the "
        "organisation's people and its superiors. A county keeps no catalogue of its own: for "
        "a county this is its catalogue template in force (kind template), from which its "
        "units make their catalogues."
    ),
    params=(api.ORG_CODE, api.LANG),
    responses={200: "Catalogue"},
)
def catalogue():
    org = g.org
    # a county publishes through its template (the basic catalogue), like its public page
    kind = "template" if cat.publishes_by_template(org) else "unit"
    version = cat.effective_version(org, kind)
    if version is None:
        raise errors.not_found(_("This organisation has no effective catalogue."))
    loc = language()
    internal = permissions.may(current_user, "catalogue.view_internal", org)  # token-aware
    with force_locale(loc):
        channel_labels = cat.channel_labels(loc)
        body = {
            "organisation": {"code": org.code, "name": org.name(loc)},
            "kind": kind,
            "version": version.number,
            "effective_from": version.effective_from.isoformat()
            if version.effective_from
            else None,
            "approved_at": version.decided_at.isoformat() if version.decided_at else None,
            "approved_by": approver_name(version),
            "language": loc,
            "categories": tree_json(cat.tree(version), org, loc, channel_labels, internal),
        }
    response = jsonify(body)
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response
