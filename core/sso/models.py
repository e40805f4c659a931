"""Sign-in providers and the identities they vouch for.

An :class:`SsoProvider` row configures one government portal: for the whole platform
(``root_id`` is NULL) or for one hosted county (``root_id`` names its root organisation). Rows are
read on every sign-in, so an edit applies at once, without a restart. The client secret is kept
encrypted (:mod:`core.sso.crypto`); nothing ever shows it again.

An :class:`Identity` links a user to the provider's stable subject: it is keyed by (issuer,
subject) and never by a phone number, an e-mail address or a name (IAM-2). It keeps the real-name
level and the account type the provider asserted, and a snapshot of the configured claims.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import db

CLAIM_FIELDS = ("display_name", "email", "realname_level", "account_type")
"""What a provider's claims may fill in; the provider maps each to a claim name."""

DEFAULT_CLAIMS = {
    "display_name": "name",
    "email": "email",
    "realname_level": "realname_level",
    "account_type": "account_type",
}


class SsoProvider(db.CountyKey, db.Base):
    __tablename__ = "sso_providers"
    __county_optional__ = True
    __county_from__ = ("root_id", "organisations")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="oidc")
    # NULL: the whole platform; else the hosted county (a root organisation)
    root_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[str] = mapped_column(String(500), default="openid profile email")
    org_claim: Mapped[str | None] = mapped_column(String(100))
    # {"display_name": "name", "email": "email", "realname_level": ..., "account_type": ...}
    claim_map: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # {"zh_Hans_CN": "...", "en": "...", "ug": "..."}
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    def __repr__(self) -> str:
        return f"<SsoProvider {self.name}>"

    def claim(self, field: str) -> str:
        """The claim name that fills ``field`` (one of :data:`CLAIM_FIELDS`)."""
        return (self.claim_map or {}).get(field) or DEFAULT_CLAIMS[field]

    def label(self, locale: str) -> str:
        labels = self.labels or {}
        return (
            labels.get(locale)
            or labels.get("zh_Hans_CN")
            or next((v for v in labels.values() if v), self.name)
        )


class Identity(db.Base):
    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # the provider row it came through (kept NULL when that row is removed: the key is the issuer)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("sso_providers.id", ondelete="SET NULL"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    realname_level: Mapped[int | None] = mapped_column(Integer)
    account_type: Mapped[str | None] = mapped_column(String(40))
    # the configured claims as last asserted (nothing else of the token is kept)
    claims: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=db.utcnow)

    def __repr__(self) -> str:
        return f"<Identity {self.issuer} {self.subject}>"
