"""Open data pages: ``/o/<code>/data/`` (downloads), ``/o/<code>/data/fields``,
``/o/<code>/data/<dataset>.<csv|json>``, ``/o/<code>/statistics``; ``/data/catalog.jsonld`` and
``/data/schemas/<name>.json``. Public GET pages only: everything shown is what an anonymous
visitor may read (:mod:`core.opendata.datasets`), whoever asks.

Downloads and the catalogue are limited per address (:data:`DOWNLOAD_LIMIT`): a file is made
once per data version (:mod:`core.opendata.cache`), but even reading it costs.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, g, request, send_file, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import select

from core import db, ratelimit, web
from core.catalogue.operations import today_for
from core.disclosure_requests import labels as request_labels
from core.i18n import _
from core.opendata import cache, dcat, stats
from core.opendata.datasets import DATASETS, FORMATS, OUTCOME_FIELDS
from core.themes import render
from tenants import hierarchy
from tenants.models import Organisation

bp = web.org_blueprint("opendata", __name__, console=False)

site = Blueprint("opendata_site", __name__)

DOWNLOAD_LIMIT = "30 per minute;300 per hour"
"""Downloads (and catalogue pages) one address may fetch."""
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
DATASET_NAMES = "any(" + ", ".join(f'"{n}"' for n in DATASETS) + ")"
MAX_INT = 2**31 - 1
TYPE_LABELS = {
    "string": _("text"),
    "integer": _("whole number"),
    "number": _("number"),
    "boolean": _("true or false"),
    "date": _("date"),
    "datetime": _("time"),
    "array": _("list of codes"),
}


def _limited(scope: str) -> None:
    ratelimit.refuse_beyond(DOWNLOAD_LIMIT, scope=scope)


def base_context(**extra) -> dict:
    org = g.org
    return {
        "org": org,
        "locale": str(get_locale()),
        "ancestors": hierarchy.ancestors(org),
        **extra,
    }


def band_label(key: str) -> str:
    for low, high in stats.RESPONSE_BANDS:
        if stats.band_key(low, high) == key:
            if high is None:
                return gettext("%(n)d or more working days", n=low)
            return gettext("%(low)d–%(high)d working days", low=low, high=high)
    return key


# --- the downloads ---------------------------------------------------------------------------


@bp.route("/data/")
def index():
    """The datasets of this organisation's subtree, with their downloads."""
    org = g.org
    ver = cache.version(org)
    return render(
        "opendata/index.html",
        **base_context(
            datasets=list(DATASETS.values()),
            formats=FORMATS,
            version=ver,
            is_county=org.parent_id is None,
            county=org if org.parent_id is None else None,
        ),
    )


@bp.route("/data/fields")
def fields():
    """Every field of every dataset, described in the reader's language."""
    return render(
        "opendata/fields.html",
        **base_context(datasets=list(DATASETS.values()), type_labels=TYPE_LABELS),
    )


@bp.route(f"/data/<{DATASET_NAMES}:dataset>.<any(csv, json):fmt>")
def download(dataset: str, fmt: str):
    """A dataset as CSV (UTF-8 with a byte order mark) or JSON, made once per data version."""
    org = g.org
    _limited("opendata-download")
    path, ver = cache.file(org, DATASETS[dataset], fmt)
    response = send_file(
        path,
        mimetype=MEDIA_TYPES[fmt],
        as_attachment=fmt == "csv",
        download_name=f"{org.code}-{dataset}-{ver.day.isoformat()}.{fmt}",
        etag=f"{ver.key}-{dataset}-{fmt}",
        last_modified=ver.modified,
        conditional=True,
        max_age=300,
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- statistics ------------------------------------------------------------------------------


def _year_arg(years: list[int]) -> int:
    raw = request.args.get("year")
    if not raw:
        return years[0]
    if not raw.isascii() or not raw.isdigit() or int(raw) not in years:
        abort(404)
    return int(raw)


@bp.route("/statistics")
def statistics():
    """The figures of this organisation (and each unit of its subtree) for one year."""
    org = g.org
    rows, ver = cache.records(org, "statistics")
    years = sorted({r["year"] for r in rows}, reverse=True) or [today_for(org).year]
    year = _year_arg(years)
    units = [r for r in rows if r["year"] == year]
    own = next((r for r in units if r["organisation_code"] == org.code), None)
    total = {
        name: sum(r[name] or 0 for r in units)
        for name in units[0]
        if units and isinstance(units[0][name], int) and name != "year"
    } if units else {}  # fmt: skip
    rounds = stats.public_rounds([o.id for o in stats.units(org)], year, newest_first=True)
    return render(
        "opendata/statistics.html",
        **base_context(
            year=year,
            years=years,
            units=units,
            own=own,
            total=total,
            rounds=rounds,
            version=ver,
            outcomes=[(name, request_labels.outcome(name[8:]) if name != "outcome_lapsed"
                       else gettext("Lapsed (not amended in time)")) for name in OUTCOME_FIELDS],
            bands=[(key, band_label(key)) for key in stats.BAND_KEYS],
            percent=percent,
            unit_names={o.code: o.name(str(get_locale()), "short") for o in stats.units(org)},
        ),
    )  # fmt: skip


def percent(value) -> str:
    if value is None:
        return "—"
    return gettext("%(n)s %%", n=f"{value * 100:.1f}".rstrip("0").rstrip("."))


# --- the catalogue and the schemas -----------------------------------------------------------


def _json(body, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1), status=status, mimetype=mimetype
    )


def _problem(message: str) -> Response:
    return _json({"error": {"status": 400, "code": "bad_request", "message": message}}, 400)


@site.route("/data/catalog.jsonld")
def catalog():
    """The DCAT-AP catalogue of every open dataset (of one county with ``county=CODE``)."""
    _limited("opendata-catalog")
    county = None
    code = (request.args.get("county") or "").strip()
    if code:
        county = db.session.scalar(
            select(Organisation).where(
                Organisation.code == code,
                Organisation.parent_id.is_(None),
                Organisation.enabled.is_(True),
            )
        )
        if county is None or (g.get("host_org") and g.host_org.root_id != county.id):
            return _problem(gettext("county: no hosted county has the code “%(code)s”.",
                                    code=code[:63]))  # fmt: skip
    elif g.get("host_org") is not None:
        county = db.session.get(Organisation, g.host_org.root_id or g.host_org.id)
    try:
        since = dcat.parse_since(request.args.get("modified_since"))
    except dcat.FilterError:
        return _problem(gettext("modified_since: a date (YYYY-MM-DD) or a time (ISO 8601)."))
    raw = request.args.get("page") or "1"
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_INT:
        return _problem(gettext("page: a whole number from 1."))
    body = dcat.catalog(county=county, since=since, page=int(raw))
    response = _json(body, mimetype="application/ld+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@site.route(
    "/data/schemas/<any(" + ", ".join(f'"{n}"' for n in ("catalog", *DATASETS)) + "):name>.json"
)
def schema(name: str):
    """The JSON Schema of the catalogue or of a dataset's JSON file."""
    body = dcat.CATALOG_SCHEMA if name == "catalog" else dcat.dataset_schema(DATASETS[name])
    response = _json(body, mimetype="application/schema+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def catalog_url(county: Organisation | None) -> str:
    return url_for("opendata_site.catalog", county=county.code if county else None)
