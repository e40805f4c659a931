"""Operations on organisations, users and memberships: the only code that changes them.

Operations validate, mutate, flush and write the audit entry. They never commit (the request,
command or job does) and never read the request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import String, func, literal, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit, db
from core.errors import UserError
from tenants.models import CODE_PATTERN, ROLES, Invitation, Membership, Organisation, User

ORG_FIELDS = (
    "type_code",
    "sector",
    "names",
    "hierarchical_code",
    "affiliation",
    "founded_on",
    "term_ends_on",
    "full_members",
    "officers",
    "contacts",
    "leading_group",
    "default_locale",
    "locales",
    "timezone",
    "theme",
    "plugin_settings",
    "host",
    "position",
    "enabled",
)

MIN_PASSWORD_LENGTH = 8


def _snapshot(org: Organisation) -> dict[str, Any]:
    data = {f: getattr(org, f) for f in ORG_FIELDS}
    for key in ("founded_on", "term_ends_on"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    data["parent_id"] = org.parent_id
    return data


def get_org(code: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.code == code))


def create_organisation(
    code: str, *, parent: Organisation | None = None, actor=None, **fields: Any
) -> Organisation:
    if not re.match(CODE_PATTERN, code or ""):
        raise UserError(f"Invalid organisation code {code!r}: use a-z, 0-9 and '-'.")
    if get_org(code) is not None:
        raise UserError(f"Organisation {code!r} already exists.")
    unknown = set(fields) - set(ORG_FIELDS)
    if unknown:
        raise UserError(f"Unknown organisation fields: {', '.join(sorted(unknown))}")
    org = Organisation(code=code, **fields)
    org.parent_id = parent.id if parent else None
    org.depth = parent.depth + 1 if parent else 0
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    org.root_id = parent.root_id if parent else org.id
    db.session.flush()
    audit.log(
        "organisation.create", "organisation", org.id, org_id=org.id, actor=actor,
        changes=audit.diff({}, _snapshot(org)),
    )  # fmt: skip
    return org


def update_organisation(org: Organisation, changes: dict[str, Any], *, actor=None) -> bool:
    """Apply ``changes`` (a subset of ORG_FIELDS); True when anything changed."""
    unknown = set(changes) - set(ORG_FIELDS)
    if unknown:
        raise UserError(f"Unknown organisation fields: {', '.join(sorted(unknown))}")
    before = _snapshot(org)
    for key, value in changes.items():
        if getattr(org, key) != value:
            setattr(org, key, value)
    after = _snapshot(org)
    delta = audit.diff(before, after)
    if not delta:
        return False
    db.session.flush()
    audit.log("organisation.update", "organisation", org.id, org_id=org.id, actor=actor,
              changes=delta)  # fmt: skip
    return True


def move_organisation(org: Organisation, new_parent: Organisation, *, actor=None) -> bool:
    """Re-parent ``org`` (and its subtree) under ``new_parent`` within the same county."""
    if org.parent_id == new_parent.id:
        return False
    if org.parent_id is None:
        raise UserError(f"{org.code} is a hosted county and cannot be moved under another unit.")
    if new_parent.path.startswith(org.path):
        raise UserError(f"Cannot move {org.code} under its own descendant {new_parent.code}.")
    if new_parent.root_id != org.root_id:
        raise UserError(f"Cannot move {org.code} into another county ({new_parent.code}).")
    old_path, new_path = org.path, f"{new_parent.path}{org.id}/"
    depth_shift = new_parent.depth + 1 - org.depth
    old_parent_id = org.parent_id
    db.session.flush()
    db.session.execute(
        update(Organisation)
        .where(Organisation.path.startswith(old_path, autoescape=True))
        .values(
            path=literal(new_path, String).concat(
                func.substr(Organisation.path, len(old_path) + 1)
            ),
            depth=Organisation.depth + depth_shift,
        )
        .execution_options(synchronize_session=False)
    )
    org.parent_id = new_parent.id
    db.session.flush()
    db.session.expire_all()
    audit.log("organisation.move", "organisation", org.id, org_id=org.id, actor=actor,
              changes={"parent_id": [old_parent_id, new_parent.id]})  # fmt: skip
    return True


# --- users and memberships -------------------------------------------------------------------


def get_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    # werkzeug's default (scrypt); the test suite configures a cheaper method
    method = current_app.config.get("GONGKAI_PASSWORD_HASH") if has_app_context() else None
    if method:
        return generate_password_hash(password, method=method)
    return generate_password_hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s. The same hashing work is done whoever asks — for a
    user name that does not exist, an account without a password (portal sign-in only) or a
    deactivated one — so that the time of the answer does not tell user names apart."""
    stored = user.password_hash if user is not None else None
    if not stored:
        check_password_hash(_dummy_hash(), password or "")
        return False
    return check_password_hash(stored, password or "")


_DUMMIES: dict[str | None, str] = {}


def _dummy_hash() -> str:
    """A hash made with the configured method, to check against when there is none."""
    method = current_app.config.get("GONGKAI_PASSWORD_HASH") if has_app_context() else None
    if method not in _DUMMIES:
        secret = secrets.token_urlsafe(24)
        _DUMMIES[method] = (
            generate_password_hash(secret, method=method) if method
            else generate_password_hash(secret)
        )  # fmt: skip
    return _DUMMIES[method]


def create_user(
    username: str,
    *,
    password: str | None = None,
    display_name: str = "",
    email: str | None = None,
    platform_admin: bool = False,
    locale: str | None = None,
    actor=None,
) -> User:
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,79}$", username or ""):
        raise UserError(
            f"Invalid user name {username!r}: 2-80 letters, digits, '.', '_', '-', '@'."
        )
    if get_user(username) is not None:
        raise UserError(f"User {username!r} already exists.")
    user = User(
        username=username,
        display_name=display_name or username,
        email=email,
        password_hash=hash_password(password) if password is not None else None,
        is_platform_admin=platform_admin,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    audit.log("user.create", "user", user.id, actor=actor,
              changes={"username": [None, username],
                       "platform_admin": [None, platform_admin]})  # fmt: skip
    return user


def set_password(user: User, password: str, *, actor=None) -> None:
    """A new password; every session of the user ends (a stolen session stops with it)."""
    user.password_hash = hash_password(password)
    db.session.flush()
    audit.log("user.password", "user", user.id, actor=actor)
    end_sessions(user, reason="password", actor=actor)


def end_sessions(user: User, *, reason: str, actor=None) -> None:
    """End every session of ``user`` on the server side: their session cookies carry an older
    generation and are refused at the next request (``core.app`` checks it on load)."""
    user.session_generation = (user.session_generation or 0) + 1
    db.session.flush()
    audit.log("user.sessions_ended", "user", user.id, actor=actor,
              changes={"reason": [None, reason]})  # fmt: skip


def set_active(user: User, active: bool, *, actor=None) -> bool:
    """Deactivate (or reactivate) an account: a deactivated user cannot sign in, their
    sessions end and their API tokens stop working. True when anything changed."""
    if user.active == active:
        return False
    user.active = active
    db.session.flush()
    audit.log("user.deactivate" if not active else "user.activate", "user", user.id,
              actor=actor, changes={"active": [not active, active]})  # fmt: skip
    if not active:
        end_sessions(user, reason="deactivated", actor=actor)
    return True


class LastAdmin(UserError):
    """Refused: an admin giving up the last admin role of an organisation (HTTP 409)."""

    status = 409


def grant_membership(user: User, org: Organisation, role: str, *, actor=None) -> Membership:
    """Grant ``role`` in ``org``; granting a role the user already holds changes nothing."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    existing = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.org_id == org.id, Membership.role == role
        )
    )
    if existing is not None:
        return existing
    membership = Membership(user_id=user.id, org_id=org.id, role=role)
    db.session.add(membership)
    db.session.flush()
    audit.log("membership.grant", "membership", membership.id, org_id=org.id, actor=actor,
              changes={"user": [None, user.username], "role": [None, role]})  # fmt: skip
    return membership


def revoke_membership(user: User, org: Organisation, role: str, *, actor=None) -> bool:
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.org_id == org.id, Membership.role == role
        )
    )
    if membership is None:
        return False
    if role == "admin" and actor is not None and getattr(actor, "id", None) == user.id:
        others = db.session.scalar(
            select(func.count()).where(
                Membership.org_id == org.id,
                Membership.role == "admin",
                Membership.id != membership.id,
            )
        )
        if not others:
            raise LastAdmin(
                "You are the last admin of this organisation: grant the role to someone else "
                "before you give it up."
            )
    db.session.delete(membership)
    db.session.flush()
    audit.log("membership.revoke", "membership", membership.id, org_id=org.id, actor=actor,
              changes={"user": [user.username, None], "role": [role, None]})  # fmt: skip
    end_sessions(user, reason="role removed", actor=actor)
    return True


def memberships_in(org: Organisation) -> list[Membership]:
    """The roles held in ``org``, by user name (one query)."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org.id)
            .order_by(User.username, Membership.role)
        )
    )


def memberships_of(user: User) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
        )
    )


def record_login(
    user: User, *, ip: str | None = None, method: str = "password", provider: str | None = None
) -> None:
    user.last_login_at = db.utcnow()
    changes = {"method": [None, method]}
    if provider:
        changes["provider"] = [None, provider]
    audit.log("auth.login", "user", user.id, actor=user, ip=ip, changes=changes)


def record_failed_login(username: str, *, ip: str | None = None) -> None:
    audit.log("auth.login_failed", "user", username[:60], ip=ip)


# --- invitations -----------------------------------------------------------------------------

INVITATION_DAYS = 14
MAX_INVITATION_DAYS = 90
MEMBERSHIP_AUDIT_ACTIONS = (
    "membership.grant",
    "membership.revoke",
    "invitation.create",
    "invitation.redeem",
    "invitation.revoke",
    "invitation.refused",
)


class InvitationGone(UserError):
    """The invitation was used, revoked or has expired (HTTP 410)."""

    status = 410


def token_hash(token: str) -> str:
    """What is stored of an invitation token: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_invitation(
    org: Organisation, role: str, *, actor, note: str = "", days: int = INVITATION_DAYS
) -> tuple[Invitation, str]:
    """A pending invitation to take ``role`` in ``org`` and its token (shown once, kept hashed)."""
    note = (note or "").strip()
    problems = []
    if role not in ROLES:
        problems.append(f"role: unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if len(note) > 200:
        problems.append("note: at most 200 characters.")
    if not 1 <= int(days) <= MAX_INVITATION_DAYS:
        problems.append(f"days: from 1 to {MAX_INVITATION_DAYS} days.")
    if problems:
        raise UserError("The invitation was not created.", problems=problems)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        org_id=org.id,
        role=role,
        note=note,
        token_hash=token_hash(token),
        created_by_id=getattr(actor, "id", None),
        expires_at=db.utcnow() + timedelta(days=int(days)),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.log("invitation.create", "invitation", invitation.id, org_id=org.id, actor=actor,
              changes={"role": [None, role], "note": [None, note],
                       "expires_at": [None, invitation.expires_at.isoformat()]})  # fmt: skip
    return invitation, token


def invitation_by_token(token: str | None) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


def get_invitation(org: Organisation, invitation_id: int) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.org_id == org.id)
    )


def pending_invitations(org: Organisation) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.org_id == org.id,
                Invitation.redeemed_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > db.utcnow(),
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


GONE = {
    "redeemed": "This invitation has already been used.",
    "revoked": "This invitation was withdrawn.",
    "expired": "This invitation has expired.",
}


def redeem_invitation(invitation: Invitation, user: User, *, ip: str | None = None) -> Membership:
    """Give ``user`` the invitation's role; the invitation is used up (once, even when two
    redemptions race: the conditional update lets only one through)."""
    status = invitation.status()
    if status != "pending":
        raise InvitationGone(GONE[status])
    now = db.utcnow()
    used = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.redeemed_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(redeemed_at=now, redeemed_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        db.session.refresh(invitation)
        raise InvitationGone(GONE.get(invitation.status(), GONE["redeemed"]))
    db.session.refresh(invitation)
    membership = grant_membership(user, invitation.organisation, invitation.role, actor=user)
    audit.log("invitation.redeem", "invitation", invitation.id, org_id=invitation.org_id,
              actor=user, ip=ip,
              changes={"user": [None, user.username], "role": [None, invitation.role]})  # fmt: skip
    return membership


def record_refused_invitation(
    invitation: Invitation | None, user: User, reason: str, *, ip: str | None = None
) -> None:
    """Audit an invitation that could not be redeemed (e.g. it expired while the visitor was
    signing in); nothing else changes."""
    audit.log("invitation.refused", "invitation", invitation.id if invitation else "unknown",
              org_id=invitation.org_id if invitation else None, actor=user, ip=ip,
              changes={"reason": [None, reason]})  # fmt: skip


def revoke_invitation(invitation: Invitation, *, actor) -> None:
    """Withdraw a pending invitation: its link stops working."""
    status = invitation.status()
    if status != "pending":
        raise InvitationGone(GONE[status])
    invitation.revoked_at = db.utcnow()
    db.session.flush()
    audit.log("invitation.revoke", "invitation", invitation.id, org_id=invitation.org_id,
              actor=actor, changes={"role": [invitation.role, None]})  # fmt: skip


def membership_history(org: Organisation, limit: int = 20) -> list:
    """The latest audit entries of ``org``'s memberships and invitations (one query)."""
    return list(
        db.session.scalars(
            select(audit.AuditEntry)
            .where(
                audit.AuditEntry.org_id == org.id,
                audit.AuditEntry.action.in_(MEMBERSHIP_AUDIT_ACTIONS),
            )
            .order_by(audit.AuditEntry.id.desc())
            .limit(limit)
        )
    )
