"""Notification models.

A :class:`Notification` is one message for one user: its ``kind`` (see :mod:`core.notifications.
kinds`), the ``params`` its texts are rendered from in the reader's language (per-locale texts,
ISO dates, numbers: never a rendered sentence), a ``link`` (a path) and, for reminders, a
``dedup_key`` so that one reminder of a kind for an object and a day exists once.

``email`` is how it is mailed, decided when it is made from the user's preference for the kind
(:class:`NotificationPreference`, else the kind's default) and whether the user has an address:
``none`` (in-app only), ``immediate`` (a job on the ``mail`` queue) or ``daily`` (the next daily
digest). A :class:`NotificationDigest` is the per-user, per-day marker of the digest: one per user
and day, so that the digest sweep can run any number of times.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core import db

CHANNELS = ("off", "immediate", "daily")
"""What a user chooses per kind: no e-mail, one e-mail each, or the daily digest."""
EMAIL_STATES = ("none", "immediate", "daily")
"""How one notification is mailed (``none``: in-app only)."""


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class NotificationDigest(db.Base):
    """The daily digest of one user for one day (local date of the platform's time zone)."""

    __tablename__ = "notification_digests"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Notification(db.Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("email", EMAIL_STATES), name="email"),
        UniqueConstraint("user_id", "dedup_key"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_email_pending", "email", "emailed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # the organisation it is about (None for platform notices such as a missing calendar year)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(60))
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow, index=True)
    read_at: Mapped[datetime | None]
    email: Mapped[str] = mapped_column(String(10), default="none")
    emailed_at: Mapped[datetime | None]
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_digests.id", ondelete="SET NULL"), index=True
    )
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)
    mail_error: Mapped[str | None] = mapped_column(Text)

    @property
    def unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(db.Base):
    """A user's e-mail choice for one kind (no row: the kind's default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)


class NotificationChannelChoice(db.Base):
    """A user's choice for one extra channel (a plugin's: SMS, a work-messaging app …) and one
    kind (no row: the channel's default, off unless the channel says otherwise)."""

    __tablename__ = "notification_channel_choices"
    __table_args__ = (UniqueConstraint("user_id", "kind", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(60))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)


class NotificationDelivery(db.Base):
    """One notification sent (or to be sent) through one extra channel: made with the
    notification, delivered by a job after the commit, tried again by the retry sweep."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_notification_deliveries_pending", "sent_at", "attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    gave_up: Mapped[bool] = mapped_column(Boolean, default=False)
