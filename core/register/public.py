"""The public register and its signed checkpoints: pages anyone reads, JSON a verifier follows.

* ``/o/<code>/register`` — every entry of the unit's register in order (newest page first): the
  public ones with what was published about them, the others with their content sealed; every
  entry with its hash (see :mod:`core.register.models` for why that lets anyone check the whole
  chain without seeing what is not public);
* ``/o/<code>/register.json?after=SEQ&limit=N`` — the same, oldest first, for machines: each
  entry's ``seq``, ``format``, ``prev_hash``, ``sealed``, ``hash`` and ``disclosed`` part, and the
  unit's head;
* ``/o/<code>/register/checkpoints`` (``.json``) — the signed checkpoints;
* ``/.well-known/gongkai-register-keys.json`` — the deployment's public keys, current and retired.

``gongkai register verify --remote URL --org CODE`` (:mod:`core.register.remote`) reads these and
nothing else. Nothing here shows a non-public entry's content: its ``sealed`` digest is salted.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, g, jsonify, request, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import func, select

from core import db, ratelimit, web
from core.register import checkpoints as cps
from core.register import signing
from core.register.models import (
    CURRENT_FORMAT,
    RegisterCheckpoint,
    RegisterEntry,
    RegisterHead,
    RegisterKey,
    sealed_digest,
)
from core.register.operations import ACTIONS
from core.themes import render
from tenants import hierarchy
from tenants.models import Organisation

bp = web.org_blueprint("register_public", __name__, console=False)

site = Blueprint("register_keys", __name__)

PER_PAGE = 50
JSON_LIMIT = 500
JSON_MAX = 1000
JSON_RATE = "120 per minute;3000 per hour"
"""What one address may fetch of the machine-readable register (a verifier pages through it)."""
FORMAT_NAME = "gongkai-register"
MAX_INT = 2**31 - 1


# --- what the public sees of an entry ---------------------------------------------------------


def entry_json(entry: RegisterEntry) -> dict[str, Any]:
    """An entry as the public register shows it: enough to recompute its hash (format 2)."""
    return {
        "seq": entry.seq,
        "format": entry.format,
        "prev_hash": entry.prev_hash,
        "sealed": sealed_digest(entry) if entry.format >= 2 else None,
        "hash": entry.hash,
        "public": entry.disclosed is not None,
        "disclosed": entry.disclosed,
    }


def head_json(head: RegisterHead | None) -> dict[str, Any] | None:
    if head is None:
        return None
    return {
        "entry_count": head.entry_count,
        "hash": head.last_hash,
        "updated_at": head.updated_at.isoformat(),
    }


def checkpoint_json(cp: RegisterCheckpoint) -> dict[str, Any]:
    return {
        "id": cp.id,
        "payload": cp.payload(),
        "signature": cp.signature,
        "key_id": cp.key_id,
    }


def key_json(key: RegisterKey) -> dict[str, Any]:
    """An RFC 8037 JWK of the key, with its status."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
        "kid": key.key_id,
        "x": key.public_key,
        "status": "retired" if key.retired_at is not None else "current",
        "created_at": key.created_at.isoformat(),
        "retired_at": key.retired_at.isoformat() if key.retired_at else None,
    }


# --- helpers ---------------------------------------------------------------------------------


def _int_arg(name: str, default: int, *, low: int = 0, high: int = MAX_INT) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        abort(400, gettext("%(name)s: a whole number from %(low)d to %(high)d", name=name,
                           low=low, high=high))  # fmt: skip
    return int(raw)


def _limited(scope: str) -> None:
    ratelimit.refuse_beyond(JSON_RATE, scope=scope)


def local_time(org: Organisation, value) -> str:
    """A moment in the unit's time zone, in the reader's language."""
    return web.when(value, "medium", org)


def disclosed_time(org: Organisation, iso: str | None) -> str:
    from datetime import datetime

    try:
        return local_time(org, datetime.fromisoformat(str(iso).replace("Z", "+00:00")))
    except ValueError:
        return ""


def disclosed_title(disclosed: dict[str, Any] | None, locale: str) -> str:
    if not disclosed:
        return ""
    titles = disclosed.get("titles") or {}
    return (
        titles.get(locale)
        or titles.get("zh_Hans_CN")
        or next((t for t in titles.values() if t), "")
        or disclosed.get("title")
        or ""
    )


def action_label(action: str) -> str:
    return str(ACTIONS[action]) if action in ACTIONS else action


def page_context(**extra) -> dict[str, Any]:
    org = g.org
    return {
        "org": org,
        "locale": str(get_locale()),
        "ancestors": hierarchy.ancestors(org),
        "local_time": lambda value: local_time(org, value),
        "disclosed_time": lambda iso: disclosed_time(org, iso),
        "disclosed_title": disclosed_title,
        "action_label": action_label,
        "latest": cps.latest(org),
        "verify_command": (
            f"gongkai register verify --remote {request.host_url.rstrip('/')} --org {org.code}"
        ),
        **extra,
    }


# --- pages -----------------------------------------------------------------------------------


@bp.route("/register")
def register():
    """The unit's register, newest entries first, every entry with its hash."""
    org = g.org
    head = db.session.get(RegisterHead, org.id)
    total = db.session.scalar(
        select(func.count()).select_from(RegisterEntry).where(RegisterEntry.org_id == org.id)
    )
    pages = max(1, math.ceil(total / PER_PAGE))
    page = _int_arg("page", 1, low=1)
    if page > pages:
        abort(404)
    entries = list(
        db.session.scalars(
            select(RegisterEntry)
            .where(RegisterEntry.org_id == org.id)
            .order_by(RegisterEntry.seq.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    public = db.session.scalar(
        select(func.count())
        .select_from(RegisterEntry)
        .where(RegisterEntry.org_id == org.id, RegisterEntry.disclosed.is_not(None))
    )
    return render(
        "register/public.html",
        **page_context(
            entries=entries,
            head=head,
            total=total,
            public_count=public,
            page=page,
            pages=pages,
            legacy=any(e.format < CURRENT_FORMAT for e in entries),
        ),
    )


@bp.route("/register.json")
def register_json():
    """The entries after ``after`` (a seq), oldest first, at most ``limit``; ``next`` pages on."""
    org = g.org
    _limited("register-json")
    after = _int_arg("after", 0)
    limit = _int_arg("limit", JSON_LIMIT, low=1, high=JSON_MAX)
    rows = list(
        db.session.scalars(
            select(RegisterEntry)
            .where(RegisterEntry.org_id == org.id, RegisterEntry.seq > after)
            .order_by(RegisterEntry.seq)
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    total = db.session.scalar(
        select(func.count()).select_from(RegisterEntry).where(RegisterEntry.org_id == org.id)
    )
    body = {
        "register": FORMAT_NAME,
        "format": CURRENT_FORMAT,
        "organisation": {"id": org.id, "code": org.code, "name": org.name("zh_Hans_CN")},
        "head": head_json(db.session.get(RegisterHead, org.id)),
        "count": total,
        "entries": [entry_json(e) for e in rows],
        "next": (
            url_for(".register_json", after=rows[-1].seq, limit=limit, _external=True)
            if more
            else None
        ),
        "checkpoints": url_for(".checkpoints_json", _external=True),
        "keys": url_for("register_keys.keys", _external=True),
    }
    return jsonify(body)


@bp.route("/register/checkpoints")
def checkpoints():
    """The signed checkpoints of the unit's register, newest first."""
    org = g.org
    rows = list(
        db.session.scalars(
            select(RegisterCheckpoint)
            .where(RegisterCheckpoint.org_id == org.id)
            .order_by(RegisterCheckpoint.id.desc())
            .limit(400)
        )
    )
    return render(
        "register/checkpoints.html",
        **page_context(rows=rows, keys={k.key_id: k for k in cps.signing_keys()}),
    )


@bp.route("/register/checkpoints.json")
def checkpoints_json():
    """The checkpoints with an id above ``after``, oldest first (``next`` pages on)."""
    org = g.org
    _limited("register-json")
    after = _int_arg("after", 0)
    rows = cps.checkpoints(org, after=after, limit=JSON_MAX + 1)
    more = len(rows) > JSON_MAX
    rows = rows[:JSON_MAX]
    return jsonify(
        {
            "organisation": {"id": org.id, "code": org.code},
            "checkpoints": [checkpoint_json(c) for c in rows],
            "next": (
                url_for(".checkpoints_json", after=rows[-1].id, _external=True) if more else None
            ),
            "keys": url_for("register_keys.keys", _external=True),
        }
    )


@site.route("/.well-known/gongkai-register-keys.json")
def keys():
    """Every public key the deployment signs or signed register checkpoints with."""
    return jsonify(
        {
            "description": "Ed25519 keys of the register checkpoints (RFC 8037 JWK)",
            "algorithm": signing.ALGORITHM,
            "keys": [key_json(k) for k in cps.signing_keys()],
        }
    )
