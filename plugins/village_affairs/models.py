"""Tables of the village affairs plugin: the village committee and its members' declared close
relatives, the village affairs supervision committee (村务监督委员会), and its sign-offs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, CountyKey, utcnow

RELATIONS = ("spouse", "parent", "child", "sibling", "grandparent", "grandchild", "in_law")
"""Close relatives (近亲属) that bar a person from the supervision committee (VIL-3)."""
SUPERVISOR_ROLES = ("chair", "member")
END_REASONS = ("relative_of_committee_member",)
"""Why a seat on the supervision committee ended (VIL-3)."""


class CommitteeMember(CountyKey, Base):
    """A member of the village committee (村民委员会)."""

    __tablename__ = "village_affairs_committee_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Relative(CountyKey, Base):
    """A close relative declared by a village committee member."""

    __tablename__ = "village_affairs_relatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("village_affairs_committee_members.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(20))


class Supervisor(CountyKey, Base):
    """A member of the village affairs supervision committee. A seat that ended (``ended_at``)
    stays as the record of why: ``end_reason`` (one of :data:`END_REASONS`) and ``end_detail``
    (the committee member and the relation, for a relative)."""

    __tablename__ = "village_affairs_supervisors"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(20), default="member")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(40))
    end_detail: Mapped[dict[str, Any] | None] = mapped_column()


class SignOff(CountyKey, Base):
    """The supervision committee's sign-off of one version of an item (VIL-2)."""

    __tablename__ = "village_affairs_signoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column()
    supervisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("village_affairs_supervisors.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signer_name: Mapped[str] = mapped_column(String(100))
    opinion: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
