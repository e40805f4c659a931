"""Disclosure request models (依申请公开, REQ-1..REQ-5).

A :class:`DisclosureRequest` belongs to one unit (``org_id``): the applicant (a signed-in user,
or a person whose oral or paper request staff recorded), the content wanted, the purpose, the
contact and the preferred delivery, the date it was received and its deadline in working days.
Its decisions are :class:`RequestDecision` rows (the newest is the one in force; a decision the
superior orders reconsidered stays in the history); a decision that declines, grants in part or
withholds is **filed** with the parent organisation on its row (``filed_with_id``, REQ-5).
Consulting a third party is a :class:`RequestConsultation` (the clock pauses, REQ-4); an
applicant's escalation to the next level is a :class:`RequestEscalation` that the superior
decides. Granted documents are :class:`RequestAttachment` s.
"""

from __future__ import annotations

from datetime import date, datetime

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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from tenants.models import Organisation

STATES = (
    "submitted",  # received, not yet accepted
    "accepted",  # being handled: the clock runs
    "consulting",  # a third party is consulted: the clock is paused (REQ-4)
    "awaiting_amendment",  # unclear: the applicant was asked to amend (REQ-3)
    "decided",  # answered with one of the outcomes of REQ-3
    "rejected_invalid",  # not a disclosure request (with the reason); filed with the superior
    "lapsed",  # unclear and not amended in time
    "escalated",  # the applicant asked the superior to review it (REQ-5)
)
OPEN_STATES = ("submitted", "accepted", "consulting")
"""States in which the unit owes a decision by ``deadline`` (the notification sweeps look at
these; during a consultation the deadline is kept as if it ended today)."""
CLOSED_STATES = ("decided", "rejected_invalid", "lapsed")

OUTCOMES = (
    "already_public",  # with the link to the published item or page
    "granted",  # given to the applicant (answer text and/or documents)
    "granted_published",  # published for everyone: a draft item goes through the item workflow
    "partly_granted",  # what is granted + what is declined (reason code, explanation)
    "declined",  # reason code + written explanation
    "not_held",  # the unit does not hold it (explanation; may name who does)
    "not_this_unit",  # another organisation is responsible (named)
    "unclear",  # the applicant is asked to amend; lapses after the parameter's days
    "duplicate",  # the same as an earlier request (linked)
)
"""The outcomes of REQ-3."""
DECISIONS = (*OUTCOMES, "rejected_invalid")
"""Every outcome code a :class:`RequestDecision` may carry."""
FILED_OUTCOMES = ("partly_granted", "declined", "not_held", "rejected_invalid")
"""Decisions filed with the superior (REQ-5: declines and withholdings)."""
ESCALABLE_OUTCOMES = ("partly_granted", "declined", "not_held")
"""Decisions the applicant may escalate to the next level (also: a deadline passed)."""

DECLINE_REASONS = (
    "state_secret",
    "party_secret",
    "personal_privacy",
    "trade_secret",
    "internal_affairs",
    "process_information",
    "security_stability",
    "law_prohibits",
    "other",
)
"""Reasons for declining (all or part of) a request: a fixed code list, the item refusal
reasons (``core.items.models.REFUSAL_REASONS``) without "unverified", plus those of request
practice (trade secrets, internal affairs, process information, security and stability, a law
forbids it)."""

CHANNELS = ("online", "api", "oral", "paper", "letter")
STAFF_CHANNELS = ("oral", "paper", "letter")
DELIVERIES = ("electronic", "paper", "collect", "inspect")
ESCALATION_STATES = ("pending", "upheld", "reconsider")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DisclosureRequest(db.CountyKey, db.Base):
    __tablename__ = "disclosure_requests"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("delivery", DELIVERIES), name="delivery"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', DECISIONS)}", name="outcome"),
        UniqueConstraint("org_id", "year", "seq"),
        Index("ix_disclosure_requests_org_state", "org_id", "state"),
        Index("ix_disclosure_requests_state_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(24), default="submitted")
    # the applicant and what they want (REQ-1)
    applicant_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    applicant_name: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_address: Mapped[str | None] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    delivery: Mapped[str] = mapped_column(String(20), default="electronic")
    channel: Mapped[str] = mapped_column(String(20), default="online")
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # the clock (REQ-2): working days from clock_start (receipt, amendment or reconsideration)
    clock_start: Mapped[date] = mapped_column(Date)
    decision_days: Mapped[int] = mapped_column(Integer)
    extension_days: Mapped[int | None] = mapped_column(Integer)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_on: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # unclear: what to amend, by when, and the applicant's amendment
    amend_request: Mapped[str | None] = mapped_column(Text)
    amend_due: Mapped[date | None] = mapped_column(Date)
    amendment: Mapped[str | None] = mapped_column(Text)
    amended_on: Mapped[date | None] = mapped_column(Date)
    # the decision in force (its details are the newest RequestDecision)
    outcome: Mapped[str | None] = mapped_column(String(24))
    decided_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    @property
    def number(self) -> str:
        """The request's number within its unit: year and sequence (``2026-0007``)."""
        return f"{self.year}-{self.seq:04d}"

    @property
    def extended(self) -> bool:
        return self.extension_days is not None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class RequestDecision(db.CountyKey, db.Base):
    """One decision on a request, with the fields its outcome requires; filed with the
    superior (``filed_with_id``) when it declines or withholds, and acknowledged there."""

    __tablename__ = "request_decisions"
    __table_args__ = (
        CheckConstraint(_in("outcome", DECISIONS), name="outcome"),
        CheckConstraint(
            f"reason_code IS NULL OR {_in('reason_code', DECLINE_REASONS)}", name="reason_code"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_requests.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(24))
    answer: Mapped[str | None] = mapped_column(Text)  # what is given (or the general answer)
    declined_part: Mapped[str | None] = mapped_column(Text)  # partly granted: what is not
    reason_code: Mapped[str | None] = mapped_column(String(30))
    explanation: Mapped[str | None] = mapped_column(Text)
    public_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    public_url: Mapped[str | None] = mapped_column(String(500))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    referred_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    referred_to: Mapped[str | None] = mapped_column(String(300))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("disclosure_requests.id", ondelete="SET NULL")
    )
    decided_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # filing with the superior (REQ-5)
    filed_with_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    acknowledgement: Mapped[str | None] = mapped_column(Text)

    request: Mapped[DisclosureRequest] = relationship(foreign_keys=[request_id], lazy="joined")


class RequestAttachment(db.CountyKey, db.Base):
    """A document given to the applicant with a decision."""

    __tablename__ = "request_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_requests.id", ondelete="CASCADE"), index=True
    )
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("request_decisions.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=db.utcnow)


class RequestConsultation(db.CountyKey, db.Base):
    """A third party consulted about a request (REQ-4): from ``started_on`` to ``ended_on`` the
    clock is paused."""

    __tablename__ = "request_consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_requests.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    third_party: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    opinion: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)


class RequestEscalation(db.CountyKey, db.Base):
    """The applicant's request for a review by the next level (REQ-5), and its outcome."""

    __tablename__ = "request_escalations"
    __table_args__ = (CheckConstraint(_in("state", ESCALATION_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_requests.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("request_decisions.id", ondelete="SET NULL")
    )
    from_state: Mapped[str] = mapped_column(String(24))
    grounds: Mapped[str] = mapped_column(Text)
    escalated_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    escalated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)

    request: Mapped[DisclosureRequest] = relationship(lazy="joined")
