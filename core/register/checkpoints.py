"""Signed checkpoints of the register: each unit's head, signed with the deployment's key.

* :func:`sign` (on demand: ``gongkai register checkpoint``) signs a unit's head unless its
  latest checkpoint already covers it;
* :func:`sign_due` (the daily sweep, run every hour by :mod:`core.register.jobs`) signs every
  unit whose head moved since its latest checkpoint, at most once a day per unit
  (:data:`DAILY`): a unit that records nothing gets no new checkpoint;
* :func:`current_key` records the deployment's public key the first time it signs and retires
  the previous one (key rotation, :mod:`core.register.signing`).

Checkpoints and keys are written here and nowhere else (flushed, never committed); the tables
refuse updates and deletions like the entries (see :mod:`core.register.models`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core import audit, db
from core.errors import UserError
from core.register import signing
from core.register.models import RegisterCheckpoint, RegisterHead, RegisterKey
from tenants.models import Organisation

log = logging.getLogger(__name__)

DAILY = timedelta(hours=23)
"""A unit's next scheduled checkpoint comes this long after its latest one at the earliest (the
hourly sweep then signs it within the hour of a day having passed)."""


class NoSigningKey(UserError):
    """Production without ``GONGKAI_REGISTER_SIGNING_KEY``: nothing can be signed."""


def current_key(now: datetime | None = None) -> tuple[Any, RegisterKey]:
    """``(private key, its RegisterKey row)``; records a new key and retires the others."""
    try:
        private = signing.load_private_key()
    except signing.SigningKeyError as exc:
        raise NoSigningKey(str(exc)) from exc
    if private is None:
        raise NoSigningKey(
            f"No key to sign register checkpoints with: set {signing.ENV} "
            "(`gongkai register keygen` makes one)."
        )
    now = now or db.utcnow()
    raw = signing.public_raw(private)
    kid = signing.key_id(raw)
    row = db.session.get(RegisterKey, kid)
    if row is None:
        row = RegisterKey(
            key_id=kid,
            algorithm=signing.ALGORITHM,
            public_key=signing.b64url(raw),
            created_at=now,
        )
        db.session.add(row)
        audit.log("register.key_added", "register_key", kid, changes={"key_id": [None, kid]})
    elif row.retired_at is not None:
        raise NoSigningKey(
            f"The signing key {kid} was retired on {row.retired_at:%Y-%m-%d}: "
            f"a retired key never signs again; set a new {signing.ENV}."
        )
    others = db.session.scalars(
        select(RegisterKey).where(RegisterKey.key_id != kid, RegisterKey.retired_at.is_(None))
    )
    for other in others:
        other.retired_at = now
        audit.log(
            "register.key_retired",
            "register_key",
            other.key_id,
            changes={"retired_at": [None, now.isoformat()], "replaced_by": [None, kid]},
        )
    db.session.flush()
    return private, row


def latest(org: Organisation) -> RegisterCheckpoint | None:
    return db.session.scalar(
        select(RegisterCheckpoint)
        .where(RegisterCheckpoint.org_id == org.id)
        .order_by(RegisterCheckpoint.signed_at.desc(), RegisterCheckpoint.id.desc())
        .limit(1)
    )


def _sign_head(org: Organisation, head: RegisterHead, key, key_row, now) -> RegisterCheckpoint:
    checkpoint = RegisterCheckpoint(
        org_id=org.id,
        org_code=org.code,
        seq=head.entry_count,
        head_hash=head.last_hash,
        signed_at=now,
        key_id=key_row.key_id,
        signature="",
    )
    checkpoint.signature = signing.sign(key, checkpoint.payload())
    db.session.add(checkpoint)
    return checkpoint


def sign(org: Organisation, *, now: datetime | None = None) -> RegisterCheckpoint | None:
    """Sign ``org``'s head now; None when it has no entries or its latest checkpoint covers it."""
    head = db.session.get(RegisterHead, org.id)
    if head is None:
        return None
    last = latest(org)
    if last is not None and (last.seq, last.head_hash) == (head.entry_count, head.last_hash):
        return None
    now = now or db.utcnow()
    if last is not None and last.signed_at > now:
        now = last.signed_at  # a clock that went back: checkpoints never do
    key, key_row = current_key(now)
    checkpoint = _sign_head(org, head, key, key_row, now)
    db.session.flush()
    return checkpoint


def due(now: datetime) -> list[tuple[Organisation, RegisterHead]]:
    """Units whose head moved since their latest checkpoint signed at least a day ago (or that
    have none): two statements whatever the number of units."""
    newest = (
        select(RegisterCheckpoint.org_id, func.max(RegisterCheckpoint.id).label("id"))
        .group_by(RegisterCheckpoint.org_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Organisation, RegisterHead, RegisterCheckpoint)
        .join(RegisterHead, RegisterHead.org_id == Organisation.id)
        .outerjoin(newest, newest.c.org_id == Organisation.id)
        .outerjoin(RegisterCheckpoint, RegisterCheckpoint.id == newest.c.id)
        .order_by(Organisation.id)
    ).all()
    found = []
    for org, head, last in rows:
        moved = last is None or (last.seq, last.head_hash) != (head.entry_count, head.last_hash)
        if moved and (last is None or last.signed_at <= now - DAILY):
            found.append((org, head))
    return found


def sign_due(*, now: datetime | None = None) -> int:
    """The daily checkpoints (the sweep): how many were signed. Without a key (production
    without the variable) it logs a warning and signs nothing."""
    now = now or db.utcnow()
    todo = due(now)
    if not todo:
        return 0
    try:
        key, key_row = current_key(now)
    except NoSigningKey as exc:
        log.warning("register checkpoints not signed: %s", exc)
        return 0
    for org, head in todo:
        _sign_head(org, head, key, key_row, now)
    db.session.flush()
    return len(todo)


def sign_all(*, now: datetime | None = None) -> list[RegisterCheckpoint]:
    """On demand, every unit: sign each head that its latest checkpoint does not cover."""
    now = now or db.utcnow()
    signed = []
    heads = db.session.scalars(select(RegisterHead).order_by(RegisterHead.org_id)).all()
    orgs = {
        o.id: o
        for o in db.session.scalars(
            select(Organisation).where(Organisation.id.in_([h.org_id for h in heads]))
        )
    }
    for head in heads:
        checkpoint = sign(orgs[head.org_id], now=now)
        if checkpoint is not None:
            signed.append(checkpoint)
    return signed


def checkpoints(
    org: Organisation, *, after: int = 0, limit: int = 1000
) -> list[RegisterCheckpoint]:
    """``org``'s checkpoints, oldest first, with an id above ``after``."""
    return list(
        db.session.scalars(
            select(RegisterCheckpoint)
            .where(RegisterCheckpoint.org_id == org.id, RegisterCheckpoint.id > after)
            .order_by(RegisterCheckpoint.id)
            .limit(limit)
        )
    )


def signing_keys() -> list[RegisterKey]:
    """Every key that ever signed, the current one first."""
    rows = db.session.scalars(select(RegisterKey).order_by(RegisterKey.created_at.desc()))
    return sorted(rows, key=lambda k: k.retired_at is not None)
