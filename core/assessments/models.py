"""Assessment (考核评价, SUP-3): schemes, criteria, each unit's sheet and scores, the evidence of
checklist points, and the designations of contact points and model units.

A superior (``org_id`` of the :class:`AssessmentScheme`) sets a scheme for a year: criteria with
weights (points, adding up to 100), each scored one way:

* ``manual`` — the superior gives a score (the unit may propose its own);
* ``metric`` — an automatic metric (hook ``assessment_metrics``) measures the unit over the year,
  a share from 0 to 1: the score is the weight times that share;
* ``checklist`` — a standard's points (五有, 八有 …): the unit claims a point with evidence, the
  superior confirms it; the score is the weight times the share of confirmed points.

When the scheme opens, every unit assessed gets an :class:`AssessmentSheet` (its scores one
:class:`AssessmentScore` per criterion). The unit assesses itself and submits; the superior
scores (or returns the self-assessment with a comment); once every sheet is scored the superior
publishes the results, in the scheme's scope (SCOPE-1).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
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

STATES = ("draft", "open", "published")
SHEET_STATES = ("pending", "self_assessed", "scored")
METHODS = ("manual", "metric", "checklist")
RESULT_SCOPES = ("public", "party_wide", "unit")
DESIGNATION_KINDS = ("contact_point", "model_unit")
TOTAL_WEIGHT = 100


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AssessmentScheme(db.Base):
    __tablename__ = "assessment_schemes"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("result_scope", RESULT_SCOPES), name="result_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # superior
    root_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    self_due_on: Mapped[date] = mapped_column(Date)  # the units' self-assessments are due
    result_scope: Mapped[str] = mapped_column(String(20), default="unit")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)
    opened_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    def title(self, locale: str) -> str:
        return localised(self.titles, locale)

    def note(self, locale: str) -> str:
        return localised(self.notes, locale)

    @property
    def starts_on(self) -> date:
        return date(self.year, 1, 1)

    @property
    def ends_on(self) -> date:
        return date(self.year, 12, 31)


class AssessmentCriterion(db.Base):
    __tablename__ = "assessment_criteria"
    __table_args__ = (
        UniqueConstraint("scheme_id", "key"),
        CheckConstraint(_in("method", METHODS), name="method"),
        CheckConstraint("weight > 0 AND weight <= 100", name="weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_schemes.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # superior
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(40))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    weight: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))
    metric: Mapped[str | None] = mapped_column(String(60))  # method "metric": the metric's code
    standard: Mapped[str | None] = mapped_column(String(40))  # method "checklist"
    points: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the standard's, copied

    def label(self, locale: str) -> str:
        return localised(self.labels, locale)

    def point_keys(self) -> list[str]:
        return [p["key"] for p in self.points or []]

    def point_label(self, key: str, locale: str) -> str:
        for p in self.points or []:
            if p["key"] == key:
                return localised(p.get("labels"), locale)
        return key


class AssessmentSheet(db.Base):
    """One unit's assessment in a scheme: its self-assessment and the superior's scores."""

    __tablename__ = "assessment_sheets"
    __table_args__ = (
        UniqueConstraint("scheme_id", "org_id"),
        CheckConstraint(_in("state", SHEET_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_schemes.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # the unit
    state: Mapped[str] = mapped_column(String(20), default="pending")
    self_summary: Mapped[str] = mapped_column(Text, default="")
    self_total: Mapped[float | None] = mapped_column(Float)
    self_submitted_at: Mapped[datetime | None]
    self_submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    total: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)  # the superior's, to the unit
    return_comment: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime | None]
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    scheme: Mapped[AssessmentScheme] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")


class AssessmentScore(db.Base):
    """A sheet's score of one criterion: the unit's proposal, the superior's score, a metric's
    measured share, the checklist's points (``{point key: {"claimed", "confirmed"}}``)."""

    __tablename__ = "assessment_scores"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_sheets.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_criteria.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # the unit
    self_score: Mapped[float | None] = mapped_column(Float)
    self_note: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    measured: Mapped[float | None] = mapped_column(Float)  # a metric's share, 0..1
    points: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AssessmentEvidence(EvidenceFile, db.Base):
    """A file given as evidence of a checklist point of a unit's sheet (a photo of the board)."""

    __tablename__ = "assessment_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_sheets.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_criteria.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # the unit
    point_key: Mapped[str] = mapped_column(String(40))


class Designation(db.Base):
    """A contact point (联系点) or model unit (示范点) a superior designates in its subtree, with
    the standard it models (五有, 八有 …)."""

    __tablename__ = "designations"
    __table_args__ = (CheckConstraint(_in("kind", DESIGNATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # superior
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    standard: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    designated_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")
    unit: Mapped[Organisation] = relationship(foreign_keys=[unit_id], lazy="joined")
