"""Tenant models: the organisation tree, users, memberships and code lists.

An :class:`Organisation` is a tenant node. The tree is an adjacency list (``parent_id``) guarded
by the database (no self-parent; ``root_id`` names the hosted county) plus a materialised
``path`` of ids (``/1/5/12/``) for one-statement subtree and ancestor queries (see
:mod:`tenants.hierarchy`). Organisation types and sectors are code lists (rows of
:class:`CodeListEntry`), not enums in code (docs/rules.md ORG-1).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db

ROLES = ("admin", "editor", "reviewer", "supervisor", "member")
"""Roles held in one organisation (platform_admin is a flag on the user)."""

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class CodeListEntry(db.Base):
    """One code of a code list (``org_type``, ``sector``, later ``channel`` ...)."""

    __tablename__ = "code_list_entries"
    __table_args__ = (UniqueConstraint("list_name", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(60))
    national_code: Mapped[str | None] = mapped_column(String(20))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # list-specific facts, e.g. a channel's audience ("party", "society", "both")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or self.labels.get("zh_Hans_CN") or self.code


class Organisation(db.Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint(
            "(parent_id IS NULL AND depth = 0) OR (parent_id IS NOT NULL AND depth > 0)",
            name="root_depth",
        ),
        Index("ix_organisations_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(63), unique=True)
    # NO ACTION (checked at the end of the statement): a parent with children cannot go
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    path: Mapped[str] = mapped_column(String(1000), default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    type_code: Mapped[str] = mapped_column(String(60))
    sector: Mapped[str] = mapped_column(String(60), default="agency")
    # {"zh_Hans_CN": {"full": ..., "short": ...}, "ug": {...}}
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hierarchical_code: Mapped[str | None] = mapped_column(String(60))
    affiliation: Mapped[str | None] = mapped_column(String(200))
    founded_on: Mapped[date | None]
    term_ends_on: Mapped[date | None]
    full_members: Mapped[int | None] = mapped_column(Integer)
    # {"secretary": ..., "deputy": ..., "contact": ...}
    officers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"hotline", "suggestion_box", "reception_day", "email", "address"}
    contacts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the disclosure leading group in force (tenants.leading_group: its shape); every change is
    # a LeadingGroupVersion
    leading_group: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    default_locale: Mapped[str] = mapped_column(String(20), default="zh_Hans_CN")
    locales: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Shanghai")
    theme: Mapped[str] = mapped_column(String(60), default="base")
    # {"enabled": [...], "disabled": [...]} on top of the sector defaults
    plugin_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    host: Mapped[str | None] = mapped_column(String(255), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    parent: Mapped[Organisation | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent (from the materialised path)."""
        return [int(p) for p in self.path.strip("/").split("/")[:-1] if p]

    def name(self, locale: str, form: str = "full") -> str:
        for loc in (locale, self.default_locale, "zh_Hans_CN", *self.names):
            entry = self.names.get(loc)
            if entry and entry.get(form):
                return entry[form]
            if entry and entry.get("full"):
                return entry["full"]
        return self.code


class User(UserMixin, db.Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    last_login_at: Mapped[datetime | None]
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Sessions carry the generation they began in; raising it (sign-out, a new password,
    deactivation, a role removed) ends every session of the user at its next request."""

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Membership(db.CountyKey, db.Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "org_id", "role"),
        CheckConstraint(
            "role IN ('admin', 'editor', 'reviewer', 'supervisor', 'member')", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(default=db.utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")


class LeadingGroupVersion(db.CountyKey, db.Base):
    """One version of an organisation's disclosure leading group (ORG-2): what it was from
    ``created_at`` on, who made the change and how (``source``: ``console``, ``import`` of a
    YAML file, ``demo``, or ``migration`` for the group an organisation had before versions
    were kept). The organisation's ``leading_group`` is its latest version's ``content``."""

    __tablename__ = "leading_group_versions"
    __table_args__ = (
        UniqueConstraint("org_id", "number"),
        CheckConstraint("source IN ('console', 'import', 'demo', 'migration')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(20), default="console")
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Invitation(db.CountyKey, db.Base):
    """An admin's invitation to take a role in an organisation, redeemed once through a link.

    The link carries a random token; only its SHA-256 is stored (``token_hash``), so the table
    cannot be turned back into working links. Pending while neither redeemed, revoked nor past
    ``expires_at``.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'editor', 'reviewer', 'supervisor', 'member')", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")  # whom it is for (name, e-mail)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    expires_at: Mapped[datetime]
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    redeemed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    def status(self, now: datetime | None = None) -> str:
        """``pending``, ``redeemed``, ``revoked`` or ``expired``."""
        if self.redeemed_at is not None:
            return "redeemed"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or db.utcnow()):
            return "expired"
        return "pending"


class OneTimeLink:
    """What a one-time link's row has (a password reset, an e-mail confirmation): usable once
    (``used_at``) until ``expires_at``, unless withdrawn (``revoked_at``): the subclass maps
    those three columns."""

    def status(self, now: datetime | None = None) -> str:
        """``pending``, ``used``, ``revoked`` or ``expired``."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or db.utcnow()):
            return "expired"
        return "pending"


class PasswordReset(OneTimeLink, db.Base):
    """A one-time link a platform admin made to let a user choose a new password.

    The link carries a random token; only its SHA-256 is stored (``token_hash``), so the table
    cannot be turned back into working links. Usable once (``used_at``) until ``expires_at``;
    a newer link for the same user withdraws the older ones (``revoked_at``).
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class EmailVerification(OneTimeLink, db.Base):
    """The link that confirms the e-mail address of a self-registered account (parameter
    ``auth.self_registration``): the account stays inactive — it cannot sign in — until the
    link is used.

    The token is derived from ``salt`` and the application's secret key (so that the mail job
    can rebuild the link from the row's id), and only its SHA-256 is stored (``token_hash``):
    the table alone cannot be turned into working links. Usable once (``used_at``) until
    ``expires_at``; a newer link for the same account withdraws the older ones
    (``revoked_at``).
    """

    __tablename__ = "email_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
