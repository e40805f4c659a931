"""The register (党务公开工作登记簿): one hash-chained, append-only list of entries per unit.

Every entry records one fact of ARC-1 (a publication, withholding, amendment, revocation, closure,
request decision or closed feedback) with its version, scope, channels, approvals, attachments,
time and actor. Entries of an organisation are numbered ``seq`` = 1, 2, 3 ... and chained: each
entry holds the hash of the one before (``prev_hash``; 64 zeros for the first), and its own hash
covers that. Changing, removing or reordering an entry breaks the chain at that entry or the
next one, which :func:`core.register.operations.verify` reports.

**Two formats of the hash** (column ``format``):

* format 1 (entries recorded before the public register existed)::

      hash = sha256(prev_hash + canonical JSON of every column of HASHED_FIELDS)

* format 2 (every entry since): an entry has a public part and a sealed part, so that anyone can
  check the chain from the outside without seeing what is not public::

      content  = canonical JSON of every column of CONTENT_FIELDS (the full record)
      sealed   = sha256(salt + content)          salt: 16 random bytes (hex), kept in the row
      hash     = sha256(canonical JSON of {"format": 2, "org_id", "seq", "prev_hash",
                                           "disclosed", "sealed"})

  ``disclosed`` is what the unit publishes about the entry, fixed when it is recorded (None for
  an entry that is not public): its action, object, version and time, and the public details the
  writer names (a public item's titles, its published explanation...; never a person's name or
  an internal reason). The public register (``/o/<code>/register``) shows every entry's ``seq``,
  ``prev_hash``, ``sealed`` and ``hash``, and the ``disclosed`` part of the public ones. From
  that an outsider recomputes every hash and follows the whole chain, public entries and
  non-public ones alike, without learning anything of the non-public content: the salt makes
  ``sealed`` a commitment that cannot be guessed from a short text (a name, an outcome code).
  Whoever edits a row — a public or a non-public one — changes what the public page computes
  for it, and the outside verifier names the entry. Format 1 entries are opaque from outside
  (their hash covers the full record): only :func:`core.register.operations.verify` checks them.

**The head** (:class:`RegisterHead`): per unit, the number of entries and the last hash, updated
in the transaction that appends. An intact but shorter chain (the last entries deleted, or all
of them) no longer matches its head, which ``verify`` reports; appending continues from the head,
so a truncation stays visible after later entries.

**Signed checkpoints** (:class:`RegisterCheckpoint`): once a day (a sweep) and on demand
(``gongkai register checkpoint``) each unit's head is signed with the deployment's Ed25519 key
(:mod:`core.register.signing`); the public keys, current and retired, are published at
``/.well-known/gongkai-register-keys.json``. A checkpoint fixes the chain up to its ``seq``: a
rewrite of the chain (even with recomputed hashes, or the head table rewritten with it) no
longer matches a checkpoint that was signed, listed and kept by outsiders.

Retention (ARC-2): the application never updates or deletes an entry, and the database refuses
it too (triggers created by the migrations, on SQLite and on PostgreSQL):

* UPDATE of an entry or a checkpoint is always refused; a head may only move forward;
* DELETE (and TRUNCATE on PostgreSQL) of entries, heads, checkpoints and keys is refused unless
  the transaction has lifted the guard with :func:`purge_allowed` (the custom setting
  ``gongkai.allow_purge`` = ``on``); archiving past the retention years and emptying a test
  database use it.

Whoever controls the database can still drop a trigger: the triggers stop mistakes and casual
edits; the chain, the head and the signed checkpoints are what make tampering evident. A SQLite
batch migration that rebuilds one of these tables drops its triggers and must create them again.

There is no ``actor_id`` column: a foreign key to ``users`` with ``ON DELETE SET NULL`` would be an
update of the entry; ``actor_label`` keeps who it was.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
"""The columns a format 1 hash covers (every column the table had then but ``id`` and ``hash``)."""

CONTENT_FIELDS = tuple(name for name in HASHED_FIELDS if name != "prev_hash")
"""The full record of an entry: what a format 2 entry's ``sealed`` digest covers."""

CURRENT_FORMAT = 2
ENVELOPE_FIELDS = ("format", "org_id", "seq", "prev_hash", "disclosed", "sealed")
"""What a format 2 hash covers: every field the public register shows for any entry."""

PURGE_SETTING = "gongkai.allow_purge"


class RegisterEntry(db.CountyKey, db.Base):
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
    # format 2 (see the module's docstring): the public part and the salt of the sealed part
    format: Mapped[int] = mapped_column(SmallInteger, default=CURRENT_FORMAT, server_default="1")
    salt: Mapped[str | None] = mapped_column(String(32))
    disclosed: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<RegisterEntry org={self.org_id} seq={self.seq} {self.action}>"


class RegisterHead(db.CountyKey, db.Base):
    """The head of a unit's chain: how many entries it has and the hash of the last one."""

    __tablename__ = "register_heads"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
    )
    entry_count: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    last_recorded_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RegisterKey(db.Base):
    """A public key the deployment signs (or signed) checkpoints with; never deleted."""

    __tablename__ = "register_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(20), default="Ed25519")
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, base64url
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class RegisterCheckpoint(db.CountyKey, db.Base):
    """A unit's head (``seq`` entries, the last one's hash) signed at ``signed_at``."""

    __tablename__ = "register_checkpoints"
    __table_args__ = (Index("ix_register_checkpoints_org_signed", "org_id", "signed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    org_code: Mapped[str] = mapped_column(String(63))  # as it was when signed (it is signed)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(100))  # 64 bytes, base64url

    def payload(self) -> dict[str, Any]:
        return checkpoint_payload(
            org_code=self.org_code,
            org_id=self.org_id,
            seq=self.seq,
            head_hash=self.head_hash,
            signed_at=self.signed_at,
            key_id=self.key_id,
        )


CHECKPOINT_TYPE = "gongkai-register-checkpoint"


def checkpoint_payload(
    *, org_code: str, org_id: int, seq: int, head_hash: str, signed_at: Any, key_id: str
) -> dict[str, Any]:
    """What a checkpoint's signature covers (as canonical JSON, UTF-8)."""
    return plain(
        {
            "type": CHECKPOINT_TYPE,
            "org": org_code,
            "org_id": org_id,
            "seq": seq,
            "hash": head_hash,
            "signed_at": signed_at,
            "key_id": key_id,
        }
    )


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


def _get(fields: Any, name: str, default: Any = None) -> Any:
    if isinstance(fields, Mapping):
        return fields.get(name, default)
    return getattr(fields, name, default)


def _sha256(text_: str) -> str:
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def sealed_digest(fields: Any) -> str:
    """The digest of a format 2 entry's full record with its salt (what the public page shows
    for every entry in place of what it may not show)."""
    content = {name: _get(fields, name) for name in CONTENT_FIELDS}
    return _sha256((_get(fields, "salt") or "") + canonical_json(content))


def envelope_hash(envelope: Mapping[str, Any]) -> str:
    """The hash of a format 2 entry from its public envelope (:data:`ENVELOPE_FIELDS`): what the
    outside verifier computes from the public register alone."""
    return _sha256(canonical_json({name: envelope.get(name) for name in ENVELOPE_FIELDS}))


def entry_hash(fields: Any) -> str:
    """The hash of an entry, from an object (entry, row) or a mapping of its columns."""
    if (_get(fields, "format") or 1) == 1:
        payload = {name: _get(fields, name) for name in HASHED_FIELDS}
        return _sha256(payload["prev_hash"] + canonical_json(payload))
    envelope = {name: _get(fields, name) for name in ENVELOPE_FIELDS if name != "sealed"}
    envelope["sealed"] = sealed_digest(fields)
    return envelope_hash(envelope)


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
