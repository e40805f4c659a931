"""The portal's JSON: the organisation directory (public, no account needed).

* ``GET /api/v1/orgs`` — the hosted counties (enabled roots; on a mapped host, that county);
* ``GET /api/v1/orgs/<code>`` — one organisation: parent, county, children, public contacts;
* ``GET /api/v1/orgs/<code>/tree`` — its enabled subtree, nested (one query).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, url_for
from flask_babel import force_locale
from sqlalchemy import select

from core import db
from core.api import inputs, spec
from core.api.inputs import language
from core.i18n import _
from tenants import codelists, hierarchy
from tenants.models import Organisation

bp = Blueprint("portal_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(inputs.preprocess_url)

PUBLIC_CONTACTS = ("hotline", "email", "suggestion_box", "reception_day", "address")
LANG, ORG_CODE = spec.LANG, spec.ORG_CODE


# --- organisations ---------------------------------------------------------------------------


def org_summary(org: Organisation, loc: str, types: dict[str, str]) -> dict[str, Any]:
    return {
        "code": org.code,
        "name": org.name(loc),
        "short_name": org.name(loc, "short"),
        "type": org.type_code,
        "type_label": types.get(org.type_code, org.type_code),
        "sector": org.sector,
        "url": url_for("tenants.portal", org_code=org.code, _external=True),
        "api_url": url_for("portal_api.organisation", org_code=org.code, _external=True),
    }


def _types(loc: str) -> dict[str, str]:
    return codelists.labels(codelists.ORG_TYPE, loc)


@bp.route("/orgs")
@spec.operation(
    _("Hosted counties"),
    tag="organisations",
    description=_("The enabled root organisations (on a county's own host: that county)."),
    params=(LANG,),
    responses={200: "OrganisationList"},
    auth="none",
)
def organisations():
    loc = language()
    roots = hierarchy.roots()
    host_org = g.get("host_org")
    if host_org is not None:
        roots = [r for r in roots if r.id == host_org.root_id]
    types = _types(loc)
    with force_locale(loc):
        body = {"language": loc, "organisations": [org_summary(r, loc, types) for r in roots]}
    return jsonify(body)


@bp.route("/orgs/<org_code>", endpoint="organisation")
@spec.operation(
    _("One organisation"),
    tag="organisations",
    description=_(
        "An organisation with its parent, county, enabled children and public contact channels."
    ),
    params=(ORG_CODE, LANG),
    responses={200: "Organisation"},
    auth="none",
)
def organisation():
    org: Organisation = g.org
    loc = language()
    types = _types(loc)
    ids = {i for i in (org.parent_id, org.root_id) if i and i != org.id}
    related = (
        {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
        if ids
        else {}
    )
    parent = related.get(org.parent_id) if org.parent_id else None
    county = related.get(org.root_id, org) if org.parent_id else org
    children = [c for c in hierarchy.children(org) if c.enabled]
    with force_locale(loc):
        body = {
            **org_summary(org, loc, types),
            "names": dict(org.names or {}),
            "parent": {"code": parent.code, "name": parent.name(loc)} if parent else None,
            "county": {"code": county.code, "name": county.name(loc)},
            "children": [org_summary(c, loc, types) for c in children],
            "contacts": {
                k: str(v)
                for k, v in (org.contacts or {}).items()
                if k in PUBLIC_CONTACTS and v not in (None, "")
            },
            "leading_group": dict(org.leading_group or {}),
            "default_locale": org.default_locale,
            "timezone": org.timezone,
            "language": loc,
        }
    return jsonify(body)


def enabled_subtree(org: Organisation) -> list[Organisation]:
    """The subtree of ``org`` without disabled organisations and what lies below them."""
    nodes = hierarchy.subtree(org)
    disabled = [n.path for n in nodes if not n.enabled]
    return [n for n in nodes if not any(n.path.startswith(p) for p in disabled)]


@bp.route("/orgs/<org_code>/tree")
@spec.operation(
    _("The subtree of an organisation"),
    tag="organisations",
    description=_("The organisation and every enabled organisation below it, nested."),
    params=(ORG_CODE, LANG),
    responses={200: "OrganisationTree"},
    auth="none",
)
def tree():
    org: Organisation = g.org
    loc = language()
    types = _types(loc)
    nodes = enabled_subtree(org)

    def node_json(pair) -> dict[str, Any]:
        node, children = pair
        return {
            "code": node.code,
            "name": node.name(loc),
            "short_name": node.name(loc, "short"),
            "type": node.type_code,
            "type_label": types.get(node.type_code, node.type_code),
            "sector": node.sector,
            "api_url": url_for("portal_api.organisation", org_code=node.code, _external=True),
            "children": [node_json(child) for child in children],
        }

    with force_locale(loc):
        top = hierarchy.build_tree(nodes)
        body = {"language": loc, "size": len(nodes), "tree": node_json(top[0])}
    return jsonify(body)
