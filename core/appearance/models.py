"""One :class:`CountyAppearance` per hosted county that has set its branding: the display name
per language, the emblem (re-encoded, kept in :mod:`core.storage`) and two colours. Every page of
the county's subtree shows them (:mod:`core.appearance.public`)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core import db

NAME_MAX = 60
"""Characters of a display name (it stands in the header beside the emblem)."""


class CountyAppearance(db.CountyKey, db.Base):
    __tablename__ = "county_appearances"

    id: Mapped[int] = mapped_column(primary_key=True)
    # the county (a root organisation); its units inherit what it sets
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    # {"zh_Hans_CN": "…", "en": "…", "ug": "…"}: a language left out shows the county's name
    display_names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    primary_colour: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb": the header
    accent_colour: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb": links
    # the emblem: re-encoded without metadata (core.images.clean), kept in core.storage; its
    # key and digest are named like the other stored files' so that `gongkai county export`
    # carries the file
    storage_key: Mapped[str | None] = mapped_column(String(200))
    emblem_type: Mapped[str | None] = mapped_column(String(40))
    emblem_width: Mapped[int | None] = mapped_column(Integer)
    emblem_height: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)

    def display_name(self, locale: str) -> str | None:
        """The display name in ``locale``; None when the county set none in it."""
        return (self.display_names or {}).get(locale) or None

    @property
    def has_colours(self) -> bool:
        return bool(self.primary_colour or self.accent_colour)

    def version(self) -> str:
        """What the stylesheet and the header depend on, as a short tag (its ETag)."""
        text = "|".join([self.primary_colour or "", self.accent_colour or "", self.sha256 or ""])
        return hashlib.sha256(text.encode()).hexdigest()[:16]
