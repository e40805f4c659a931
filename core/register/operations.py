"""Appending to the register, verifying its chains, reading and exporting a year.

:func:`append` is the register's one writer: the items, requests and feedback operations call it
inside their own unit of work (it flushes, never commits).

What :func:`verify` can and cannot see, entry by entry in ``seq`` order per organisation:

* an **edited** entry: its content no longer gives its hash;
* a **deleted** entry: a gap in ``seq`` (and seq 1 must be there);
* a **replaced, inserted or reordered** entry: its ``prev_hash`` is not the hash of the entry
  before it, or it has a lower id or an earlier time than the entry before it (ids and times grow
  with ``seq``: :func:`append` locks the organisation and never lets time go backwards);
* a **removed tail** (the last entries deleted, or all of them): the chain no longer ends where
  the unit's head (:class:`~core.register.models.RegisterHead`, written in the transaction of
  every append) says it does;
* not seen here: a **rewrite of everything from some entry on** with recomputed hashes and the
  head rewritten to match, since the chain has no secret. The signed checkpoints
  (:mod:`core.register.checkpoints`) are the anchor that shows it: the outside verifier
  (:mod:`core.register.remote`) compares the public register with every checkpoint, and with what
  it saw on its previous run. The yearly export lists every entry's hash too.

When archiving comes to delete entries past the retention years, it must leave a checkpoint
(the seq and hash of the last deleted entry) to start verification from; until then a chain
must start at seq 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext
from sqlalchemy import distinct, func, select

from core import db, localtime, spreadsheets, text
from core.i18n import _
from core.register.models import (
    CURRENT_FORMAT,
    GENESIS_HASH,
    RegisterEntry,
    RegisterHead,
    entry_hash,
    new_salt,
    plain,
)
from tenants.models import Organisation

ACTIONS = {
    "publish": _("Published"),
    "withhold": _("Withheld"),
    "amend": _("Amended"),
    "revoke": _("Revoked"),
    "close": _("Closed"),
    "request_decision": _("Request decided"),
    "feedback_closed": _("Feedback closed"),
    "widen": _("Opened to the public"),
}
"""The actions of ARC-1 with their labels; plugins may append others (same code pattern)."""

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_.]{0,59}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
local_zone = localtime.zone


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor[:200]
    username = getattr(actor, "username", None)
    if not username:
        return str(actor)[:200]
    name = getattr(actor, "display_name", None)
    return (f"{name} ({username})" if name and name != username else username)[:200]


def _approvals(approvals: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for approval in approvals:
        if not isinstance(approval, Mapping) or not approval.get("step"):
            raise ValueError(f"an approval needs at least a step: {approval!r}")
        result.append(plain(dict(approval)))
    return result


def _attachments(attachments: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for attachment in attachments:
        if not isinstance(attachment, Mapping) or not attachment.get("name"):
            raise ValueError(f"an attachment needs a name: {attachment!r}")
        if not SHA256_PATTERN.match(str(attachment.get("sha256", ""))):
            raise ValueError(f"an attachment needs its sha256 (64 lowercase hex): {attachment!r}")
        result.append(plain(dict(attachment)))
    return result


def _lock(org: Organisation) -> None:
    """Serialise appends per organisation until the end of the transaction.

    PostgreSQL: a row lock on the organisation (``FOR NO KEY UPDATE``: it does not block the
    inserts of other tables that reference the organisation). SQLite has one writer at a time;
    a second transaction that read the same last entry fails to write (busy or the unique
    constraint on (org_id, seq)) instead of writing a second entry with the same seq.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(Organisation.id).where(Organisation.id == org.id).with_for_update(key_share=True)
        )


def append(
    org: Organisation,
    action: str,
    *,
    object_type: str,
    object_id: Any,
    title: str,
    object_version: int | None = None,
    scope: str | None = None,
    channels: Sequence[str] = (),
    approvals: Iterable[Mapping[str, Any]] = (),
    attachments: Iterable[Mapping[str, Any]] = (),
    data: Mapping[str, Any] | None = None,
    actor: Any = None,
    public: Mapping[str, Any] | None = None,
) -> RegisterEntry:
    """Add the next register entry of ``org`` to the current unit of work (flushed, not committed).

    ``approvals``: ``[{"step", "by", "at"}, ...]`` (``at`` a datetime or ISO text);
    ``attachments``: ``[{"name", "sha256"}, ...]``; ``data``: further facts (JSON values);
    ``actor``: a user, a label, or None for the system. Datetimes inside are stored as ISO 8601 UTC.
    ``public``: None for an entry that is not public; else the details the public register shows
    (JSON values, e.g. ``{"titles": {...}, "explanation": ...}``), to which the entry's action,
    object, version and time are added: the entry's ``disclosed`` part, fixed by its hash.
    Never put a person's name, contact or an internal reason there.
    """
    if not ACTION_PATTERN.match(action or ""):
        raise ValueError(f"not a register action: {action!r}")
    if not object_type or len(object_type) > 60:
        raise ValueError(f"not an object type: {object_type!r}")
    object_id = str(object_id)
    if not object_id or len(object_id) > 60:
        raise ValueError(f"not an object id: {object_id!r}")
    if scope is not None and len(scope) > 20:
        raise ValueError(f"not a scope: {scope!r}")
    if isinstance(channels, str):
        raise ValueError("channels is a list of channel codes")
    if public is not None and not isinstance(public, Mapping):
        raise ValueError("public is a mapping of the details the public register shows")
    fields = {
        "object_version": None if object_version is None else int(object_version),
        "channels": [str(c) for c in channels],
        "approvals": text.clean_values(_approvals(approvals)),
        "attachments": text.clean_values(_attachments(attachments)),
        "data": plain(text.clean_values(dict(data or {}))),
        "actor_label": text.clean(_actor_label(actor)),
    }

    _lock(org)
    head = db.session.get(RegisterHead, org.id, populate_existing=True)
    if head is None:
        # no head yet: the unit's first entry (or a head lost before the migration made them)
        last = db.session.execute(
            select(RegisterEntry.seq, RegisterEntry.hash, RegisterEntry.recorded_at)
            .where(RegisterEntry.org_id == org.id)
            .order_by(RegisterEntry.seq.desc())
            .limit(1)
        ).first()
        count, last_hash, last_at = (
            (last.seq, last.hash, last.recorded_at) if last else (0, GENESIS_HASH, None)
        )
    else:
        # continue from the head, not from the last row: a removed tail stays a visible gap
        count, last_hash, last_at = head.entry_count, head.last_hash, head.last_recorded_at
    now = db.utcnow()
    if last_at is not None and last_at > now:
        now = last_at  # another server's clock ran ahead: time never goes back in a chain
    entry = RegisterEntry(
        org_id=org.id,
        seq=count + 1,
        recorded_at=now,
        year=now.astimezone(local_zone(org)).year,
        action=action,
        object_type=object_type,
        object_id=object_id,
        title=text.clean(str(title or "")),
        scope=scope,
        prev_hash=last_hash,
        format=CURRENT_FORMAT,
        salt=new_salt(),
        **fields,
    )
    if public is not None:
        entry.disclosed = plain(
            {
                **text.clean_values(dict(public)),
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "object_version": fields["object_version"],
                "recorded_at": now,
            }
        )
    entry.hash = entry_hash(entry)
    db.session.add(entry)
    if head is None:
        head = RegisterHead(org_id=org.id)
        db.session.add(head)
    head.entry_count, head.last_hash = entry.seq, entry.hash
    head.last_recorded_at, head.updated_at = now, db.utcnow()
    db.session.flush()
    return entry


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One finding of :func:`verify`, naming the organisation, the seq and the entry id."""

    org_code: str
    seq: int
    entry_id: int | None  # None: the entry is missing
    kind: str  # edited | missing | chain | order | truncated | head
    detail: str

    def __str__(self) -> str:
        entry = f" (entry {self.entry_id})" if self.entry_id is not None else ""
        return f"{self.org_code} seq {self.seq}{entry}: {self.kind}: {self.detail}"


def _check(row: Any, prev: Any | None) -> list[Problem]:
    problems = []
    here = (row.org_code, row.seq, row.id)
    if entry_hash(row) != row.hash:
        problems.append(
            Problem(*here, "edited", "its content does not give its hash: changed after recording")
        )
    expected = prev.seq + 1 if prev is not None else 1
    if row.seq > expected:
        gap = f"seq {expected}" if row.seq == expected + 1 else f"seq {expected} to {row.seq - 1}"
        after = f" after seq {prev.seq} (entry {prev.id})" if prev is not None else ""
        problems.append(
            Problem(
                row.org_code,
                expected,
                None,
                "missing",
                f"{gap} deleted: no entry{after} before seq {row.seq} (entry {row.id})",
            )
        )
    elif row.prev_hash != (prev.hash if prev is not None else GENESIS_HASH):
        target = (
            f"the hash of seq {prev.seq} (entry {prev.id})"
            if prev is not None
            else "the start of a chain"
        )
        problems.append(
            Problem(
                *here,
                "chain",
                f"its prev_hash is not {target}: an entry was replaced, inserted or reordered",
            )
        )
    if prev is not None and (row.id < prev.id or row.recorded_at < prev.recorded_at):
        what = "a lower id" if row.id < prev.id else "an earlier time"
        problems.append(
            Problem(
                *here,
                "order",
                f"it has {what} than seq {prev.seq} (entry {prev.id}): inserted or reordered",
            )
        )
    return problems


def _heads(org: Organisation | None) -> dict[int, Any]:
    query = select(
        RegisterHead.org_id,
        RegisterHead.entry_count,
        RegisterHead.last_hash,
        Organisation.code.label("org_code"),
    ).join(Organisation, Organisation.id == RegisterHead.org_id)
    if org is not None:
        query = query.where(RegisterHead.org_id == org.id)
    return {row.org_id: row for row in db.session.execute(query)}


def _head_finding(last: Any | None, head: Any | None) -> tuple[int, int | None, str, str] | None:
    """``(seq, entry id, kind, detail)`` when the end of a unit's chain (``last``: its last row)
    does not match the unit's head (either may be None)."""
    if head is None:
        if last is None:
            return None
        return last.seq, last.id, "head", "the unit has entries but no head: its head was removed"
    count = head.entry_count
    if last is None:
        return (
            1,
            None,
            "truncated",
            (f"all {count} entries removed: the unit's head says it has {count} and none is left"),
        )
    if last.seq < count:
        gap = f"seq {count}" if last.seq + 1 == count else f"seq {last.seq + 1} to {count}"
        return (
            last.seq + 1,
            None,
            "truncated",
            (
                f"{gap} removed: the unit's head says it has {count} entries, the chain ends at "
                f"seq {last.seq} (entry {last.id})"
            ),
        )
    if last.seq > count:
        return (
            last.seq,
            last.id,
            "head",
            (
                f"the chain goes on after the unit's head (seq {count}): entries added behind the "
                "register's back"
            ),
        )
    if last.hash != head.last_hash:
        return (
            last.seq,
            last.id,
            "head",
            ("its hash is not the one the unit's head names: the last entry was replaced"),
        )
    return None


def _check_head(org_code: str, last: Any | None, head: Any | None) -> list[Problem]:
    found = _head_finding(last, head)
    return [Problem(org_code, *found)] if found else []


def verify(org: Organisation | None = None) -> list[Problem]:
    """Check the chain of ``org`` (every organisation when None); an empty list when intact.

    One query for all, streamed in (organisation, seq) order, and one for the heads.
    """
    table = RegisterEntry.__table__
    query = (
        select(table, Organisation.code.label("org_code"))
        .join(Organisation, Organisation.id == table.c.org_id)
        .order_by(table.c.org_id, table.c.seq)
        .execution_options(yield_per=1000)
    )
    if org is not None:
        query = query.where(table.c.org_id == org.id)
    heads = _heads(org)
    problems: list[Problem] = []
    prev = None
    for row in db.session.execute(query):
        if prev is not None and prev.org_id != row.org_id:
            problems.extend(_check_head(prev.org_code, prev, heads.pop(prev.org_id, None)))
            prev = None
        problems.extend(_check(row, prev))
        prev = row
    if prev is not None:
        problems.extend(_check_head(prev.org_code, prev, heads.pop(prev.org_id, None)))
    for head in heads.values():  # units whose every entry is gone
        problems.extend(_check_head(head.org_code, None, head))
    return problems


def count(org: Organisation | None = None) -> tuple[int, int]:
    """(entries, organisations with entries) in the register of ``org`` or of everyone."""
    query = select(func.count(), func.count(distinct(RegisterEntry.org_id)))
    if org is not None:
        query = query.where(RegisterEntry.org_id == org.id)
    entries_, orgs = db.session.execute(query).one()
    return entries_, orgs


# --- reading and export ----------------------------------------------------------------------


def entries(org: Organisation, year: int | None = None) -> list[RegisterEntry]:
    """The entries of ``org`` in seq order (of one year in the organisation's timezone)."""
    query = select(RegisterEntry).where(RegisterEntry.org_id == org.id)
    if year is not None:
        query = query.where(RegisterEntry.year == year)
    return list(db.session.scalars(query.order_by(RegisterEntry.seq)))


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    return value.astimezone(zone).replace(tzinfo=None)


def _local_text(iso: Any, zone: ZoneInfo) -> str:
    try:
        return f"{_local(datetime.fromisoformat(str(iso)), zone):%Y-%m-%d %H:%M}"
    except ValueError:
        return str(iso or "")


def _headers(org: Organisation) -> list[str]:
    return [
        gettext("No."),
        gettext("Recorded at (%(timezone)s)", timezone=local_zone(org).key),
        gettext("Action"),
        gettext("Object"),
        gettext("Version"),
        gettext("Title"),
        gettext("Scope"),
        gettext("Channels"),
        gettext("Approvals"),
        gettext("Attachments"),
        gettext("Actor"),
        gettext("Hash"),
    ]


def _rows(org: Organisation, year: int, locale: str) -> list[list[Any]]:
    """The export rows; ``recorded at`` stays a (naive, local) datetime."""
    from core.catalogue.channels import channel_labels as names_of_channels
    from core.catalogue.labels import SCOPES

    zone = local_zone(org)
    channel_labels = names_of_channels(locale, org)  # the plugins' and the county's too
    rows = []
    for e in entries(org, year):
        approvals = "; ".join(
            " ".join(
                str(part)
                for part in (
                    f"{a.get('step')}:",
                    a.get("by") or "",
                    _local_text(a["at"], zone) if a.get("at") else "",
                )
                if part
            )
            for a in e.approvals or []
        )
        attachments = "; ".join(
            f"{a.get('name')} (sha256 {a.get('sha256')})" for a in e.attachments or []
        )
        rows.append(
            [
                e.seq,
                _local(e.recorded_at, zone),
                str(ACTIONS[e.action]) if e.action in ACTIONS else e.action,
                f"{e.object_type} #{e.object_id}",
                e.object_version,
                e.title,
                str(SCOPES[e.scope]) if e.scope in SCOPES else e.scope or "",
                ", ".join(channel_labels.get(c, c) for c in e.channels or []),
                approvals,
                attachments,
                e.actor_label,
                e.hash,
            ]
        )
    return rows


def export_csv(org: Organisation, year: int, *, locale: str | None = None) -> str:
    """The entries of ``year`` as CSV (:mod:`core.spreadsheets`: formulas neutralised, a byte
    order mark so that Excel reads Chinese)."""
    locale = locale or org.default_locale or "zh_Hans_CN"
    with force_locale(locale):
        headers = _headers(org)
        rows = _rows(org, year, locale)
    for row in rows:
        row[1] = f"{row[1]:%Y-%m-%d %H:%M:%S}"
    return spreadsheets.csv_text(headers, rows)


def export_xlsx(org: Organisation, year: int, *, locale: str | None = None) -> bytes:
    """The entries of ``year`` as an XLSX workbook (:mod:`core.spreadsheets`: one sheet, frozen
    header row, text cells never formulas)."""
    locale = locale or org.default_locale or "zh_Hans_CN"
    with force_locale(locale):
        headers = _headers(org)
        rows = _rows(org, year, locale)
    return spreadsheets.xlsx_bytes(
        headers, rows, sheet_title=str(year), title=f"{org.code} {year}", rtl=locale == "ug",
        datetime_format="yyyy-mm-dd hh:mm:ss",
    )  # fmt: skip
