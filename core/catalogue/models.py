"""Catalogue models.

A :class:`Catalogue` belongs to one organisation and is either a ``template`` (基本目录, kept by
a county or working committee for its subtree) or the ``unit``'s own catalogue. Its content lives
in numbered :class:`CatalogueVersion` s; a version holds a tree of :class:`Category` and the
:class:`Entry` s in them. Entries keep a stable ``key`` across versions (for diffs, the schedule
and items) and ``template_key`` names the template entry they derive from.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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
from core.i18n import localised
from tenants.models import Organisation

KINDS = ("template", "unit")
STATES = ("draft", "in_review", "submitted", "approved", "returned")
OPEN_STATES = ("draft", "in_review", "submitted", "returned")
SCOPES = ("public", "party_wide", "unit", "specific")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
"""Keys of categories and entries (and codes of plugin channels): stable across versions."""
CADENCES = ("standing", "monthly", "quarterly", "half_yearly", "yearly", "on_progress", "immediate")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Catalogue(db.CountyKey, db.Base):
    __tablename__ = "catalogues"
    __table_args__ = (
        UniqueConstraint("org_id", "kind"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")


class CatalogueVersion(db.CountyKey, db.Base):
    __tablename__ = "catalogue_versions"
    __table_args__ = (
        UniqueConstraint("catalogue_id", "number"),
        CheckConstraint(_in("state", STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("catalogues.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_versions.id"))
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_versions.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_comment: Mapped[str | None] = mapped_column(Text)

    catalogue: Mapped[Catalogue] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")

    @property
    def kind(self) -> str:
        return self.catalogue.kind

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def editable(self) -> bool:
        return self.state == "draft"


class Category(db.CountyKey, db.Base):
    __tablename__ = "catalogue_categories"
    __county_from__ = ("version_id", "catalogue_versions")
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_versions.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_categories.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(60))
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    code_2010: Mapped[str | None] = mapped_column(String(20))
    code_2017: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def title(self, locale: str) -> str:
        return localised(self.titles, locale)


class Entry(db.CountyKey, db.Base):
    __tablename__ = "catalogue_entries"
    __county_from__ = ("version_id", "catalogue_versions")
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        CheckConstraint(_in("scope", SCOPES), name="scope"),
        CheckConstraint(_in("cadence", CADENCES), name="cadence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_versions.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_categories.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(60))
    template_key: Mapped[str | None] = mapped_column(String(60))
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scope: Mapped[str] = mapped_column(String(20))
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    cadence: Mapped[str] = mapped_column(String(20))
    due_days: Mapped[int | None] = mapped_column(Integer)
    notice_days: Mapped[int | None] = mapped_column(Integer)
    responsible: Mapped[str] = mapped_column(String(200), default="")
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    item_type: Mapped[str | None] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def title(self, locale: str) -> str:
        return localised(self.titles, locale)

    def content_text(self, locale: str) -> str:
        return localised(self.content, locale)


CHANNEL_AUDIENCES = ("party", "society", "both")
"""Who a channel reaches (CAT-6): Party channels suit the Party scopes, society channels the
public one, ``both`` every scope."""


class CountyChannel(db.CountyKey, db.Base):
    """A channel of disclosure a hosted county adds to its units' list (CAT-6): a phone line,
    the local newspaper, a service guide (办事指南), a 阳光台 … beside the code list's and the
    plugins' channels. ``org_id`` is the county (the root of the tree); its code is unique in
    the county and takes no code of the code list or of a plugin. A retired channel
    (``active`` false) stays on the entries and items that chose it, with its name, but is no
    longer offered."""

    __tablename__ = "county_channels"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        CheckConstraint(_in("audience", CHANNEL_AUDIENCES), name="audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audience: Mapped[str] = mapped_column(String(20), default="both")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)

    @property
    def attributes(self) -> dict[str, str]:
        """Shaped like a code list entry's (``{"audience": ...}``)."""
        return {"audience": self.audience}

    def label(self, locale: str) -> str:
        return localised(self.labels, locale) or self.code
