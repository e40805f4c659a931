"""Feedback models: one :class:`FeedbackEntry` per opinion or suggestion, and its handling notes.

An entry arrives online (anyone, no account: ``channel="online"``) or is recorded by staff from
the hotline, the suggestion box, a reception day, letters and visits, or a meeting (FB-1). It is
then assigned to a handler with a due date, may need a rectification (measures, deadline,
result), is answered, and closes under the rules of FB-2. ``receipt`` is the number the
submitter quotes; an online submitter also gets a lookup code, kept here only as a digest.

Columns that other packages rely on (the notifications' overdue sweep): ``org_id``, ``state``,
``due_on`` (the answer's due date) and ``handler_id``, with :data:`OPEN_STATES`. Entries flagged
``spam`` (the honeypot field was filled) are never due and never notified.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from tenants.models import Organisation

STATES = ("received", "assigned", "rectifying", "answered", "closed")
OPEN_STATES = ("received", "assigned", "rectifying")
"""States in which the answer is still due (``due_on`` counts): the overdue sweeps use them."""

CHANNELS = ("online", "hotline", "suggestion_box", "reception_day", "letters_visits", "meeting")
"""How feedback arrives (FB-1); every channel but ``online`` is recorded by staff."""
STAFF_CHANNELS = CHANNELS[1:]

ANSWER_CHANNELS = ("phone", "letter", "in_person", "email", "sms", "meeting", "online")
"""How the answer reached the submitter (``online``: on the page their lookup code opens, or
the signed-in submitter's own view)."""

CONTENT_MAX = 2000
NAME_MAX = 100
CONTACT_MAX = 200
TEXT_MAX = 5000  # answers, notes, rectification texts written by staff


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class FeedbackEntry(db.CountyKey, db.Base):
    __tablename__ = "feedback_entries"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        Index("ix_feedback_entries_org_state", "org_id", "state"),
        Index("ix_feedback_entries_published", "org_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    receipt: Mapped[str] = mapped_column(String(20), unique=True)
    lookup_hash: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="received")
    spam: Mapped[bool] = mapped_column(Boolean, default=False)
    # what was said, and by whom (optional)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    content: Mapped[str] = mapped_column(Text)
    submitter_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    submitter_contact: Mapped[str | None] = mapped_column(String(CONTACT_MAX))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # handling
    handler_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    assigned_at: Mapped[datetime | None]
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # rectification (整改)
    rectification_measures: Mapped[str | None] = mapped_column(Text)
    rectification_deadline: Mapped[date | None] = mapped_column(Date)
    rectification_result: Mapped[str | None] = mapped_column(Text)
    rectification_done_on: Mapped[date | None] = mapped_column(Date)
    rectification_public: Mapped[bool] = mapped_column(Boolean, default=True)
    rectification_private_reason: Mapped[str | None] = mapped_column(Text)
    # the answer to the submitter, and what is published
    answer: Mapped[str | None] = mapped_column(Text)
    answer_channel: Mapped[str | None] = mapped_column(String(20))
    answered_on: Mapped[date | None] = mapped_column(Date)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    public_question: Mapped[str | None] = mapped_column(Text)
    answer_published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    @property
    def anonymous(self) -> bool:
        """No way to reach the submitter (no contact details, no account): such an entry closes
        only with a published answer (FB-2)."""
        return not (self.submitter_contact or "").strip() and self.user_id is None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def has_rectification(self) -> bool:
        return bool((self.rectification_measures or "").strip())

    @property
    def rectification_done(self) -> bool:
        return self.rectification_done_on is not None

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def overdue(self, today: date) -> bool:
        return self.state in OPEN_STATES and self.due_on is not None and self.due_on < today

    def answered_on_time(self) -> bool | None:
        """Answered by the due date (None: not answered, or no due date)."""
        if self.answered_on is None or self.due_on is None:
            return None
        return self.answered_on <= self.due_on


class FeedbackNote(db.CountyKey, db.Base):
    """A handling note (办理情况): what was done, by whom, when. Notes are never changed."""

    __tablename__ = "feedback_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_entries.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=db.utcnow)
