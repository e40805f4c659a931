"""Item models.

An :class:`Item` belongs to one unit and normally to a catalogue entry (``entry_key``); without
one it is an off-catalogue item (目录外事项). Its content lives in numbered :class:`ItemVersion` s
(titles and Markdown bodies per locale): an amendment adds a version that becomes current only
when approved, so every version stays readable (PUB-7). ``scope`` is the planned scope;
``visible_scope`` is what is visible now (internal first: ``party_wide`` until ``widen_at``,
SCOPE-2).
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
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from core.catalogue.models import SCOPES
from core.i18n import localised
from tenants.models import Organisation

STATES = (
    "draft",  # being planned
    "proposed",  # plan complete, waiting for the review
    "reviewed",  # secrecy, necessity and accuracy checked
    "superior_review",  # escalated / off-catalogue: waits for the catalogue owner
    "approved",  # approved, not yet scheduled
    "scheduled",  # publishes at planned_at
    "published",
    "amendment_pending",  # a new version waits for the catalogue owner's approval
    "revocation_pending",
    "closed",  # notice period over / no longer current; stays readable
    "revoked",  # revoked with a published explanation
    "withheld",  # 暂不公开, filed with the superior
    "refused",  # secrecy review failed for good (SEC-1)
)
VISIBLE_STATES = ("published", "amendment_pending", "revocation_pending", "closed", "revoked")
"""States in which an item is disclosed (within its visible scope)."""
REFUSAL_REASONS = ("state_secret", "party_secret", "personal_privacy", "unverified", "other")
"""SEC-1: reasons for refusing publication (a code list)."""
AMENDMENT_REASONS = ("correction", "update", "supplement", "other")
"""Why a published item is amended (PUB-7): ``correction`` corrects false content (the
supervision flags it, SUP-2); ``update`` brings it up to date; ``supplement`` adds to it."""
REVOCATION_REASONS = ("secrecy", "error", "superseded", "other")
"""Why a published item is revoked (PUB-7): ``secrecy`` — it disclosed what it should not (a
secrecy incident, flagged by the supervision: SUP-2); ``error``; ``superseded``."""


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Item(db.CountyKey, db.Base):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("scope", SCOPES), name="scope"),
        CheckConstraint(_in("visible_scope", SCOPES), name="visible_scope"),
        CheckConstraint(
            f"revocation_reason IS NULL OR {_in('revocation_reason', REVOCATION_REASONS)}",
            name="revocation_reason",
        ),
        Index("ix_items_org_state", "org_id", "state"),
        Index("ix_items_visible", "visible_scope", "state", "published_at"),
        # the few items of some states across a subtree (compliance: waiting for approval)
        Index("ix_items_state_org", "state", "org_id"),
        # a county's portal at 300,000 items: its newest items, the board's date (the latest
        # change, the latest notice ended) read backwards from an index, not sorted
        Index("ix_items_published", "published_at", "id"),
        Index("ix_items_visible_updated", "visible_scope", "updated_at"),
        Index(
            "ix_items_visible_notice_ends",
            "visible_scope",
            "notice_ends_at",
            postgresql_where=text("is_notice IS true"),
            sqlite_where=text("is_notice IS true"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), default="draft")
    # the plan (公开方案)
    entry_key: Mapped[str | None] = mapped_column(String(60), index=True)
    category_key: Mapped[str | None] = mapped_column(String(60))
    cadence: Mapped[str | None] = mapped_column(String(20))
    period_key: Mapped[str | None] = mapped_column(String(20))
    # a plugin's item type (hook item_types) and the values of its extra fields
    item_type: Mapped[str | None] = mapped_column(String(60))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    catalogue_version_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_versions.id"))
    scope: Mapped[str] = mapped_column(String(20), default="public")
    visible_scope: Mapped[str] = mapped_column(String(20), default="unit")
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    planned_at: Mapped[datetime | None]
    decision_date: Mapped[date | None] = mapped_column(Date)
    internal_first: Mapped[bool] = mapped_column(Boolean, default=True)
    is_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    notice_days: Mapped[int | None] = mapped_column(Integer)
    involves_secrets: Mapped[bool] = mapped_column(Boolean, default=False)
    escalate: Mapped[bool] = mapped_column(Boolean, default=False)
    # facts of the run
    due_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None]
    widen_at: Mapped[datetime | None]
    notice_ends_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    withheld_reason: Mapped[str | None] = mapped_column(Text)
    refusal_reason: Mapped[str | None] = mapped_column(String(30))
    revocation_explanation: Mapped[str | None] = mapped_column(Text)
    revocation_reason: Mapped[str | None] = mapped_column(String(20))
    # a withheld item is filed with the superiors (PUB-6), who acknowledge having read it
    filing_acknowledged_at: Mapped[datetime | None]
    filing_acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    filing_acknowledgement: Mapped[str | None] = mapped_column(Text)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "item_versions.id",
            use_alter=True,
            name="fk_items_current_version_id",
            ondelete="SET NULL",
        )
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")
    current_version: Mapped[ItemVersion | None] = relationship(
        foreign_keys=[current_version_id], lazy="joined", post_update=True
    )

    @property
    def off_catalogue(self) -> bool:
        return self.entry_key is None

    @property
    def is_visible_state(self) -> bool:
        return self.state in VISIBLE_STATES

    def title(self, locale: str) -> str:
        return self.current_version.title(locale) if self.current_version else ""


class ItemVersion(db.CountyKey, db.Base):
    __tablename__ = "item_versions"
    __county_from__ = ("item_id", "items")
    __table_args__ = (
        UniqueConstraint("item_id", "number"),
        CheckConstraint(f"reason IS NULL OR {_in('reason', AMENDMENT_REASONS)}", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    bodies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # Markdown per locale
    explanation: Mapped[str | None] = mapped_column(Text)  # why this version (amendments)
    reason: Mapped[str | None] = mapped_column(String(20))  # AMENDMENT_REASONS (amendments)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]

    def title(self, locale: str) -> str:
        return localised(self.titles, locale)

    def body(self, locale: str) -> str:
        return localised(self.bodies, locale)


class ItemReview(db.CountyKey, db.Base):
    """The review of a plan (PUB-2): secrecy review (basis, reviewer), necessity, accuracy."""

    __tablename__ = "item_reviews"
    __county_from__ = ("item_id", "items")

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id", ondelete="CASCADE"))
    secrecy_passed: Mapped[bool] = mapped_column(Boolean)
    secrecy_basis: Mapped[str] = mapped_column(Text)
    necessity_ok: Mapped[bool] = mapped_column(Boolean)
    accuracy_ok: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewer_label: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=db.utcnow)


class Attachment(db.CountyKey, db.Base):
    __tablename__ = "item_attachments"
    __county_from__ = ("item_id", "items")

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=db.utcnow)


OBJECTION_OUTCOMES = ("upheld", "dismissed")
"""What the unit found: the objection is well founded (the item is changed through its own
steps: amended, withheld or revoked) or not (dismissed with a reason)."""
OBJECTION_REMEDIES = ("amendment", "withholding", "revocation")
"""The item step an upheld objection leads to (PUB-7, PUB-6)."""


class Objection(db.CountyKey, db.Base):
    """An objection lodged against a notice during its period (no account needed), with its
    receipt number (the digest of its lookup code alone is kept) and, once the unit has handled
    it, what was checked and the outcome: upheld, leading to an amendment, withholding or
    revocation of the item, carried out by the item's own steps, or dismissed with a reason."""

    __tablename__ = "item_objections"
    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OBJECTION_OUTCOMES)}", name="outcome"),
        CheckConstraint(f"remedy IS NULL OR {_in('remedy', OBJECTION_REMEDIES)}", name="remedy"),
        UniqueConstraint("receipt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lodged_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    receipt: Mapped[str | None] = mapped_column(String(20))
    lookup_hash: Mapped[str | None] = mapped_column(String(64))
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(20))
    checked: Mapped[str | None] = mapped_column(Text)  # what the unit checked
    reason: Mapped[str | None] = mapped_column(Text)  # why dismissed, or what was found
    remedy: Mapped[str | None] = mapped_column(String(20))
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    lookup_code = None  # the lookup code, on the objection just lodged only (never stored)


class DisclosureFlag(db.CountyKey, db.Base):
    """A timeliness flag (SUP-2): an expected disclosure overdue, or an item published late."""

    __tablename__ = "disclosure_flags"
    __table_args__ = (
        UniqueConstraint("org_id", "entry_key", "period_key", "kind"),
        CheckConstraint("kind IN ('overdue', 'late')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    entry_key: Mapped[str] = mapped_column(String(60))
    period_key: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    due_on: Mapped[date] = mapped_column(Date)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    resolved_at: Mapped[datetime | None]


class ScheduledDisclosure(db.CountyKey, db.Base):
    """One expected disclosure of a unit (CAT-5) and the item that met it, if any: the schedule
    of the effective catalogue, kept in a table so that the compliance of a whole subtree is a
    few aggregate queries (:mod:`core.items.timeliness` keeps it: the timeliness sweep and the
    approval of a catalogue rebuild a unit's year, a publication fills its row at once).

    ``due_month`` is ``year * 100 + month`` of ``due_on`` (trends by month on any database);
    ``late``: met by an item published after ``due_on``."""

    __tablename__ = "scheduled_disclosures"
    __table_args__ = (
        UniqueConstraint("org_id", "entry_key", "period_key"),
        Index("ix_scheduled_disclosures_org_due", "org_id", "due_on"),
        # a subtree's figures of a period or of months, read from the index alone (compliance)
        Index("ix_scheduled_disclosures_due", "due_on", "org_id", "due_month", "item_id", "late"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    entry_key: Mapped[str] = mapped_column(String(60))
    period_key: Mapped[str] = mapped_column(String(20))
    cadence: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date] = mapped_column(Date)
    due_month: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    published_on: Mapped[date | None] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class NoticeCloseAttempt(db.CountyKey, db.Base):
    """Someone tried to close a notice (公示) before its period ended (PUB-5 refused it): kept
    although the attempt changed nothing (:func:`core.db.keep`), for the supervision (SUP-2)."""

    __tablename__ = "notice_close_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=db.utcnow)
    notice_ends_at: Mapped[datetime | None]


class ItemAudience(db.CountyKey, db.Base):
    """Who may see a ``specific`` item: named organisations (with their subtrees) or people."""

    __tablename__ = "item_audience"
    __county_from__ = ("item_id", "items")
    __table_args__ = (
        CheckConstraint("(org_id IS NULL) <> (user_id IS NULL)", name="one_target"),
        UniqueConstraint("item_id", "org_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
