"""The register (党务公开工作登记簿): one hash-chained, append-only list of entries per unit.

Every entry records one fact of ARC-1 (a publication, withholding, amendment, revocation, closure,
request decision or closed feedback) with its version, scope, channels, approvals, attachments,
time and actor. Entries of an organisation are numbered ``seq`` = 1, 2, 3 ... and chained::

    hash = sha256(prev_hash + canonical JSON of every column except id and hash)

the first entry's ``prev_hash`` being 64 zeros (:func:`entry_hash`). Changing, removing or
reordering an entry breaks the chain at that entry or the next one, which
:func:`core.register.operations.verify` reports.

Retention (ARC-2): the application never updates or deletes an entry, and the database refuses
it too (triggers created by the migration, on SQLite and on PostgreSQL):

* UPDATE is always refused;
* DELETE (and TRUNCATE on PostgreSQL) is refused unless the transaction has lifted the guard
  with :func:`purge_allowed` (the custom setting ``gongkai.allow_purge`` = ``on``); archiving
  past the retention years and emptying a test database use it.

Whoever controls the database can still drop a trigger: the triggers stop mistakes and casual
edits; the chain is what makes tampering evident. A SQLite batch migration that rebuilds this
table drops its triggers and must create them again.

There is no ``actor_id`` column: a foreign key to ``users`` with ``ON DELETE SET NULL`` would be an
update of the entry; ``actor_label`` keeps who it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core import db

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of an organisation's first entry."""

HASHED_FIELDS = (
    "org_id",
    "seq",
    "recorded_at",
    "year",
    "action",
    "object_type",
    "object_id",
    "object_version",
    "title",
    "scope",
    "channels",
    "approvals",
    "attachments",
    "actor_label",
    "data",
    "prev_hash",
)
"""Every column but ``id`` and ``hash``: what an entry's hash covers."""

PURGE_SETTING = "gongkai.allow_purge"


class RegisterEntry(db.Base):
    __tablename__ = "register_entries"
    __table_args__ = (
        UniqueConstraint("org_id", "seq"),
        Index("ix_register_entries_org_year", "org_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime]
    # the year of recorded_at in the organisation's timezone (export and archiving per year)
    year: Mapped[int] = mapped_column(Integer)
    # publish | withhold | amend | revoke | close | request_decision | feedback_closed | ...
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60))
    object_version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str | None] = mapped_column(String(20))
    channels: Mapped[list[str]] = mapped_column(default=list)
    # [{"step": "review", "by": "李四", "at": "2026-03-01T02:00:00.000000Z"}, ...]
    approvals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"name": "决议.pdf", "sha256": "..."}, ...]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<RegisterEntry org={self.org_id} seq={self.seq} {self.action}>"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a register entry")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} cannot go into a register entry")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text as is, datetimes as ISO 8601 UTC (``...Z``)."""
    return json.dumps(
        value,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_json_default,
    )


def plain(value: Any) -> Any:
    """``value`` as JSON gives it back (datetimes become ISO strings): what is stored is hashed."""
    return json.loads(canonical_json(value))


def entry_hash(fields: Any) -> str:
    """The hash of an entry, from an object (entry, row) or a mapping with :data:`HASHED_FIELDS`."""
    if isinstance(fields, Mapping):
        payload = {name: fields[name] for name in HASHED_FIELDS}
    else:
        payload = {name: getattr(fields, name) for name in HASHED_FIELDS}
    text_ = payload["prev_hash"] + canonical_json(payload)
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


@contextmanager
def purge_allowed() -> Iterator[None]:
    """Lift the database's DELETE guard on register entries for the current transaction.

    For archiving past the retention years and for emptying a test database; nothing else
    deletes entries. PostgreSQL resets the setting at the end of the transaction by itself;
    SQLite's emulation (core.db) is per connection, so it is reset here in any case.
    """
    set_flag = text("SELECT set_config(:name, :value, true)")
    db.session.execute(set_flag, {"name": PURGE_SETTING, "value": "on"})
    failed = True
    try:
        yield
        failed = False
    finally:
        # a failed PostgreSQL transaction refuses statements until its rollback, which resets
        if not failed or db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(set_flag, {"name": PURGE_SETTING, "value": "off"})
