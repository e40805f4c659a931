"""Operations on organisations, users and memberships: the only code that changes them.

Operations validate, mutate, flush and write the audit entry. They never commit (the request,
command or job does) and never read the request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext
from sqlalchemy import String, func, literal, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit, audit_labels, db
from core.errors import UserError
from core.i18n import _
from tenants import leading_group as lg
from tenants.models import (
    CODE_PATTERN,
    ROLES,
    EmailVerification,
    Invitation,
    LeadingGroupVersion,
    Membership,
    Organisation,
    PasswordReset,
    User,
)

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
    code: str,
    *,
    parent: Organisation | None = None,
    actor=None,
    source: str = "import",
    **fields: Any,
) -> Organisation:
    """A new organisation under ``parent`` (a hosted county without one). A leading group
    given with it is its first version (``source``: how it came)."""
    if not re.match(CODE_PATTERN, code or ""):
        raise UserError(f"Invalid organisation code {code!r}: use a-z, 0-9 and '-'.")
    if get_org(code) is not None:
        raise UserError(f"Organisation {code!r} already exists.")
    unknown = set(fields) - set(ORG_FIELDS)
    if unknown:
        raise UserError(f"Unknown organisation fields: {', '.join(sorted(unknown))}")
    group = fields.pop("leading_group", None)
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
    if group:
        set_leading_group(org, group, actor=actor, source=source)
    return org


def update_organisation(
    org: Organisation, changes: dict[str, Any], *, actor=None, source: str = "import"
) -> bool:
    """Apply ``changes`` (a subset of ORG_FIELDS); True when anything changed. A changed
    leading group becomes a new version of it (``source``: how it came)."""
    unknown = set(changes) - set(ORG_FIELDS)
    if unknown:
        raise UserError(f"Unknown organisation fields: {', '.join(sorted(unknown))}")
    changes = dict(changes)
    group_changed = False
    if "leading_group" in changes:
        group_changed = bool(
            set_leading_group(org, changes.pop("leading_group"), actor=actor, source=source)
        )
    before = _snapshot(org)
    for key, value in changes.items():
        if getattr(org, key) != value:
            setattr(org, key, value)
    after = _snapshot(org)
    delta = audit.diff(before, after)
    if not delta:
        return group_changed
    db.session.flush()
    audit.log("organisation.update", "organisation", org.id, org_id=org.id, actor=actor,
              changes=delta)  # fmt: skip
    return True


# --- the disclosure leading group (ORG-2) ----------------------------------------------------

LEADING_GROUP_SOURCES = ("console", "import", "demo", "migration")


class LeadingGroupChanged(UserError):
    """Refused: the group was changed by someone else since the form was opened (HTTP 409)."""

    status = 409


def leading_group_versions(org: Organisation) -> list[LeadingGroupVersion]:
    """Every version of ``org``'s leading group, the latest first."""
    return list(
        db.session.scalars(
            select(LeadingGroupVersion)
            .where(LeadingGroupVersion.org_id == org.id)
            .order_by(LeadingGroupVersion.number.desc())
        )
    )


def leading_group_version(org: Organisation, number: int) -> LeadingGroupVersion | None:
    return db.session.scalar(
        select(LeadingGroupVersion).where(
            LeadingGroupVersion.org_id == org.id, LeadingGroupVersion.number == number
        )
    )


def latest_leading_group_number(org: Organisation) -> int:
    """The number of the version in force (0 while the group was never set)."""
    return db.session.scalar(
        select(func.coalesce(func.max(LeadingGroupVersion.number), 0)).where(
            LeadingGroupVersion.org_id == org.id
        )
    )


def set_leading_group(
    org: Organisation,
    group: Any,
    *,
    actor=None,
    source: str = "console",
    note: str = "",
    based_on: int | None = None,
) -> LeadingGroupVersion | None:
    """Make ``group`` (any shape :func:`tenants.leading_group.clean` reads) ``org``'s leading
    group: a new version, kept with who made it, when and how; the organisation's
    ``leading_group`` is its content. None when nothing changed.

    ``based_on``: the version the editor saw; when another one was saved since, the change is
    refused (:class:`LeadingGroupChanged`) so that nobody overwrites a change unseen.
    """
    if source not in LEADING_GROUP_SOURCES:
        raise ValueError(f"unknown source {source!r}")
    content, problems = lg.clean(group)
    if problems:
        raise UserError(
            gettext("The leading group was not saved."),
            problems=[f"{field}: {message}" for field, message in problems],
        )
    note = (note or "").strip()
    if len(note) > 500:
        raise UserError(gettext("The leading group was not saved."),
                        problems=[gettext("note: at most 500 characters.")])  # fmt: skip
    # one writer at a time per organisation (PostgreSQL; SQLite has one writer anyway)
    db.session.execute(
        select(Organisation.id).where(Organisation.id == org.id).with_for_update()
    ).all()
    latest = latest_leading_group_number(org)
    if based_on is not None and based_on != latest:
        raise LeadingGroupChanged(
            gettext("Someone saved another version of the leading group (version %(number)s) since "
              "you opened the form. Look at it, then make your change again.", number=latest)
        )  # fmt: skip
    before = org.leading_group or {}
    if content == before and (latest or not content):
        return None
    version = LeadingGroupVersion(
        org_id=org.id,
        number=latest + 1,
        content=content,
        source=source,
        note=note,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    org.leading_group = content
    db.session.flush()
    audit.log("organisation.leading_group", "organisation", org.id, org_id=org.id, actor=actor,
              changes={**{k: [before.get(k), content.get(k)]
                          for k in lg.changed_fields(before, content)},
                       "version": [latest or None, version.number],
                       "source": [None, source]})  # fmt: skip
    return version


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


SESSION_END_REASONS = {
    "signed out": _("the person signed out"),
    "password": _("the password was changed"),
    "deactivated": _("the account was deactivated"),
    "role removed": _("a role was taken back"),
}
"""Why sessions ended (the reasons :func:`end_sessions` records), in words for the audit log."""
audit_labels.register_values("reason", SESSION_END_REASONS)


def end_sessions(user: User, *, reason: str, actor=None) -> None:
    """End every session of ``user`` on the server side: their session cookies carry an older
    generation and are refused at the next request (``core.app`` checks it on load)."""
    user.session_generation = (user.session_generation or 0) + 1
    db.session.flush()
    audit.log("user.sessions_ended", "user", user.id, actor=actor,
              changes={"reason": [None, reason]})  # fmt: skip


def set_active(user: User, active: bool, *, actor=None, reason: str = "") -> bool:
    """Deactivate (or reactivate) an account: a deactivated user cannot sign in, their
    sessions end and their API tokens stop working. True when anything changed."""
    if user.active == active:
        return False
    user.active = active
    db.session.flush()
    changes: dict[str, Any] = {"active": [not active, active]}
    if reason:
        changes["reason"] = [None, reason]
    audit.log("user.deactivate" if not active else "user.activate", "user", user.id,
              actor=actor, changes=changes)  # fmt: skip
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


# --- accounts: deactivation and password reset links -----------------------------------------

PASSWORD_RESET_HOURS = 72
"""How long a password reset link stays usable."""


class LinkGone(UserError):
    """Refused: the password link was used, withdrawn or has expired (HTTP 410)."""

    status = 410


class AccountStateUnchanged(UserError):
    """Refused: the account is already active (or deactivated) (HTTP 409)."""

    status = 409


def set_user_active(user: User, active: bool, *, actor, reason: str = "") -> None:
    """Deactivate an account (its sessions end at the next request, it can no longer sign in;
    its roles and everything it did are kept) or activate it again. A platform admin cannot
    deactivate their own account, nor the last active platform admin's."""
    if user.active == active:
        raise AccountStateUnchanged(
            gettext("The account is active already.")
            if active
            else gettext("The account is deactivated already.")
        )
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise UserError(
            gettext("The account was not changed."),
            problems=[gettext("Reason: at most 500 characters.")],
        )
    if not active:
        if actor is not None and getattr(actor, "id", None) == user.id:
            raise AccountStateUnchanged(gettext("You cannot deactivate your own account."))
        if user.is_platform_admin:
            others = db.session.scalar(
                select(func.count(User.id)).where(
                    User.is_platform_admin.is_(True), User.active.is_(True), User.id != user.id
                )
            )
            if not others:
                raise AccountStateUnchanged(
                    gettext("This is the last active platform admin: it stays active.")
                )
    if not active:  # links to choose a new password made earlier no longer work
        withdraw_password_links(user)
    set_active(user, active, actor=actor, reason=reason)


def withdraw_password_links(user: User, now=None) -> None:
    """Withdraw the user's password links that were not used yet."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
               PasswordReset.revoked_at.is_(None))
        .values(revoked_at=now or db.utcnow())
    )  # fmt: skip


def create_password_reset(user: User, *, actor) -> tuple[PasswordReset, str]:
    """A one-time link for ``user`` to choose a new password, and its token (shown once, kept
    hashed). Older links of the user that were not used are withdrawn."""
    if not user.active:
        raise UserError(gettext("The account is deactivated: activate it first."))
    now = db.utcnow()
    withdraw_password_links(user, now)
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user_id=user.id,
        token_hash=token_hash(token),
        created_by_id=getattr(actor, "id", None),
        expires_at=now + timedelta(hours=PASSWORD_RESET_HOURS),
    )
    db.session.add(reset)
    db.session.flush()
    audit.log("user.password_reset_link", "user", user.id, actor=actor,
              changes={"expires_at": [None, reset.expires_at.isoformat()]})  # fmt: skip
    return reset, token


def password_reset_by_token(token: str | None) -> PasswordReset | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    )


def use_password_reset(reset: PasswordReset, password: str, *, ip: str | None = None) -> User:
    """Set the new password through a pending link (then used up)."""
    if reset.status() != "pending":
        raise LinkGone(gettext("This link no longer works: ask for a new one."))
    user = db.session.get(User, reset.user_id)
    if user is None or not user.active:
        raise LinkGone(gettext("This link no longer works: ask for a new one."))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(
            gettext("The password was not changed."),
            problems=[gettext("Choose a password of at least %(count)s characters.",
                              count=MIN_PASSWORD_LENGTH)],
        )  # fmt: skip
    reset.used_at = db.utcnow()
    audit.log("user.password_reset", "user", user.id, actor=user, ip=ip,
              changes={"link": [None, reset.id]})  # fmt: skip
    set_password(user, password, actor=user)  # every other session of the user ends
    return user


# --- accounts people create themselves (parameter auth.self_registration) ---------------------

EMAIL_VERIFICATION_HOURS = 48
"""How long the link that confirms a self-registered account's e-mail address stays usable."""
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RegistrationRefused(UserError):
    """Refused: the name or the address is taken, or a field is invalid (HTTP 400)."""

    status = 400


def user_with_email(email: str) -> User | None:
    return db.session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower()).limit(1)
    ).first()


def register_user(
    username: str,
    *,
    display_name: str,
    email: str,
    password: str,
    locale: str | None = None,
    ip: str | None = None,
) -> tuple[User, EmailVerification]:
    """An account a person creates for themselves: inactive (it cannot sign in) until the
    e-mail address is confirmed through the link :func:`create_email_verification` makes."""
    username, email, display_name = (
        (username or "").strip(),
        (email or "").strip(),
        (display_name or "").strip(),
    )
    problems: list[str] = []
    if not USERNAME.match(username):
        problems.append(gettext("User name: 2 to 80 letters, digits, “.”, “_”, “-” or “@”, "
                                "beginning with a letter or digit."))  # fmt: skip
    elif get_user(username) is not None:
        problems.append(gettext("The user name “%(name)s” is taken: please choose another.",
                                name=username))  # fmt: skip
    if len(email) > 254 or not EMAIL.match(email):
        problems.append(gettext("E-mail: please give a valid address."))
    elif user_with_email(email) is not None:
        problems.append(gettext("An account with this e-mail address exists already: sign in "
                                "or ask for a new password."))  # fmt: skip
    if not display_name or len(display_name) > 200:
        problems.append(gettext("Name: 1 to 200 characters."))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        problems.append(gettext("Choose a password of at least %(count)s characters.",
                                count=MIN_PASSWORD_LENGTH))  # fmt: skip
    if problems:
        raise RegistrationRefused(gettext("The account was not created."), problems=problems)
    user = User(username=username, display_name=display_name, email=email,
                password_hash=hash_password(password), locale=locale, active=False)  # fmt: skip
    db.session.add(user)
    db.session.flush()
    audit.log("user.registered", "user", user.id, actor=user, ip=ip,
              changes={"username": [None, username], "email": [None, email]})  # fmt: skip
    verification = create_email_verification(user)
    return user, verification


def verification_token(verification: EmailVerification) -> str:
    """The token of the link: derived from the row's salt and the application's secret key (the
    mail job rebuilds it; the table holds only its hash)."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, b"email-verification:" + verification.salt.encode("ascii"),
                    hashlib.sha256).hexdigest()  # fmt: skip


def create_email_verification(user: User) -> EmailVerification:
    """A new one-time link for ``user``'s address; older pending links are withdrawn."""
    now = db.utcnow()
    db.session.execute(
        update(EmailVerification)
        .where(EmailVerification.user_id == user.id, EmailVerification.used_at.is_(None),
               EmailVerification.revoked_at.is_(None))
        .values(revoked_at=now)
    )  # fmt: skip
    verification = EmailVerification(
        user_id=user.id,
        email=user.email or "",
        salt=secrets.token_hex(16),
        token_hash="",
        expires_at=now + timedelta(hours=EMAIL_VERIFICATION_HOURS),
    )
    verification.token_hash = token_hash(verification_token(verification))
    db.session.add(verification)
    db.session.flush()
    audit.log("user.verification_link", "user", user.id, actor=user,
              changes={"expires_at": [None, verification.expires_at.isoformat()]})  # fmt: skip
    return verification


def email_verification_by_token(token: str | None) -> EmailVerification | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(EmailVerification).where(EmailVerification.token_hash == token_hash(token))
    )


def pending_verification(user: User | None) -> EmailVerification | None:
    """The account's last verification link when the account still waits for it."""
    if user is None or user.active:
        return None
    return db.session.scalars(
        select(EmailVerification)
        .where(EmailVerification.user_id == user.id)
        .order_by(EmailVerification.id.desc())
        .limit(1)
    ).first()


EMAIL_VERIFICATION_RESEND_MINUTES = 10
"""A new confirmation link is sent at a sign-in attempt once the last one is this old (or no
longer works): a person whose link expired is never locked out of the account they created."""


def renew_email_verification(user: User) -> EmailVerification | None:
    """At a sign-in with the right password to an account still waiting for its address to be
    confirmed: a new link (older ones withdrawn) unless the last one is pending and younger than
    :data:`EMAIL_VERIFICATION_RESEND_MINUTES` (None then)."""
    last = pending_verification(user)
    if last is None and (user is None or user.active):
        return None
    now = db.utcnow()
    fresh = now - timedelta(minutes=EMAIL_VERIFICATION_RESEND_MINUTES)
    if last is not None and last.status(now) == "pending" and last.created_at > fresh:
        return None
    return create_email_verification(user)


def verify_email(verification: EmailVerification, *, ip: str | None = None) -> User:
    """Confirm the address through a pending link (then used up): the account becomes active."""
    if verification.status() != "pending":
        raise LinkGone(gettext("This link no longer works: ask for a new one."))
    user = db.session.get(User, verification.user_id)
    if user is None or (user.email or "").lower() != verification.email.lower():
        raise LinkGone(gettext("This link no longer works: ask for a new one."))
    verification.used_at = db.utcnow()
    user.active = True
    db.session.flush()
    audit.log("user.email_verified", "user", user.id, actor=user, ip=ip,
              changes={"email": [None, verification.email], "active": [False, True]})  # fmt: skip
    return user
