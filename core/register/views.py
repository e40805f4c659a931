"""The register in the unit console (``/admin/o/<code>/register``): a year's entries with the
verification of the chain, and their export as CSV or XLSX (ARC-1, ARC-2).

Its readers (``register.view``): the unit's admins, reviewers and supervisors and those of its
superiors; anyone else gets 403, anonymous visitors the sign-in page.
"""

from __future__ import annotations

from flask import Response, g

from core import web
from core.catalogue import labels
from core.catalogue import operations as cat
from core.i18n import _, locale
from core.register import operations
from core.themes import render
from core.web import navigation
from core.workflow import engine

bp = web.org_blueprint("register_admin", __name__, console=True, access="register.view")

navigation.entry("disclosure", "register", _("Register"), "register_admin.register",
                 action="register.view", order=50)  # fmt: skip

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.route("/register")
def register():
    org = g.org
    year = web.year_arg()
    total, _orgs = operations.count(org)
    return render(
        "admin/register.html",
        org=org,
        locale=locale(),
        labels=labels,
        channel_labels=cat.channel_labels(locale()),
        year=year,
        entries=operations.entries(org, year),
        problems=operations.verify(org),
        total=total,
        actions=operations.ACTIONS,
        step_label=engine.step_label,
    )


@bp.route("/register/export.<any(csv, xlsx):fmt>")
def register_export(fmt: str):
    org = g.org
    year = web.year_arg()
    export = operations.export_csv if fmt == "csv" else operations.export_xlsx
    return Response(
        export(org, year, locale=locale()),
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="register-{org.code}-{year}.{fmt}"'},
    )
