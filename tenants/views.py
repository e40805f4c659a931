"""Portal pages of an organisation: the unit portal and the county portal."""

from __future__ import annotations

from flask import Blueprint, current_app, g
from flask_babel import get_locale

from core.themes import render
from tenants import codelists, hierarchy, resolution

bp = Blueprint("tenants", __name__, url_prefix="/o/<org_code>")
bp.url_value_preprocessor(resolution.pull_org)
bp.url_defaults(resolution.add_org_code)


def portal_context(org) -> dict:
    locale = str(get_locale())
    is_county = org.parent_id is None
    plugins = current_app.extensions["gongkai.plugins"]
    context = {
        "org": org,
        "locale": locale,
        "ancestors": hierarchy.ancestors(org),
        "children": hierarchy.children(org),
        "is_county": is_county,
        "org_types": codelists.labels(codelists.ORG_TYPE, locale),
        "sectors": {
            c: labels.get(locale) or labels.get("zh_Hans_CN") or c
            for c, labels in plugins.sectors().items()
        },
        "panels": [
            p
            for batch in plugins.relay(org).portal_panels(org=org, locale=locale)
            for p in batch or []
        ],
        "directory": None,
    }
    if is_county:
        context["directory"] = hierarchy.build_tree(hierarchy.subtree(org, include_self=False))
    return context


PORTAL_PAGE = "gongkai.portal_page"
"""``app.extensions`` key of the function that renders an organisation's portal page.

The tenants layer renders the organisation alone (directory, contacts, leading group); a later
engine package (``core.portal``) registers a fuller page (items, notices, search) here, so the
URL and the endpoint ``tenants.portal`` stay the same whatever renders it.
"""


def render_portal(org):
    page = current_app.extensions.get(PORTAL_PAGE)
    if page is not None:
        return page(org)
    return render("portal/unit.html", **portal_context(org))


@bp.route("/")
def portal():
    return render_portal(g.org)
