"""The audit log: who did what to which object, with a field-level diff.

Kernel module (imports only :mod:`core.db`). Operations call :func:`log`; nothing else writes
audit entries. Entries are never updated or deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core import db


class AuditEntry(db.CountyKey, db.Base):
    __tablename__ = "audit_entries"
    __county_optional__ = True
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=db.utcnow, index=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes ``{field: [old, new]}`` between two plain dicts."""
    keys = before.keys() | after.keys()
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def log(
    action: str,
    obj_type: str,
    obj_id: Any,
    *,
    org_id: int | None = None,
    actor: Any = None,
    changes: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append an audit entry to the current unit of work (committed with it)."""
    actor_id = getattr(actor, "id", None)
    label = getattr(actor, "username", None) or ("system" if actor is None else str(actor))
    entry = AuditEntry(
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        org_id=org_id,
        actor_id=actor_id,
        actor_label=label,
        changes=changes or {},
        ip=ip,
    )
    db.session.add(entry)
    return entry
