"""The school affairs plugin's tables: per-school settings, deliberations, overdue flags and the
delivery log of the outbound sync (all prefixed ``school_affairs_``, all with ``org_id``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, CountyKey, utcnow


class SchoolSettings(CountyKey, Base):
    """One row per school: its type (the request deadline profile, SCH-3) and its sync target."""

    __tablename__ = "school_affairs_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    school_type: Mapped[str] = mapped_column(String(30), default="party")
    sync_url: Mapped[str | None] = mapped_column(String(500))
    sync_secret: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Deliberation(CountyKey, Base):
    """A deliberation of a major matter by the school affairs committee or the staff congress
    (SCH-4), recorded before the item may be approved."""

    __tablename__ = "school_affairs_deliberations"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    body: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    minutes_ref: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OverdueFlag(CountyKey, Base):
    """An item not published within the proactive deadline after its change (SCH-2)."""

    __tablename__ = "school_affairs_overdue"
    __table_args__ = (UniqueConstraint("item_id", name="uq_school_affairs_overdue_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    due_on: Mapped[date] = mapped_column(Date)
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(CountyKey, Base):
    """One signed webhook delivery of a joint item to the school affairs system (SCH-5)."""

    __tablename__ = "school_affairs_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
