"""The catalogue's groups of My work (:mod:`core.web.work`): unit catalogues to decide as the
superior, and the person's own catalogue versions returned for revision."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from core import db
from core.catalogue import workflow as wf
from core.catalogue.models import Catalogue, CatalogueVersion
from core.i18n import _
from core.web import work
from tenants.models import Organisation


def _versions(states, condition):
    return (
        select(CatalogueVersion, Organisation)
        .join(Catalogue, Catalogue.id == CatalogueVersion.catalogue_id)
        .join(Organisation, Organisation.id == CatalogueVersion.org_id)
        .where(Catalogue.kind == "unit", CatalogueVersion.state.in_(states), condition)
        .order_by(CatalogueVersion.submitted_at, CatalogueVersion.id)
    )


@work.provider(
    "catalogue.decide",
    _("Catalogues to decide"),
    action=_("Review and decide"),
    roles={"reviewer"},
    order=30,
)
def catalogues_to_decide(ctx: work.Context):
    for version, org in db.session.execute(_versions(("submitted",), ctx.below({"reviewer"}))):
        if ctx.may("catalogue.decide", version):
            yield work.Row(
                org,
                _("Catalogue version %(number)s", number=version.number),
                url_for("catalogue_admin.decide", org_code=org.code, number=version.number),
                note=version.note or "",
                sort=version.submitted_at,
            )


@work.provider(
    "catalogue.returned",
    _("Catalogues returned for revision"),
    action=_("Revise"),
    roles=wf.EDITORS,
    order=35,
)
def catalogues_returned(ctx: work.Context):
    query = _versions(("returned",), CatalogueVersion.org_id.in_(ctx.org_ids(wf.EDITORS)))
    for version, org in db.session.execute(query):
        if ctx.may("catalogue.edit", org):
            yield work.Row(
                org,
                _("Catalogue version %(number)s", number=version.number),
                url_for("catalogue_admin.version", org_code=org.code, kind="unit",
                        number=version.number),
                note=version.decision_comment or "",
                sort=version.decided_at,
            )  # fmt: skip
