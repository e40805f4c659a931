"""The tables of 三重一大: meetings, decisions (matters) and the enterprise's item lists."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, CountyKey, UTCDateTime, utcnow

BODIES = ("party_committee", "board", "gm_office")
"""Deciding bodies: 党委会, 董事会, 总经理办公会."""
MEETING_TYPES = ("regular", "extraordinary")
CATEGORIES = ("major_decision", "appointment", "major_project", "large_funds")
"""SOE-1: 重大决策, 重要干部任免, 重大项目安排, 大额度资金运作."""
OPINIONS = ("agree", "disagree", "abstain")
STUDY_REQUIRED = ("major_decision", "appointment")
"""Categories that the Party committee studies first when another body decides (SOE-3)."""


class Meeting(CountyKey, Base):
    """One meeting of a deciding body, with its record (SOE-6)."""

    __tablename__ = "three_important_meetings"
    __table_args__ = (UniqueConstraint("org_id", "body", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    body: Mapped[str] = mapped_column(String(40))
    meeting_type: Mapped[str] = mapped_column(String(20), default="regular")
    mode: Mapped[str] = mapped_column(String(20), default="meeting")
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(200))
    chair: Mapped[str] = mapped_column(String(100))
    expected_members: Mapped[list[str]] = mapped_column(JSON, default=list)
    present_members: Mapped[list[str]] = mapped_column(JSON, default=list)
    absentees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)
    note_taker: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def minutes_no(self) -> str:
        """The minutes number: body, year and the annual sequence (SOE-6)."""
        return f"{self.body}-{self.year}-{self.number:03d}"


class Decision(CountyKey, Base):
    """One matter decided (or, in an emergency, by one person, SOE-7)."""

    __tablename__ = "three_important_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("three_important_meetings.id"), nullable=True, index=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=1)
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    opinions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decision_text: Mapped[str] = mapped_column(Text, default="")
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    dissent: Mapped[bool] = mapped_column(Boolean, default=False)
    study_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("three_important_meetings.id"), nullable=True
    )
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ratified_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("three_important_meetings.id"), nullable=True
    )
    ratification_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def taken_in_meeting(self) -> bool:
        """Decided in a meeting, or an emergency decision ratified at a later one (SOE-3/7)."""
        return self.meeting_id is not None or self.ratified_meeting_id is not None


class ItemList(CountyKey, Base):
    """A version of the enterprise's 三重一大 item list with money thresholds (SOE-2)."""

    __tablename__ = "three_important_item_lists"
    __table_args__ = (UniqueConstraint("org_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    thresholds: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    approved_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


CATEGORY_LABELS = {
    "major_decision": {"zh_Hans_CN": "重大决策", "en": "Major decision", "ug": "زور قارار"},
    "appointment": {
        "zh_Hans_CN": "重要干部任免",
        "en": "Important appointment or removal",
        "ug": "مۇھىم كادىر تەيىنلەش ۋە ئېلىپ تاشلاش",
    },
    "major_project": {
        "zh_Hans_CN": "重大项目安排",
        "en": "Major project",
        "ug": "زور تۈر ئورۇنلاشتۇرۇش",
    },
    "large_funds": {
        "zh_Hans_CN": "大额度资金运作",
        "en": "Large-sum funds",
        "ug": "زور سوممىلىق مەبلەغ ئىشلىتىش",
    },
}
