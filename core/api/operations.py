"""API token operations: the only code that creates, uses or revokes tokens.

A token is shown once, by :func:`create`; afterwards only its prefix is known. Creating and
revoking are audited (``api_token.create``, ``api_token.revoke``); using a token records
``last_used_at`` at most once a minute.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from core import audit, db
from core.api.models import ApiToken
from core.errors import Problem, UserError
from core.i18n import _
from tenants.models import Membership, Organisation, User

TOKEN_PREFIX = "gk_"  # noqa: S105 (the marker of every token, not a secret)
PREFIX_LENGTH = 11  # "gk_" and 8 characters of the secret: enough to tell tokens apart
MAX_TOKEN_LENGTH = 200
DEFAULT_EXPIRES_DAYS = 90
MAX_EXPIRES_DAYS = 730
TOUCH_EVERY = timedelta(minutes=1)

SCOPES = {
    "read": _("Read what the user may see: organisations, catalogues, items and their versions"),
    "register:read": _("Read the register of the units the user administers or supervises"),
    "items:write": _("Run the workflow steps of items (propose, approve, publish ...)"),
    "requests:write": _("File disclosure requests as the user"),
    "feedback:write": _("Give feedback and lodge objections to notices"),
}
"""Every scope a token may carry. ``read`` is always granted: a token reads what its user may
see (a service token: inside its organisation's subtree)."""


def hash_secret(secret: str) -> str:
    """The SHA-256 (hex) of a clear token: what is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user_may_act_for(user: User, org: Organisation) -> bool:
    """The user holds a role in ``org`` or one of its superiors (or is a platform admin)."""
    if user.is_platform_admin:
        return True
    ids = [org.id, *org.ancestor_ids]
    found = db.session.scalar(
        select(Membership.id)
        .where(Membership.user_id == user.id, Membership.org_id.in_(ids))
        .limit(1)
    )
    return found is not None


def create(
    user: User,
    *,
    org: Organisation | None = None,
    scopes=(),
    name: str = "",
    expires_days: int = DEFAULT_EXPIRES_DAYS,
    actor=None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``: ``(token row, clear token)``. The clear token is returned here
    only; the database keeps its hash. ``org`` makes it a service token for that subtree."""
    problems = []
    wanted = ["read", *(s.strip() for s in scopes if s and s.strip())]
    for scope in wanted:
        if scope not in SCOPES:
            problems.append(
                Problem(
                    "scope",
                    _(
                        "unknown scope “%(scope)s” (one of %(codes)s)",
                        scope=scope,
                        codes=", ".join(SCOPES),
                    ),
                )
            )
    if not user.active:
        problems.append(Problem("user", _("“%(name)s” is deactivated", name=user.username)))
    if org is not None and not _user_may_act_for(user, org):
        problems.append(
            Problem(
                "org",
                _(
                    "“%(name)s” holds no role in “%(org)s” or in its superiors",
                    name=user.username,
                    org=org.code,
                ),
            )
        )
    if not isinstance(expires_days, int) or not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        problems.append(
            Problem("expires_days", _("a whole number from 1 to %(n)s", n=MAX_EXPIRES_DAYS))
        )
    name = (name or "").strip()
    if len(name) > 200:
        problems.append(Problem("name", _("at most %(n)s characters", n=200)))
    if problems:
        raise UserError(_("The token was not created."), problems=problems)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = db.utcnow()
    token = ApiToken(
        user_id=user.id,
        org_id=org.id if org is not None else None,
        name=name,
        scopes=list(dict.fromkeys(wanted)),
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        created_at=now,
        expires_at=now + timedelta(days=expires_days),
    )
    db.session.add(token)
    db.session.flush()
    audit.log(
        "api_token.create",
        "api_token",
        token.id,
        org_id=token.org_id,
        actor=actor,
        changes={
            "user": [None, user.username],
            "org": [None, org.code if org is not None else None],
            "scopes": [None, token.scopes],
            "name": [None, name],
            "expires_at": [None, token.expires_at.isoformat()],
        },
    )
    return token, secret


def verify(secret: str | None, *, now: datetime | None = None) -> ApiToken | None:
    """The active token whose clear text is ``secret``, of an active user; else None.

    Records the use (``last_used_at``) at most once a minute, in the caller's unit of work."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == hash_secret(secret)))
    now = now or db.utcnow()
    if token is None or not token.active_at(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        db.session.flush()
    return token


def get(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)


def tokens(user: User | None = None) -> list[ApiToken]:
    """Tokens (of ``user``), newest first; never their secrets (they are not stored)."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def revoke(token: ApiToken, *, actor=None) -> bool:
    """Revoke ``token`` for good (False: it was revoked already)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = db.utcnow()
    db.session.flush()
    audit.log(
        "api_token.revoke",
        "api_token",
        token.id,
        org_id=token.org_id,
        actor=actor,
        changes={"revoked_at": [None, token.revoked_at.isoformat()]},
    )
    return True
