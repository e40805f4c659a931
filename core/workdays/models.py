"""The working-day calendar as data: loaded years, their special days, missing-year alerts.

Platform-wide tables (no ``org_id``): the official calendar is the same for every tenant.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core import db

SOURCES = ("chinese-calendar", "import", "manual")
"""Where a year came from: the package, a file (``gongkai calendar import``), the console."""
KINDS = ("holiday", "workday")
"""``holiday``: a weekday off; ``workday``: a Saturday or Sunday worked (调休)."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class WorkdayYear(db.Base):
    """A loaded year: its special days are in :class:`SpecialDay` (none is a valid answer)."""

    __tablename__ = "workday_years"
    __table_args__ = (
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint("year BETWEEN 1900 AND 2999", name="year_range"),
    )

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    loaded_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # who loaded it, as the audit log names people ("system" for seeding and sweeps)
    loaded_by: Mapped[str] = mapped_column(String(200), default="")

    def __repr__(self) -> str:
        return f"<WorkdayYear {self.year} {self.source}>"


class SpecialDay(db.Base):
    """A day that breaks the Monday-to-Friday rule in a loaded year."""

    __tablename__ = "workday_special_days"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("source", SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("workday_years.year", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    # the official (Chinese) name, e.g. 国庆节; for a make-up working day, the holiday it serves
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<SpecialDay {self.day} {self.kind} {self.name}>"


class MissingYear(db.Base):
    """A year a computation reached before it was loaded, and the day the admins were told."""

    __tablename__ = "workday_missing_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    alerted_on: Mapped[date] = mapped_column(Date)
