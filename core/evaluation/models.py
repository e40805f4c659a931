"""Member evaluation (评议, SUP-3): rounds, the roll of voters, and secret ballots.

An :class:`EvaluationRound` belongs to the superior that opens it (``org_id``) and lists the
units of its subtree that are evaluated (:class:`EvaluationUnit`). When the round opens, the roll
is fixed: every person holding a role in a unit gets one :class:`EvaluationVoter` row (once, even
with several roles), and the unit's ``eligible`` count is stored.

**The ballot is secret.** Casting a ballot writes two rows in two tables that share no key:

* the voter row records *that* a person voted (``voted_at`` is set on their roll entry);
* the :class:`EvaluationBallot` records *what* was voted — the round, the unit, the answers and
  the comment — with no user, no time and a random primary key (a sequential id or a timestamp
  would let anyone pair the n-th ballot with the n-th voter).

Nothing in the application links the two. (A database administrator with access to PostgreSQL's
row-level system columns or its write-ahead log could still pair rows written by the same
transaction; the secrecy holds for the application and its users, not against the database's
operator.)
"""

from __future__ import annotations

import secrets
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
from core.i18n import localised
from tenants.models import Organisation

STATES = ("draft", "open", "closed", "published")
OPEN_STATES = ("open",)
"""States in which members rate (notifications remind the members who have not rated yet)."""
RESULT_STATES = ("closed", "published")
RESULT_SCOPES = ("public", "party_wide", "unit")
"""Who may read the published results (SCOPE-1; a named list is not offered here)."""
ANSWERS = ("satisfied", "basically_satisfied", "dissatisfied")
"""满意 / 基本满意 / 不满意, for every criterion and for the overall rating."""
SATISFIED = ("satisfied", "basically_satisfied")
OVERALL = "overall"
"""The key of the overall rating in a ballot's answers (next to the criteria's keys)."""


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def ballot_id() -> str:
    return secrets.token_hex(16)


class EvaluationRound(db.CountyKey, db.Base):
    __tablename__ = "evaluation_rounds"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("result_scope", RESULT_SCOPES), name="result_scope"),
        CheckConstraint("closes_on >= opens_on", name="period"),
        Index("ix_evaluation_rounds_state_closes_on", "state", "closes_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the superior that opened the round (its admins manage it)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # an introduction per locale
    # [{"key": "c1", "labels": {"zh_Hans_CN": ..., "en": ..., "ug": ...}}, ...]
    criteria: Mapped[list[Any]] = mapped_column(JSON, default=list)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)  # the last day of rating
    result_scope: Mapped[str] = mapped_column(String(20), default="unit")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<EvaluationRound {self.id} {self.state}>"

    def title(self, locale: str) -> str:
        return localised(self.titles, locale)

    def note(self, locale: str) -> str:
        return localised(self.notes, locale)

    def criterion_keys(self) -> list[str]:
        return [c["key"] for c in self.criteria or []]

    def criterion_label(self, key: str, locale: str) -> str:
        for c in self.criteria or []:
            if c["key"] == key:
                return localised(c.get("labels"), locale)
        return key


class EvaluationUnit(db.CountyKey, db.Base):
    """A unit evaluated in a round, with its number of eligible members when the round opened."""

    __tablename__ = "evaluation_units"
    __table_args__ = (UniqueConstraint("round_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    eligible: Mapped[int | None] = mapped_column(Integer)  # set when the round opens

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")


class EvaluationVoter(db.CountyKey, db.Base):
    """One person on a unit's roll: *that* they voted (``voted_at``), never *what*."""

    __tablename__ = "evaluation_voters"
    __table_args__ = (UniqueConstraint("round_id", "org_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # SET NULL: a deleted account still counts as eligible (and as a voter, if it voted)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    voted_at: Mapped[datetime | None]


class EvaluationBallot(db.CountyKey, db.Base):
    """*What* was voted in one unit: the answers and the comment, with no user, no time and a
    random id (see the module's docstring)."""

    __tablename__ = "evaluation_ballots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=ballot_id)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {criterion key: answer}
    comment: Mapped[str | None] = mapped_column(Text)
