"""The half-year report (半年报告, RPT-1): one per unit and period.

A report is made as a draft when its period ends (or earlier, by the unit): its statistics are
drawn from the data of the period (:mod:`core.reports.statistics`) and can be drawn again while it
is a draft; its narrative — practices, problems, suggestions — is the unit's. Submitted to the
superior, it is frozen: the superior accepts it or returns it with a comment (then the unit
changes and submits it again). ``late`` records that its first submission came after the due
date; a report still unsubmitted after its due date is *missing* (:func:`HalfYearReport.missing`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from tenants.models import Organisation

STATES = ("draft", "submitted", "returned", "accepted")
OPEN_STATES = ("draft", "returned")
"""States in which the unit still has to submit (reminders, "missing" after the due date)."""
NARRATIVE = ("practices", "problems", "suggestions")
MAX_NARRATIVE = 10_000


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class HalfYearReport(db.Base):
    __tablename__ = "half_year_reports"
    __table_args__ = (
        UniqueConstraint("org_id", "period_key"),
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint("ends_on >= starts_on", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the reporting unit; the superior it reports to (its parent when the report was made)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    superior_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(7))  # the period's last month: "2026-06"
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    statistics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    practices: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[str] = mapped_column(Text, default="")
    return_comment: Mapped[str | None] = mapped_column(Text)
    counted_at: Mapped[datetime | None]  # when the statistics were drawn
    first_submitted_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")
    superior: Mapped[Organisation] = relationship(foreign_keys=[superior_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<HalfYearReport {self.id} {self.organisation.code} {self.period_key} {self.state}>"

    def missing(self, today: date) -> bool:
        """Not submitted and its due date is over (RPT-1: flagged)."""
        return self.state in OPEN_STATES and today > self.due_on

    def narrative(self) -> dict[str, str]:
        return {name: getattr(self, name) or "" for name in NARRATIVE}
