"""Questionnaire models.

* :class:`Questionnaire` — titles and introduction per language, the questions (JSON, below),
  the period, the state (``draft`` → ``open`` → ``closed`` → ``published``).
* :class:`QuestionnaireResponse` — *what* one visitor answered: the answers, with no address, no
  time and a random id, so that no row can be paired with a respondent.
* :class:`QuestionnaireRespondent` — *that* an address answered: a keyed hash of the address
  (HMAC-SHA256 with the application's secret and the questionnaire's id), never the address;
  unique per questionnaire, which refuses a second answer from the same address.

``questions``: ``[{"key": "q1", "kind": "single" | "multiple" | "text",
"texts": {locale: question}, "options": [{"key": "o1", "labels": {locale: label}}, ...]}]``
(a free-text question has no options). ``answers``: ``{question key: option key | [option keys]
| text}``.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from core.i18n import localised
from tenants.models import Organisation

STATES = ("draft", "open", "closed", "published")
KINDS = ("single", "multiple", "text")

MAX_TITLE = 200
MAX_INTRO = 2000
MAX_QUESTION = 500
MAX_OPTION = 200
MIN_QUESTIONS, MAX_QUESTIONS = 1, 10
MIN_OPTIONS, MAX_OPTIONS = 2, 8
MAX_TEXT_ANSWER = 500
MAX_PERIOD_DAYS = 90


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def response_id() -> str:
    return secrets.token_hex(16)


class Questionnaire(db.CountyKey, db.Base):
    __tablename__ = "questionnaires"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        Index("ix_questionnaires_org_state", "org_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    intros: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    questions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)  # the last day of answering
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<Questionnaire {self.id} {self.state}>"

    def title(self, locale: str) -> str:
        return localised(self.titles, locale)

    def intro(self, locale: str) -> str:
        return localised(self.intros, locale)

    @staticmethod
    def question_text(question: dict[str, Any], locale: str) -> str:
        return localised(question.get("texts"), locale)

    @staticmethod
    def option_label(option: dict[str, Any], locale: str) -> str:
        return localised(option.get("labels"), locale)


class QuestionnaireResponse(db.CountyKey, db.Base):
    """What one visitor answered (no address, no time, a random id)."""

    __tablename__ = "questionnaire_responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=response_id)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class QuestionnaireRespondent(db.CountyKey, db.Base):
    """That an address answered: its keyed hash only, once per questionnaire."""

    __tablename__ = "questionnaire_respondents"
    __table_args__ = (UniqueConstraint("questionnaire_id", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    address_hash: Mapped[str] = mapped_column(String(64))
