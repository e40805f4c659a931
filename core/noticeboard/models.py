"""One :class:`BoardPosting` per time a unit put its printed board up, with the photo of it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import db
from tenants.models import Organisation, User

NOTE_MAX = 500


class BoardPosting(db.CountyKey, db.Base):
    __tablename__ = "board_postings"
    __table_args__ = (Index("ix_board_postings_org_posted", "org_id", "posted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    posted_on: Mapped[date] = mapped_column(Date)  # the day the board was put up
    edition: Mapped[datetime | None]  # the printed board's edition (its print date), if known
    note: Mapped[str | None] = mapped_column(Text)
    # the photo: re-encoded without metadata (core.images.clean), kept in core.storage
    photo_key: Mapped[str] = mapped_column(String(200))
    photo_type: Mapped[str] = mapped_column(String(40))
    photo_width: Mapped[int] = mapped_column(Integer)
    photo_height: Mapped[int] = mapped_column(Integer)
    photo_size: Mapped[int] = mapped_column(Integer)
    photo_sha256: Mapped[str] = mapped_column(String(64))
    # the day the camera wrote (EXIF, its own clock, no zone), read before the metadata went
    photo_taken_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=db.utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="joined")
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
