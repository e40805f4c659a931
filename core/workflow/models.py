from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core import db


class WorkflowStep(db.CountyKey, db.Base):
    """One transition run on one object: who, when, from, to, with which inputs."""

    __tablename__ = "workflow_steps"
    __table_args__ = (Index("ix_workflow_steps_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[int]
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    transition: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=db.utcnow)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
