"""The compliance pages (``/admin/o/<code>/compliance``, ``.csv``, ``.xlsx``) and the entries behind
a unit's value (``/admin/o/<code>/compliance/entries/<column>``).

Every page needs ``compliance.view`` in the organisation of the URL: its staff (admin, editor,
reviewer, supervisor) and those of its superiors; others get 403. The table shows every unit of
the subtree; the page's arguments — ``period``, ``sort``/``dir``, ``level``, ``sector``,
``state``, ``q`` and ``page`` — are kept by its links and its exports, which hold the same rows
(every page of them) and the same columns.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, g, request, url_for
from flask_babel import format_percent, gettext
from flask_login import current_user

from core import i18n, localtime, permissions, spreadsheets, web
from core.compliance import columns as registry
from core.compliance import (
    measures,  # noqa: F401 - registers core's columns
    reading,
    trend,
)
from core.compliance.columns import STATE_LABELS, STATES
from core.errors import UserError
from core.themes import render
from core.web import navigation
from tenants import codelists, hierarchy

bp = web.org_blueprint("compliance_admin", __name__, console=True, access="compliance.view")
navigation.entry(
    "supervision", "compliance", i18n._("Compliance"), "compliance_admin.overview",
    action="compliance.view", order=15, match=("compliance_admin.entries",),
)  # fmt: skip

PER_PAGE = 50
FILTERS = ("period", "sort", "dir", "level", "sector", "state", "q")


# --- the page's arguments --------------------------------------------------------------------


def refuse(message: str):
    raise UserError(message)


def arguments() -> dict[str, Any]:
    """The page's arguments, checked: a bad one is a 400 page that says which."""
    args = {k: (request.args.get(k) or "").strip() for k in FILTERS}
    today = localtime.today(g.org)
    found = registry.period(args["period"], today)
    if found is None:
        refuse(gettext("There is no period “%(value)s”.", value=args["period"][:40]))
    args["period_obj"] = found
    keys = {c.key for c in registry.registered()}
    if args["sort"] and args["sort"] not in keys | set(reading.IDENTITY_SORTS):
        refuse(gettext("The table cannot be sorted by “%(value)s”.", value=args["sort"][:40]))
    if args["dir"] not in ("", "asc", "desc"):
        refuse(gettext("The order is ascending or descending."))
    if args["state"] and args["state"] not in STATES:
        refuse(gettext("There is no state “%(value)s”.", value=args["state"][:40]))
    if len(args["q"]) > 100:
        refuse(gettext("Search for at most 100 characters."))
    if "\x00" in args["q"] or "\x00" in args["level"] or "\x00" in args["sector"]:
        refuse(gettext("The search contains a character that is not allowed."))
    return args


def kept(args: dict[str, Any], **changes) -> dict[str, str]:
    """The page's arguments for a link (empty ones left out), with ``changes``."""
    out = {k: args.get(k, "") for k in FILTERS}
    out.update(changes)
    return {k: v for k, v in out.items() if v}


# --- the table -------------------------------------------------------------------------------


def build(args: dict[str, Any]):
    ctx = reading.context(g.org, args["period_obj"])
    units = reading.units(g.org)
    rows = reading.table(ctx, units)
    loc = i18n.locale()
    shown = [
        r
        for r in rows
        if reading.matches(
            r, q=args["q"], level=args["level"], sector=args["sector"], state=args["state"]
        )
    ]
    shown = reading.sort(shown, args["sort"] or None, args["dir"] == "desc", loc)
    return ctx, rows, shown


def level_labels(loc: str) -> dict[str, str]:
    return codelists.labels(codelists.ORG_TYPE, loc)


def sector_labels(loc: str) -> dict[str, str]:
    plugins = current_app.extensions.get("gongkai.plugins")
    sectors = plugins.sectors() if plugins is not None else {}
    return {code: i18n.localised(names, loc) or code for code, names in sectors.items()}


def inspecting_organisation():
    """The organisation an inspection of this unit is recorded by, for the signed-in person:
    the highest of the unit and its superiors where they may record inspections (a county
    admin inspects as the county, a bureau reviewer as the bureau, the unit's own admin as the
    unit); None when they may not."""
    for org in [*hierarchy.ancestors(g.org), g.org]:
        if permissions.may(current_user, "inspections.manage", org):
            return org
    return None


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def page_rows(shown: list, number: int) -> web.Page:
    pages = max(1, -(-len(shown) // PER_PAGE))
    number = min(max(number, 1), pages)
    start = (number - 1) * PER_PAGE
    return web.Page(shown[start : start + PER_PAGE], number, pages, len(shown), PER_PAGE)


@bp.route("/compliance")
def overview():
    args = arguments()
    ctx, rows, shown = build(args)
    loc = i18n.locale()
    page = page_rows(shown, web.page_number(max(1, -(-len(shown) // PER_PAGE))))
    own = next((r for r in rows if r.id == g.org.id), None)
    reading.annotate(ctx, [*page.rows, *([own] if own is not None else [])])
    page_ids = [r.id for r in page.rows]
    trends = reading.unit_trends(ctx, sorted({*page_ids, g.org.id}))
    small_title = gettext("Disclosure rate of the last 12 months")
    sparklines = {
        org_id: trend.chart(months, id=f"trend-{org_id}", small=True, locale=loc, title=small_title)
        for org_id, months in trends.items()
    }
    has_units = len(rows) > 1
    subtree_chart = (
        trend.chart(
            reading.subtree_trend(ctx),
            id="trend-subtree",
            locale=loc,
            title=gettext(
                "%(org)s and the units below it: disclosure by month", org=g.org.name(loc, "short")
            ),
        )
        if has_units
        else None
    )
    own_chart = trend.chart(
        trends.get(g.org.id) or [], id="trend-own", locale=loc,
        title=gettext("%(org)s: disclosure by month", org=g.org.name(loc, "short")),
    ) if own is not None and trends.get(g.org.id) else None  # fmt: skip
    levels = level_labels(loc)
    sectors = sector_labels(loc)
    return render(
        "admin/compliance.html",
        org=g.org,
        locale=loc,
        ctx=ctx,
        args=args,
        kept=lambda **changes: kept(args, **changes),
        columns=registry.registered(),
        page=page,
        own=own,
        own_chart=own_chart,
        subtree_chart=subtree_chart,
        sparklines=sparklines,
        summary=reading.summary(ctx, rows),
        has_units=has_units,
        periods=registry.period_choices(ctx.today),
        levels={r.type_code: levels.get(r.type_code, r.type_code) for r in rows},
        sectors={r.sector: sectors.get(r.sector, r.sector) for r in rows},
        states=STATE_LABELS,
        state_label=registry.state_label,
        # the words of every state and column once (a lazy string costs a look-up each time)
        state_labels={code: str(text) for code, text in STATE_LABELS.items()},
        column_labels={c.key: str(c.label) for c in registry.registered()},
        inspect_from=inspecting_organisation(),
        parent=hierarchy.ancestors(g.org)[-1] if g.org.parent_id else None,
        percent=percent,
    )


# --- the exports -----------------------------------------------------------------------------


def export_table(args: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The page's columns and every row the page's filters keep, in its order."""
    _ctx, _rows, shown = build(args)
    loc = i18n.locale()
    levels, sectors = level_labels(loc), sector_labels(loc)
    cols = registry.registered()
    header = [
        gettext("Unit"),
        gettext("Code"),
        gettext("Level"),
        gettext("Sector"),
        gettext("State"),
    ] + [str(c.label) for c in cols]
    body = []
    for r in shown:
        cells = [
            r.name(loc),
            r.code,
            levels.get(r.type_code, r.type_code),
            sectors.get(r.sector, r.sector),
            registry.state_label(r.state),
        ]
        cells += [c.export(r.values.get(c.key)) for c in cols]
        body.append(cells)
    return header, body


@bp.route("/compliance.<any(csv, xlsx):fmt>")
def export(fmt: str):
    args = arguments()
    header, body = export_table(args)
    today = localtime.today(g.org)
    name = f"compliance-{g.org.code}-{args['period_obj'].key}-{today.isoformat()}.{fmt}"
    if fmt == "csv":
        data: str | bytes = spreadsheets.csv_text(header, body)
        mimetype = "text/csv; charset=utf-8"
    else:
        loc = i18n.locale()
        data = spreadsheets.xlsx_bytes(
            header,
            body,
            sheet_title=gettext("Compliance"),
            title=f"{g.org.name(loc)} · {args['period_obj'].label()}",
            rtl=i18n.text_direction() == "rtl",
        )
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# --- the entries behind a unit's value ---------------------------------------------------------


@bp.route("/compliance/entries/<column>")
def entries(column: str):
    found = registry.get(column)
    if found is None or found.entries is None:
        abort(404)
    args = arguments()
    ctx = reading.context(g.org, args["period_obj"])
    rows = reading.annotate(ctx, reading.table(ctx, reading.units(g.org)[:1]))
    own = rows[0] if rows else None
    loc = i18n.locale()
    return render(
        "admin/compliance_entries.html",
        org=g.org,
        locale=loc,
        ctx=ctx,
        args=args,
        column=found,
        own=own,
        entries=found.entries(ctx, g.org),
        state_label=registry.state_label,
        back=url_for(".overview", **kept(args)),
    )
