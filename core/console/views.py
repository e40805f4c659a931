"""My work (``/admin``) and an organisation's console home (``/admin/o/<code>/``)."""

from __future__ import annotations

from flask import Blueprint, g, request, url_for
from flask_login import current_user

from core import i18n, permissions, web
from core.themes import render
from core.web import navigation, status, work

bp = Blueprint("console", __name__)
bp.before_request(web.require_sign_in)

org_bp = web.org_blueprint("org_console", __name__, console=True, access="console.view")

ROWS_SHOWN = 10
"""Rows of each group on My work; the group's own page (``?group=``) shows them all."""


@bp.route("/admin", strict_slashes=False)
def my_work():
    ctx = work.context_for(current_user, i18n.locale())
    only = request.args.get("group") or None
    if only is not None and len(only) > 80:
        only = None
    groups = work.collect(ctx, only=only)
    consoles, portals = [], []
    for org in sorted(ctx.orgs.values(), key=lambda o: o.path):
        if permissions.may(current_user, "console.view", org):
            consoles.append((org, url_for("org_console.home", org_code=org.code)))
        else:
            portals.append((org, url_for("tenants.portal", org_code=org.code)))
    return render(
        "admin/my_work.html",
        groups=groups,
        only=only,
        rows_shown=None if only else ROWS_SHOWN,
        consoles=consoles,
        portals=portals,
        platform_links=navigation.platform_links(current_user),
        total=sum(grp.count for grp in groups),
        overdue=sum(grp.urgent for grp in groups),
    )


@org_bp.route("/")
def home():
    org = g.org
    return render(
        "admin/home.html",
        org=org,
        sections=status.for_org(org, current_user),
        nav=navigation.for_org(org),
    )
