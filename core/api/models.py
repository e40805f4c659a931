"""API tokens: personal tokens and per-organisation service tokens.

A token is ``gk_`` followed by 43 characters of a 256-bit random secret; only its SHA-256 is
stored (``secret_hash``), with the first characters (``prefix``) to recognise it in lists. The
clear token is shown once, when it is created. A token acts as its user (``user_id``), limited
to its ``scopes`` and, for a service token (``org_id`` set), to that organisation's subtree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from tenants.models import Organisation, User


class ApiToken(db.CountyKey, db.Base):
    __tablename__ = "api_tokens"
    __county_optional__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # a service token acts for this organisation's subtree only; None: a personal token
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    scopes: Mapped[list[str]] = mapped_column(default=list)
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[org_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}…>"

    def active_at(self, moment: datetime) -> bool:
        """Neither revoked nor expired at ``moment``."""
        return self.revoked_at is None and moment < self.expires_at
