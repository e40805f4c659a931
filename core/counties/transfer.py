"""A hosted county moved between deployments: :func:`export_county` writes all of its data and
files to one archive, :func:`import_county` loads it into another deployment.

The archive (zip): ``manifest.json`` (format, the schema revisions, the county, the rows and
files with their SHA-256), ``tables/<table>.jsonl`` — the county's organisations and every row
of every county-keyed table (:class:`core.db.CountyKey`) with its ids as they are —,
``users.jsonl`` (the people the rows name: memberships, authors, deciders) and ``files/<key>``
(attachments, stored by content).

Ids are kept as they are, so that the register's hashes, which cover the organisation's id,
still verify (``gongkai register verify``) where the county arrives; the import is therefore
refused when any of its ids or the county's codes is taken in that database (a county moves to
a deployment of its own, or back to where it was deleted). People are matched by user name:
one who exists there keeps their account, and the rows point to it. Identities at sign-in
providers are not moved (people sign in once and are linked again); digests of notifications
are not either. The import checks every file against its hash and refuses an archive of
another schema revision.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, Float, Integer, Numeric, func, insert, select, update
from sqlalchemy.types import TypeDecorator

from core import audit, db
from core.counties.operations import CountyRefused, _in_county, keyed_models
from core.storage import storage
from tenants.models import Organisation, User

FORMAT = 1
SKIPPED_COLUMNS = {"notifications": {"digest_id"}}
"""Columns that point to platform rows that do not move (set NULL on import)."""


def _revision() -> list[str]:
    from alembic.migration import MigrationContext

    return sorted(MigrationContext.configure(db.session.connection()).get_current_heads())


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(column) -> Callable[[Any], Any]:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        return lambda v: None if v is None else Decimal(v)
    return lambda v: v


def _tables() -> list:
    """Organisations, then the county-keyed tables, parents before children."""
    keyed = {m.__table__ for m in keyed_models()}
    return [Organisation.__table__] + [t for t in db.Base.metadata.sorted_tables if t in keyed]


def _user_columns(table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "users"]


def export_county(root: Organisation, path: str, *, report=None) -> dict[str, int]:
    """Write the county ``root`` to the archive ``path``; returns rows per table."""
    counts: dict[str, int] = {}
    users: set[int] = set()
    files: dict[str, str] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in _tables():
            where = (
                _in_county(root) if table.name == "organisations" else table.c.county_id == root.id
            )
            order = [c for c in table.primary_key.columns]
            rows = db.session.execute(select(table).where(where).order_by(*order)).mappings()
            lines = []
            for row in rows:
                lines.append(json.dumps({k: _encode(v) for k, v in row.items()},
                                        ensure_ascii=False, sort_keys=True))  # fmt: skip
                users.update(row[c] for c in _user_columns(table) if row[c] is not None)
                if row.get("storage_key"):
                    files[row["storage_key"]] = row.get("sha256") or ""
            if lines:
                archive.writestr(f"tables/{table.name}.jsonl", "\n".join(lines) + "\n")
                counts[table.name] = len(lines)
            if report:
                report(table.name, len(lines))
        people = db.session.execute(
            select(User.__table__).where(User.id.in_(users)).order_by(User.id)
        ).mappings()
        archive.writestr(
            "users.jsonl",
            "".join(json.dumps({k: _encode(v) for k, v in u.items()}, ensure_ascii=False,
                               sort_keys=True) + "\n" for u in people),
        )  # fmt: skip
        store = storage()
        hashes = {}
        for key in sorted(files):
            data = store.open(key)
            archive.writestr(f"files/{key}", data)
            hashes[key] = hashlib.sha256(data).hexdigest()
        manifest = {
            "format": FORMAT,
            "revisions": _revision(),
            "county": {"id": root.id, "code": root.code},
            "rows": counts,
            "users": len(users),
            "files": hashes,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return counts


def _refused(message) -> CountyRefused:
    return CountyRefused(message)


def import_county(path: str, *, actor=None) -> dict[str, int]:
    """Load the archive ``path`` into this database (flushes; the command commits)."""
    try:
        archive = zipfile.ZipFile(path)
        manifest = json.loads(archive.read("manifest.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise _refused(_l("%(path)s is not a county archive (%(problem)s).", path=path,
                          problem=type(exc).__name__)) from None  # fmt: skip
    if manifest.get("format") != FORMAT:
        raise _refused(_l("The archive's format %(format)s is not one this version reads.",
                          format=manifest.get("format")))  # fmt: skip
    if manifest["revisions"] != _revision():
        raise _refused(_l("The archive was written at schema revision %(theirs)s, this database "
                          "is at %(ours)s: upgrade the older one first.",
                          theirs=", ".join(manifest["revisions"]),
                          ours=", ".join(_revision())))  # fmt: skip
    code = manifest["county"]["code"]
    tables = {t.name: t for t in _tables()}
    data = {}
    for name, n in manifest["rows"].items():
        if name not in tables:
            raise _refused(_l("The archive holds the table %(table)s, unknown here.", table=name))
        rows = [json.loads(line) for line in archive.read(f"tables/{name}.jsonl").splitlines()]
        if len(rows) != n:
            raise _refused(_l("The archive is damaged: %(table)s.", table=name))
        data[name] = rows
    _check_free(code, tables, data)
    files = manifest.get("files", {})
    contents = {}
    for key, digest in files.items():
        content = archive.read(f"files/{key}")
        if hashlib.sha256(content).hexdigest() != digest:
            raise _refused(_l("The archive is damaged: the file %(key)s.", key=key))
        contents[key] = content

    user_ids = _import_users(archive)
    later: list[tuple[Any, dict, dict]] = []  # (table, key, postponed values)
    done: set[str] = set()
    for name, table in tables.items():
        rows = data.get(name, [])
        decoders = {c.name: _decoder(c) for c in table.columns}
        postponed = {
            fk.parent.name
            for fk in table.foreign_keys
            if fk.parent.nullable
            and fk.column.table.name in tables
            and fk.column.table.name not in done
            and name != "organisations"  # ordered by depth instead (a root has no parent)
        }
        users = _user_columns(table)
        if name == "organisations":
            rows = sorted(rows, key=lambda r: r["depth"])
        values = []
        for row in rows:
            row = {k: decoders[k](v) for k, v in row.items() if k in decoders}
            for column in users:
                if row.get(column) is not None:
                    row[column] = user_ids[row[column]]
            for column in SKIPPED_COLUMNS.get(name, ()):
                row[column] = None
            if postponed:
                kept = {c: row[c] for c in postponed if row.get(c) is not None}
                if kept:  # as they were, not "now" (an ``onupdate`` column)
                    kept.update({c.name: row[c.name] for c in table.columns if c.onupdate})
                    pk = {c.name: row[c.name] for c in table.primary_key.columns}
                    later.append((table, pk, kept))
                row.update(dict.fromkeys(postponed))
            values.append(row)
        if name == "organisations":
            for row in values:  # one by one: a parent before its children (depth order)
                db.session.execute(insert(table), [row])
        elif values:
            db.session.execute(insert(table), values)
        done.add(name)
    for table, pk, kept in later:
        condition = [table.c[k] == v for k, v in pk.items()]
        db.session.execute(update(table).where(*condition).values(**kept))
    _reset_sequences(tables.values())
    store = storage()
    for key, content in contents.items():
        digest = hashlib.sha256(content).hexdigest()
        suffix = key.split("/", 1)[1][len(digest) - 2 :]
        store.put(content, suffix)
    county = db.session.scalar(select(Organisation).where(Organisation.code == code))
    audit.log("county.imported", "organisation", county.id, actor=actor,
              changes={"code": code, "rows": manifest["rows"], "files": len(files)})  # fmt: skip
    return manifest["rows"]


def _check_free(code: str, tables: dict, data: dict) -> None:
    codes = [r["code"] for r in data.get("organisations", [])]
    taken = db.session.scalars(
        select(Organisation.code).where(Organisation.code.in_(codes)).limit(5)
    ).all()
    if taken:
        raise _refused(_l("The county %(code)s cannot be imported: these organisation codes are "
                          "taken here: %(codes)s.", code=code, codes=", ".join(taken)))  # fmt: skip
    for name, rows in data.items():
        table = tables[name]
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not rows:
            continue
        ids = [r[pk[0].name] for r in rows]
        clash = 0
        for start in range(0, len(ids), 500):
            clash += db.session.scalar(
                select(func.count()).select_from(table).where(pk[0].in_(ids[start : start + 500]))
            )
        if clash:
            raise _refused(_l("The county %(code)s cannot be imported: %(count)s of its rows in "
                              "%(table)s have ids taken here; import it into a deployment of its "
                              "own.", code=code, count=clash, table=name))  # fmt: skip


def _import_users(archive: zipfile.ZipFile) -> dict[int, int]:
    """The archive's people in this database, matched by user name: {their id: our id}."""
    table = User.__table__
    decoders = {c.name: _decoder(c) for c in table.columns}
    ids = {}
    for line in archive.read("users.jsonl").splitlines():
        row = {k: decoders[k](v) for k, v in json.loads(line).items() if k in decoders}
        existing = db.session.scalar(select(User.id).where(User.username == row["username"]))
        if existing is None:
            theirs = row.pop("id")
            existing = db.session.execute(
                insert(table).values(**row).returning(table.c.id)
            ).scalar()
            ids[theirs] = existing
        else:
            ids[row["id"]] = existing
    return ids


def _reset_sequences(tables) -> None:
    """PostgreSQL: the id sequences after rows were inserted with their ids."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c and table.c.id.primary_key and isinstance(table.c.id.type, Integer):
            sequence = func.pg_get_serial_sequence(table.name, "id")
            top = func.coalesce(func.max(table.c.id), 1)
            db.session.execute(select(func.setval(sequence, top)))
