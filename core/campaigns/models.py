"""Rollout campaigns (RPT-2): the campaign of a superior, its stages, its units, and each unit's
progress — a checklist item marked done (:class:`CampaignCheck`) with its evidence (a written
account and files: :class:`CampaignEvidence`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from core.evidence import EvidenceFile
from core.i18n import localised
from tenants.models import Organisation

STATES = ("draft", "running", "closed")
MAX_STAGES = 6
MAX_CHECKS = 12


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Campaign(db.Base):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint(_in("state", STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # superior
    root_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    def title(self, locale: str) -> str:
        return localised(self.titles, locale)

    def note(self, locale: str) -> str:
        return localised(self.notes, locale)


class CampaignStage(db.Base):
    """A stage: its title, deadline and checklist (``[{"key", "labels"}]``)."""

    __tablename__ = "campaign_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # superior
    position: Mapped[int] = mapped_column(Integer, default=0)
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deadline: Mapped[date] = mapped_column(Date)
    checklist: Mapped[list[Any]] = mapped_column(JSON, default=list)

    def title(self, locale: str) -> str:
        return localised(self.titles, locale)

    def item_keys(self) -> list[str]:
        return [c["key"] for c in self.checklist or []]

    def label(self, key: str, locale: str) -> str:
        for c in self.checklist or []:
            if c["key"] == key:
                return localised(c.get("labels"), locale)
        return key


class CampaignUnit(db.Base):
    __tablename__ = "campaign_units"
    __table_args__ = (UniqueConstraint("campaign_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class CampaignCheck(db.Base):
    """A checklist item of a stage that a unit marked done, with its written account."""

    __tablename__ = "campaign_checks"
    __table_args__ = (UniqueConstraint("stage_id", "org_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_stages.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # the unit
    item_key: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    done_on: Mapped[date] = mapped_column(Date)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime] = mapped_column(default=db.utcnow)


class CampaignEvidence(EvidenceFile, db.Base):
    """A file (a photo, a PDF) given as evidence of a checklist item of a unit."""

    __tablename__ = "campaign_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_stages.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # the unit
    item_key: Mapped[str] = mapped_column(String(40))
