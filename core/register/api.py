"""The register's JSON (ARC-1).

* ``GET /api/v1/orgs/<code>/register`` — register entries, oldest first by ``seq``, paged with
  cursors; for the unit's own admins, reviewers and supervisors and those of its superiors
  (``register.view``), with the token scope ``register:read``; 401 anonymous, 403 others.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from core import db, permissions
from core.api import auth, inputs, pagination, spec
from core.api.errors import ApiError
from core.api.spec import Param
from core.errors import Problem
from core.i18n import _
from core.register.models import RegisterEntry
from tenants.models import Organisation

bp = Blueprint("register_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(inputs.preprocess_url)

ORG_CODE = spec.ORG_CODE


# --- the register ----------------------------------------------------------------------------


def register_entry_json(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "recorded_at": entry.recorded_at.isoformat(),
        "year": entry.year,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_version": entry.object_version,
        "title": entry.title,
        "scope": entry.scope,
        "channels": list(entry.channels or []),
        "approvals": list(entry.approvals or []),
        "attachments": list(entry.attachments or []),
        "actor": entry.actor_label,
        "data": dict(entry.data or {}),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


@bp.route("/orgs/<org_code>/register")
@spec.operation(
    _("Register entries of a unit"),
    tag="register",
    description=_(
        "The unit's register (ARC-1), oldest first, paged with cursors: for its admins, "
        "reviewers and supervisors and those of its superiors."
    ),
    params=(
        ORG_CODE,
        Param("year", {"type": "integer", "minimum": 2000, "maximum": 2100}, _("Only this year.")),
        Param("limit", {"type": "integer", "minimum": 1, "maximum": 100}, _("Page size.")),
        Param("cursor", {"type": "string", "maxLength": 500}, _("next_cursor of a page.")),
    ),
    responses={200: "RegisterPage", 403: None},
    scope="register:read",
)
def register():
    org: Organisation = g.org
    if not current_user.is_authenticated:
        raise ApiError(
            401,
            _("The register is for the unit's admins and superiors: send a token."),
            headers={"WWW-Authenticate": 'Bearer realm="gongkai"'},
        )
    auth.require_scope("register.view", org)  # the token first: its refusal says more
    if not permissions.may(current_user, "register.view", org):
        raise ApiError(403, _("You may not read this unit's register."))
    problems: list[Problem] = []
    year = None
    raw_year = request.args.get("year")
    if raw_year not in (None, ""):
        try:
            year = int(raw_year)
        except ValueError:
            year = 0
        if not 2000 <= year <= 2100:
            problems.append(Problem("year", _("a year from 2000 to 2100")))
    limit = pagination.limit_arg(request.args, problems)
    kind = f"register:{org.id}"
    position = pagination.decode(request.args.get("cursor"), kind, {"year": year}, problems)
    if position is not None and not isinstance(position, int):
        problems.append(Problem("cursor", _("not a cursor of this list")))
    pagination.require_valid(problems)
    query = select(RegisterEntry).where(RegisterEntry.org_id == org.id)
    if year is not None:
        query = query.where(RegisterEntry.year == year)
    if position is not None:
        query = query.where(RegisterEntry.seq > position)
    rows = list(db.session.scalars(query.order_by(RegisterEntry.seq).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = pagination.encode(kind, {"year": year}, rows[-1].seq)
    body = {
        "organisation": {"code": org.code, "name": org.name(str(get_locale()))},
        "year": year,
        "limit": limit,
        "next_cursor": next_cursor,
        "entries": [register_entry_json(e) for e in rows],
    }
    return jsonify(body)
