"""Platform pages: the home page (hosted counties), health and readiness."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify
from flask_babel import get_locale
from sqlalchemy import text

from core import db, jobs
from core.themes import render
from tenants import hierarchy
from tenants.views import render_portal

# Named "core": its endpoints (``core.home``) are linked from every template.
bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    host_org = g.get("host_org")
    if host_org is not None:
        g.org = host_org
        return render_portal(host_org)
    counties = hierarchy.roots()
    return render("home.html", counties=counties, locale=str(get_locale()))


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    checks: dict[str, str] = {}
    ok = True
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        ok = False
    if current_app.config.get("REDIS_URL"):
        try:
            jobs.redis_connection().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
            ok = False
    else:
        checks["redis"] = "embedded"
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503
