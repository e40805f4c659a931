"""Supervision models: inspections, their findings, and the automatic flags (SUP-1, SUP-2).

An :class:`Inspection` belongs to the organisation that records it (``org_id``) and targets a
unit of its subtree (``target_org_id``: the organisation itself or one below it). A
:class:`Finding` belongs to the unit responsible for the rectification (``org_id``): that unit
finds it in its console and answers it; ``supervisor_org_id`` is the organisation that raised it
(the inspection's, or the superior that confirmed a flag), which closes or reopens it. A
:class:`SupervisionFlag` belongs to the unit it is about; ``(org_id, kind, subject_key)`` is
unique, so that the sweep that raises flags never raises the same one twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from tenants.models import Organisation

INSPECTION_KINDS = ("planned", "ad_hoc")
INSPECTION_STATES = ("planned", "underway", "concluded", "cancelled")
FINDING_STATES = ("open", "answered", "closed")
OPEN_FINDING_STATES = ("open", "answered")
"""A finding not closed yet (``open``: the unit has to answer it)."""
FLAG_KINDS = (
    "overdue_disclosure",  # 应公开未公开: an expected disclosure due and not made
    "correction",  # an amendment that corrects false content
    "late_request",  # a disclosure request answered after its deadline (or still open past it)
    "late_feedback",  # feedback answered after its due date (or still open past it)
    "early_close",  # someone tried to close a notice before its period ended
    "secrecy_revocation",  # an item revoked because it disclosed what it must not
)
FLAG_STATES = ("open", "confirmed", "dismissed", "resolved")
"""``resolved``: the condition ended before anyone decided (a late disclosure was made)."""
SUBJECT_MAX = 200
TEXT_MAX = 5000


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Inspection(db.CountyKey, db.Base):
    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint(_in("kind", INSPECTION_KINDS), name="kind"),
        CheckConstraint(_in("state", INSPECTION_STATES), name="state"),
        Index("ix_inspections_org_state", "org_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    target_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="planned")
    state: Mapped[str] = mapped_column(String(20), default="planned")
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    basis: Mapped[str] = mapped_column(Text, default="")  # what is inspected, and on what basis
    planned_on: Mapped[date] = mapped_column(Date)
    held_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)  # the conclusion
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")
    target: Mapped[Organisation] = relationship(foreign_keys=[target_org_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<Inspection {self.id} {self.state}>"


class SupervisionFlag(db.CountyKey, db.Base):
    __tablename__ = "supervision_flags"
    __table_args__ = (
        UniqueConstraint("org_id", "kind", "subject_key"),
        CheckConstraint(_in("kind", FLAG_KINDS), name="kind"),
        CheckConstraint(_in("state", FLAG_STATES), name="state"),
        Index("ix_supervision_flags_state_org", "state", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # what it is about: "<entry>:<period>", "item:12", "version:40", "request:7", "feedback:3"
    subject_key: Mapped[str] = mapped_column(String(200))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="open")
    raised_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was dismissed
    resolved_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<SupervisionFlag {self.id} {self.kind} {self.state}>"


class Finding(db.CountyKey, db.Base):
    __tablename__ = "inspection_findings"
    __table_args__ = (
        CheckConstraint(_in("state", FINDING_STATES), name="state"),
        Index("ix_inspection_findings_org_state", "org_id", "state"),
        Index("ix_inspection_findings_supervisor_state", "supervisor_org_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the unit responsible for the rectification
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # the organisation that raised it (closes and reopens it)
    supervisor_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    flag_id: Mapped[int | None] = mapped_column(
        ForeignKey("supervision_flags.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default="open")
    description: Mapped[str] = mapped_column(Text)
    requirement: Mapped[str] = mapped_column(Text, default="")  # what the unit must do (整改要求)
    deadline: Mapped[date] = mapped_column(Date)
    rectification: Mapped[str | None] = mapped_column(Text)  # the unit's answer
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(
        Text
    )  # the inspector's last word (closing, reopening)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")
    supervisor: Mapped[Organisation] = relationship(foreign_keys=[supervisor_org_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<Finding {self.id} {self.state}>"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_FINDING_STATES

    def overdue(self, today: date) -> bool:
        """Not rectified by its deadline: still open (the unit has not answered) after it."""
        return self.state == "open" and self.deadline < today
