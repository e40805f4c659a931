"""The county's branding on every page of its subtree: its stylesheet
(``/o/<code>/appearance.css``), its emblem (``/o/<code>/emblem``) and what the layout's header
shows (the template global ``county_branding()``).

Both addresses answer for any organisation of the county with the county's branding; the
layout links them under the county's own code, so that one copy serves every unit. They carry
an ``ETag`` (the branding's version, the emblem's digest) and a ``Cache-Control: public``; the
layout adds ``?v=<version>``, and an address with the current version may be kept a year.
Colours are custom properties in a stylesheet of their own, never a ``style`` attribute: the
Content-Security-Policy (``style-src 'self'``) allows nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, g, request, url_for
from sqlalchemy import select

from core import db, web
from core.appearance import branding
from core.appearance.models import CountyAppearance
from core.i18n import locale
from tenants.models import Organisation

bp = web.org_blueprint("appearance", __name__, console=False)

SHORT = "public, max-age=300"
LONG = "public, max-age=31536000, immutable"

STYLESHEET = """/* The branding of the county (core.appearance): its colours on top of the theme. */
:root {{{properties} }}
{rules}"""
PRIMARY_RULES = (
    ".site-header { background: var(--brand-primary); }\n"
    "button:not(.link):not(.secondary):not(.danger) { background: var(--brand-primary); "
    "border-color: var(--brand-primary); }\n"
    "button:not(.link):not(.secondary):not(.danger):hover { background: var(--brand-primary); "
    "filter: brightness(0.85); }\n"
    # white on the primary colour has the contrast of the primary colour on white
    "button.secondary { color: var(--brand-primary); border-color: var(--brand-primary); }\n"
    "a.button { border-color: var(--brand-primary); }\n"
)
ACCENT_RULES = (
    "a { color: var(--brand-accent); }\n"
    ".site-header a { color: #fff; }\n"
    ".console-home a:hover, .console-side li a:hover { color: var(--brand-accent); }\n"
    ".console-side a[aria-current] { color: var(--brand-accent); "
    "border-inline-start-color: var(--brand-accent); }\n"
)


def stylesheet_text(row: CountyAppearance) -> str:
    properties, rules = "", ""
    if row.primary_colour:
        properties += f" --brand-primary: {row.primary_colour};"
        rules += PRIMARY_RULES
    if row.accent_colour:
        properties += f" --brand-accent: {row.accent_colour};"
        rules += ACCENT_RULES
    return STYLESHEET.format(properties=properties, rules=rules)


def _cached(response: Response, tag: str) -> Response:
    response.set_etag(tag)
    response.headers["Cache-Control"] = LONG if request.args.get("v") == tag else SHORT
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.route("/appearance.css")
def stylesheet():
    row = branding.of(g.org)
    if row is None or not row.has_colours:
        abort(404)
    response = Response(stylesheet_text(row), mimetype="text/css")
    return _cached(response, row.version())


@bp.route("/emblem")
def emblem():
    row = branding.of(g.org)
    if row is None or row.storage_key is None:
        abort(404)
    response = Response(branding.emblem(row), mimetype=row.emblem_type)
    suffix = ".png" if row.emblem_type == "image/png" else ".jpg"
    response.headers["Content-Disposition"] = f'inline; filename="emblem{suffix}"'
    return _cached(response, row.sha256[:16])


@dataclass(frozen=True)
class Branding:
    """What the layout's header shows of a county's branding."""

    name: str
    home: str
    emblem: str | None
    emblem_width: int | None
    emblem_height: int | None
    stylesheet: str | None


def for_page() -> Branding | None:
    """The branding of the page's organisation (or of the county a custom host is mapped to),
    once per request; None outside a county or when it has none."""
    if "county_branding" in g:
        return g.county_branding
    org = g.get("org") or g.get("host_org")
    found = None
    if isinstance(org, Organisation):
        pair = db.session.execute(
            select(CountyAppearance, Organisation)
            .join(Organisation, Organisation.id == CountyAppearance.org_id)
            .where(CountyAppearance.org_id == branding.county_of(org))
        ).first()
        if pair is not None:
            row, county = pair
            code = county.code
            found = Branding(
                name=row.display_name(locale()) or county.name(locale(), "short"),
                home=url_for("tenants.portal", org_code=code),
                emblem=url_for("appearance.emblem", org_code=code, v=row.sha256[:16])
                if row.storage_key
                else None,
                emblem_width=row.emblem_width,
                emblem_height=row.emblem_height,
                stylesheet=url_for("appearance.stylesheet", org_code=code, v=row.version())
                if row.has_colours
                else None,
            )
    g.county_branding = found
    return found


@bp.app_context_processor
def template_globals():
    return {"county_branding": for_page}
