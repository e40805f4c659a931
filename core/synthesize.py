"""A synthetic province for load and scale work: ``gongkai demo synthesize``.

Composition layer (like :mod:`core.cli`, its only importer): it writes the tables of several
engine packages at once, in bulk, because going through the operations one item at a time takes
an hour for 300,000 items. What it builds is what the operations would have built, as far as the
pages, search, the register and the budgets see it:

* ``counties`` county committees (``syn-c<n>``), each with the Hongjiang basic catalogue
  (基本目录, through the catalogue operations), an admin and a reviewer;
* ``units_per_county`` units per county: one party committee (bureau) for every ten, the others
  branches under them, each with an admin and a member (one shared hash of the demo password)
  and an approved unit catalogue copied from its county's template;
* ``items`` items spread over the units, in the demo's mix of states (92 % published, 3 %
  notices whose period closed, the rest drafts, items in review, approved, scheduled, withheld
  and revoked; 1 % of the published amended to a second version), published over three years,
  their scope, channels, cadence and period taken from a catalogue entry;
* the search document of every disclosed item, made with the search package's own functions
  (the index equals what ``gongkai search reindex`` would build: checked on a sample);
* the register entries of every publication, amendment, revocation and withholding, with a
  valid hash chain per unit (``gongkai register verify`` passes).

Not made: workflow step history (the register entries' approvals are empty), reviews,
attachments, objections, timeliness flags, requests, feedback. PostgreSQL takes the rows
through ``COPY``; SQLite through ``executemany``. From :data:`BULK` items, PostgreSQL loads the
big tables without their secondary indexes, unique and foreign keys and makes them again at the
end (:meth:`Writer.loading`): they are checked once, in bulk, and the tables are locked until
the caller commits.
"""

from __future__ import annotations

import gc
import json
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, func, insert, select, text, update

from core import db
from core.catalogue import county_channels, transfer
from core.catalogue import operations as catalogue
from core.catalogue.demo import COUNTY_CHANNELS
from core.catalogue.models import Catalogue, CatalogueVersion, Category, Entry
from core.items.models import Item, ItemVersion
from core.items.operations import period_for
from core.progress import progress
from core.register.models import (
    CURRENT_FORMAT,
    GENESIS_HASH,
    RegisterEntry,
    RegisterHead,
    entry_hash,
    new_salt,
    plain,
)
from core.search import operations as search_ops
from core.search import tokens
from core.search.models import SearchDocument
from tenants import operations as tenants
from tenants.models import Membership, Organisation, User

TEMPLATE = Path(catalogue.__file__).parent / "demo" / "hongjiang.yaml"
PASSWORD = "gongkai-demo"  # noqa: S105 - the documented demo password
STATES = (
    # (state, share): the demo's mix (gongkai demo load: 828 of 900 published, 27 closed, ...)
    ("published", 0.915),
    ("closed", 0.03),
    ("draft", 0.011),
    ("proposed", 0.0055),
    ("reviewed", 0.0055),
    ("superior_review", 0.0055),
    ("approved", 0.0055),
    ("scheduled", 0.0055),
    ("withheld", 0.0055),
    ("revoked", 0.0055),
)
AMENDED = 0.01
YEARS = 3
BATCH = 20_000
BULK = 20_000  # items from which the bulk tables load without their indexes and keys
ACTOR = "system"


@dataclass
class Unit:
    id: int
    root_id: int
    code: str
    version_id: int
    entries: list[tuple[str, str, str, str, list[str], str]]  # key, category, cadence, scope...


def _clauses() -> list[str]:
    """Chinese clauses for titles and bodies: the texts of the demo catalogues, without ASCII
    (no Markdown syntax, so a body's plain text is itself)."""
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(TEMPLATE.parent.glob("*.yaml"))
    )
    found = re.findall(r"[\u4e00-\u9fff][^\x00-\x7f]*", source)
    clauses = [
        c.strip("，。；、：“”（）《》 ") for part in found for c in re.split(r"[。；]", part)
    ]
    return sorted({c for c in clauses if 4 <= len(c) <= 60})


_encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for millions of values


class Writer:
    """Bulk rows into a table: PostgreSQL ``COPY``, else ``executemany``. Bulk rows bypass the
    ORM, so the writer sets their county key itself (what :class:`core.db.CountyKey` does on an
    ORM insert), from the rows it wrote or the database."""

    def __init__(self):
        self.postgres = db.session.get_bind().dialect.name == "postgresql"
        self.counties: dict[tuple[str, int], int | None] = {}
        self._shared: dict[Any, str] = {}

    def rows(self, model, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self._county_keys(model, rows)
        table = model.__table__
        if not self.postgres:
            db.session.execute(insert(table), rows)
            return
        columns = list(rows[0])
        as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
        cursor = db.session.connection().connection.driver_connection.cursor()
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([self._json(row[c]) if c in as_json else row[c] for c in columns])

    def _json(self, value: Any) -> str:
        """``value`` as JSON text; the few lists of words and empty objects that most rows
        share (channels, no approvals, no extra fields) written once."""
        if (type(value) is list and all(type(v) is str for v in value)) or value == {}:
            key = tuple(value) if type(value) is list else "{}"
            found = self._shared.get(key)
            if found is None:
                found = self._shared[key] = _encode(value)
            return found
        return _encode(value)

    def _county_keys(self, model, rows: list[dict[str, Any]]) -> None:
        name = model.__tablename__
        if name == "organisations":
            for row in rows:
                self.counties[(name, row["id"])] = row.get("root_id") or row["id"]
            return
        if not issubclass(model, db.CountyKey):
            return
        column, source = model.__county_from__
        for row in rows:
            if row.get("county_id") is None:
                key = (source, row.get(column))
                if key not in self.counties:
                    self.counties[key] = db.county_of(db.session.connection(), *key)
                row["county_id"] = self.counties[key]
            if "id" in row:
                self.counties[(name, row["id"])] = row["county_id"]

    @contextmanager
    def loading(self, models, bulk: bool) -> Iterator[None]:
        """While ``models`` are loaded in bulk on PostgreSQL: without their secondary indexes,
        unique and foreign-key constraints, made again (and so checked) at the end. A sort
        builds an index far faster than row-by-row insertion, and one join checks a foreign
        key faster than a trigger per row. Elsewhere, or for a small load: as they are."""
        if not (self.postgres and bulk):
            yield
            return
        tables = [m.__table__.name for m in models]
        keys = db.session.execute(
            text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid = ANY(CAST(:t AS regclass[])) "
                "AND contype IN ('f', 'u') ORDER BY contype = 'f' DESC, conname"
            ),
            {"t": tables},
        ).all()
        indexes = db.session.execute(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
                "WHERE indrelid = ANY(CAST(:t AS regclass[])) AND NOT EXISTS (SELECT 1 "
                "FROM pg_constraint c WHERE c.conindid = i.indexrelid "
                "AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY 1"
            ),
            {"t": tables},
        ).all()
        for table, name, _definition in keys:  # the foreign keys first
            db.session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _definition in indexes:
            db.session.execute(text(f'DROP INDEX "{name}"'))
        yield
        with progress("indexes and keys", total=len(indexes) + len(keys)) as bar:
            db.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            for _name, definition in indexes:
                db.session.execute(text(definition))
                bar.advance()
            for table, name, definition in reversed(keys):  # the unique constraints first
                db.session.execute(
                    text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                )
                bar.advance()

    def next_id(self, model) -> int:
        return (db.session.scalar(select(func.max(model.id))) or 0) + 1

    def reset_sequence(self, model) -> None:
        if self.postgres:
            name = model.__table__.name
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {name}))"
                )
            )


def synthesize(
    counties: int,
    units_per_county: int,
    items: int,
    *,
    seed: int = 42,
    now: datetime | None = None,
    report: Callable[[str], None] = print,
) -> dict[str, int]:
    """Build the province (see the module's docstring); the counts made. The caller commits."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    now = now or db.utcnow()
    writer = Writer()
    clauses = _clauses()
    first = _first_free_county(counties)
    with progress("counties and templates", total=counties) as bar:
        roots = []
        for n in range(first, first + counties):
            roots.append(_county(n))
            bar.advance()
    with progress("units, people, catalogues", total=counties * units_per_county) as bar:
        units = _units(writer, roots, units_per_county, now, bar)
    bulk = (Item, ItemVersion, SearchDocument, RegisterEntry, RegisterHead)
    gc.disable()  # millions of rows held at once: collecting cycles among them is wasted time
    try:
        with writer.loading(bulk, items >= BULK):
            made = _items(writer, rng, units, items, clauses, now)
    finally:
        gc.enable()
    for model in (Organisation, User, Membership, Catalogue, CatalogueVersion, Category, Entry):
        writer.reset_sequence(model)
    for model in (Item, ItemVersion, RegisterEntry):
        writer.reset_sequence(model)
    if writer.postgres:
        with progress("statistics (ANALYZE)") as bar:
            db.session.execute(text("ANALYZE"))
            bar.advance()
    counts = {"counties": counties, "units": len(units), **made}
    report(
        "Synthetic province: {counties} counties, {units} units, {items} items "
        "({published} disclosed), {register} register entries.".format(**counts)
    )
    return counts


def _first_free_county(count: int) -> int:
    codes = set(
        db.session.scalars(
            select(Organisation.code).where(Organisation.code.startswith("syn-c"))
        ).all()
    )
    n = 1
    while any(f"syn-c{i}" in codes for i in range(n, n + count)):
        n += count
    return n


def _county(n: int) -> Organisation:
    county = tenants.create_organisation(
        f"syn-c{n}",
        type_code="county_committee",
        sector="agency",
        names={"zh_Hans_CN": {"full": f"中共合成县{n}委员会", "short": f"合成县{n}"}},
    )
    admin = tenants.create_user(f"syn-c{n}-admin", display_name=f"合成县{n}管理员")
    reviewer = tenants.create_user(f"syn-c{n}-reviewer", display_name=f"合成县{n}审核人")
    admin.password_hash = reviewer.password_hash = _password_hash()
    tenants.grant_membership(admin, county, "admin")
    tenants.grant_membership(reviewer, county, "reviewer")
    for channel in COUNTY_CHANNELS["hongjiang"]:  # the channels of its own the template names
        county_channels.add(county, channel, actor=admin)
    draft = catalogue.start_draft(county, "template", actor=admin)
    transfer.import_yaml(draft, TEMPLATE.read_text(encoding="utf-8"), actor=admin)
    catalogue.transition(draft, "publish", actor=admin)
    return county


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        _HASH.append(tenants.hash_password(PASSWORD))
    return _HASH[0]


def _units(writer: Writer, roots, per_county: int, now: datetime, bar) -> list[Unit]:
    ids = {m: writer.next_id(m) for m in (Organisation, User, Membership, Catalogue)}
    ids.update({m: writer.next_id(m) for m in (CatalogueVersion, Category, Entry)})
    today = now.date() - timedelta(days=YEARS * 366)
    orgs, users, memberships, cats, versions, categories, entries = [], [], [], [], [], [], []
    units: list[Unit] = []

    def next_id(model) -> int:
        ids[model] += 1
        return ids[model] - 1

    for county in roots:
        template = catalogue.effective_version(county, "template")
        t_categories = catalogue.categories(template)
        t_entries = catalogue.entries(template)
        bureau = None
        for u in range(per_county):
            org_id = next_id(Organisation)
            bureau_unit = u % 10 == 0
            parent = county if bureau_unit else bureau
            path = f"{county.path}{org_id}/" if bureau_unit else f"{bureau['path']}{org_id}/"
            code = f"{county.code}-{'b' if bureau_unit else 'u'}{u}"
            short = f"{county.names['zh_Hans_CN']['short']}{'党委' if bureau_unit else '支部'}{u}"
            row = {
                "id": org_id,
                "code": code,
                "parent_id": parent.id if bureau_unit else parent["id"],
                "root_id": county.id,
                "path": path,
                "depth": 1 if bureau_unit else 2,
                "position": u,
                "type_code": "party_committee" if bureau_unit else "branch",
                "sector": "agency",
                "names": {"zh_Hans_CN": {"full": f"中共{short}委员会", "short": short}},
                "officers": {},
                "contacts": {"hotline": f"0745-{7000000 + org_id}"},
                "leading_group": {},
                "default_locale": "zh_Hans_CN",
                "locales": ["zh_Hans_CN"],
                "timezone": "Asia/Shanghai",
                "theme": "base",
                "plugin_settings": {},
                "enabled": True,
                "created_at": now,
                "updated_at": now,
            }
            orgs.append(row)
            if bureau_unit:
                bureau = row
            for role in ("admin", "member") if not bureau_unit else ("admin", "reviewer"):
                user_id = next_id(User)
                users.append(
                    {
                        "id": user_id,
                        "username": f"{code}-{role}",
                        "display_name": f"{short}{'管理员' if role == 'admin' else role}",
                        "password_hash": _password_hash(),
                        "is_platform_admin": False,
                        "active": True,
                        "created_at": now,
                    }
                )
                memberships.append(
                    {
                        "id": next_id(Membership),
                        "user_id": user_id,
                        "org_id": org_id,
                        "role": role,
                        "granted_at": now,
                    }
                )
            catalogue_id, version_id = next_id(Catalogue), next_id(CatalogueVersion)
            cats.append({"id": catalogue_id, "org_id": org_id, "kind": "unit", "created_at": now})
            versions.append(
                {
                    "id": version_id,
                    "catalogue_id": catalogue_id,
                    "org_id": org_id,
                    "number": 1,
                    "state": "approved",
                    "template_version_id": template.id,
                    "note": "",
                    "effective_from": today,
                    "created_at": now,
                    "submitted_at": now,
                    "decided_at": now,
                }
            )
            category_ids = {}
            for c in t_categories:
                category_ids[c.id] = next_id(Category)
            for c in t_categories:
                categories.append(
                    {
                        "id": category_ids[c.id],
                        "version_id": version_id,
                        "parent_id": category_ids.get(c.parent_id),
                        "key": c.key,
                        "titles": c.titles,
                        "code_2010": c.code_2010,
                        "code_2017": c.code_2017,
                        "position": c.position,
                    }
                )
            category_keys = {c.id: c.key for c in t_categories}
            unit_entries = []
            for e in t_entries:
                entries.append(
                    {
                        "id": next_id(Entry),
                        "version_id": version_id,
                        "category_id": category_ids[e.category_id],
                        "key": e.key,
                        "template_key": e.key,
                        "titles": e.titles,
                        "content": e.content,
                        "scope": e.scope,
                        "channels": e.channels,
                        "cadence": e.cadence,
                        "due_days": e.due_days,
                        "notice_days": e.notice_days,
                        "responsible": e.responsible,
                        "mandatory": e.mandatory,
                        "item_type": e.item_type,
                        "position": e.position,
                    }
                )
                unit_entries.append(
                    (
                        e.key,
                        category_keys[e.category_id],
                        e.cadence,
                        e.scope,
                        list(e.channels),
                        e.title("zh_Hans_CN"),
                    )
                )
            units.append(Unit(org_id, county.id, code, version_id, unit_entries))
            bar.advance()
    db.session.flush()
    for model, rows in (
        (Organisation, orgs),
        (User, users),
        (Membership, memberships),
        (Catalogue, cats),
        (CatalogueVersion, versions),
        (Category, sorted(categories, key=lambda c: c["parent_id"] is not None)),
        (Entry, entries),
    ):
        writer.rows(model, rows)
    return units


def _pick_state(rng: random.Random) -> str:
    roll = rng.random()
    for state, share in STATES:
        roll -= share
        if roll < 0:
            return state
    return "published"


def _items(writer, rng, units: list[Unit], total: int, clauses, now: datetime) -> dict[str, int]:
    """Items, versions, search documents and register entries, in batches."""
    item_id, version_id = writer.next_id(Item), writer.next_id(ItemVersion)
    register_id = writer.next_id(RegisterEntry)
    bulk = writer.postgres and total >= BULK  # see Writer.loading
    start = now - timedelta(days=YEARS * 365)
    span = int((now - start).total_seconds()) - 3600
    # the register: per unit, entries in time order; collected, then chained per unit
    register: dict[int, list[dict[str, Any]]] = {}
    published = made = 0
    checked = 0
    with progress("items", total=total) as bar:
        while made < total:
            size = min(BATCH, total - made)
            items, versions, docs, amendments = [], [], [], []
            for _ in range(size):
                unit = units[rng.randrange(len(units))]
                key, category_key, cadence, scope, channels, entry_title = rng.choice(unit.entries)
                state = _pick_state(rng)
                moment = start + timedelta(seconds=rng.randrange(span))
                day = (moment + timedelta(hours=8)).date()
                title = f"{entry_title}（{day.year}年{day.month}月）"
                body = "，".join(rng.sample(clauses, rng.randint(3, 7))) + "。"
                disclosed = state in ("published", "closed", "revoked")
                notice = state == "closed" or (
                    state == "published" and moment > now - timedelta(days=6) and rng.random() < 0.3
                )
                item = {
                    "id": item_id,
                    "org_id": unit.id,
                    "root_id": unit.root_id,
                    "state": state,
                    "entry_key": key,
                    "category_key": category_key,
                    "cadence": cadence,
                    "period_key": period_for(cadence, day),
                    "extra": {},
                    "catalogue_version_id": unit.version_id,
                    "scope": scope,
                    "visible_scope": scope if disclosed else "unit",
                    "channels": channels,
                    "planned_at": moment if state != "scheduled" else now + timedelta(days=3),
                    "decision_date": day if cadence == "immediate" else None,
                    "internal_first": False,
                    "is_notice": notice,
                    "notice_days": 7 if notice else None,
                    "involves_secrets": False,
                    "escalate": False,
                    "due_on": None,
                    "published_at": moment if disclosed else None,
                    "notice_ends_at": moment + timedelta(days=7) if notice else None,
                    "closed_at": moment + timedelta(days=7) if state == "closed" else None,
                    "late": False,
                    "withheld_reason": "涉及未公开的人事事项，暂不公开。"
                    if state == "withheld"
                    else None,
                    "revocation_explanation": "内容重复发布，予以撤销。"
                    if state == "revoked"
                    else None,
                    "created_at": moment,
                    "updated_at": moment,
                }
                if state == "closed" and item["closed_at"] > now:
                    item["state"] = state = "published"
                    item["closed_at"] = None
                items.append(item)
                titles, bodies = {"zh_Hans_CN": title}, {"zh_Hans_CN": body}
                versions.append(
                    {
                        "id": version_id,
                        "item_id": item_id,
                        "number": 1,
                        "titles": titles,
                        "bodies": bodies,
                        "explanation": None,
                        "created_at": moment,
                        "approved_at": moment if disclosed else None,
                        "published_at": moment if disclosed else None,
                    }
                )
                item["_version"] = version_id
                version_id += 1
                amended = state == "published" and rng.random() < AMENDED
                if amended:
                    later = moment + timedelta(days=rng.randint(1, 20))
                    later = min(later, now - timedelta(minutes=1))
                    bodies = {"zh_Hans_CN": body.replace("。", "，特此更正。", 1)}
                    versions.append(
                        {
                            "id": version_id,
                            "item_id": item_id,
                            "number": 2,
                            "titles": titles,
                            "bodies": bodies,
                            "explanation": "原公布内容有误，予以更正。",
                            "created_at": later,
                            "approved_at": later,
                            "published_at": later,
                        }
                    )
                    item["_version"] = version_id
                    amendments.append((item_id, version_id, later))
                    version_id += 1
                if disclosed:
                    published += 1
                    fields = _document(unit, item, titles, bodies)
                    if checked < 50:  # the index must be what reindexing would make
                        expected = search_ops.document_fields(
                            item_id=item_id,
                            org_id=unit.id,
                            root_id=unit.root_id,
                            published_at=moment,
                            category_key=category_key,
                            cadence=cadence,
                            titles=titles,
                            bodies=bodies,
                            public=item["visible_scope"] == "public",
                        )
                        for name in ("text", "tokens", "title", "chars"):
                            assert fields[name] == expected[name], (name, fields, expected)
                        checked += 1
                    docs.append({"item_id": item_id, **fields, "indexed_at": now})
                entries = register.setdefault(unit.id, [])
                base = {"object_type": "item", "object_id": str(item_id), "scope": scope,
                        "channels": channels, "title": title}  # fmt: skip
                data = {
                    "entry_key": key,
                    "period_key": item["period_key"],
                    "decision_date": item["decision_date"],
                }
                shown = None  # what the public register shows (core.register.subscribers)
                if item["visible_scope"] == "public":
                    shown = {
                        "titles": titles,
                        "scope": "public",
                        "channels": channels,
                        "entry_key": key,
                        "category_key": category_key,
                        "period_key": item["period_key"],
                        "decision_date": item["decision_date"],
                        "notice_ends_at": item["notice_ends_at"],
                        "attachments": [],
                    }
                if disclosed or state == "withheld":
                    action = "withhold" if state == "withheld" else "publish"
                    extra = (
                        {"reason": item["withheld_reason"], "filed_with": None}
                        if action == "withhold"
                        else {
                            "visible_scope": scope,
                            "notice_ends_at": item["notice_ends_at"],
                            "late": False,
                        }
                    )
                    public = shown if action == "publish" else ({} if scope == "public" else None)
                    entries.append(
                        {**base, "action": action, "object_version": 1, "at": moment,
                         "data": {**data, **extra}, "public": public}
                    )  # fmt: skip
                for _id, _v, later in amendments[-1:] if amended else []:
                    explanation = "原公布内容有误，予以更正。"
                    entries.append(
                        {**base, "action": "amend", "object_version": 2, "at": later,
                         "data": {**data, "explanation": explanation},
                         "public": {**shown, "explanation": explanation} if shown else None}
                    )  # fmt: skip
                if state == "revoked":
                    explanation = item["revocation_explanation"]
                    entries.append(
                        {**base, "action": "revoke", "object_version": 1,
                         "at": min(moment + timedelta(days=2), now),
                         "data": {**data, "explanation": explanation},
                         "public": {**shown, "explanation": explanation} if shown else None}
                    )  # fmt: skip
                item_id += 1
            current = {i["id"]: i.pop("_version") for i in items}
            if bulk:  # no foreign key to wait for: the items point to their versions at once
                for i in items:
                    i["current_version_id"] = current[i["id"]]
            writer.rows(Item, items)
            writer.rows(ItemVersion, versions)
            if not bulk:
                _point_to_versions(current)
            writer.rows(SearchDocument, docs)
            made += size
            bar.advance(size)
    count = _register(writer, register, register_id, units)
    return {"items": made, "published": published, "register": count}


def _document(unit: Unit, item: dict, titles: dict, bodies: dict) -> dict[str, Any]:
    """The search document's columns (what :func:`core.search.operations.document_fields`
    gives for a plain-text body, without rendering it as Markdown)."""
    content = tokens.normalise(f"{titles['zh_Hans_CN']}\n{bodies['zh_Hans_CN']}")
    content = content[: search_ops.MAX_DOCUMENT_CHARS]
    return {
        "org_id": unit.id,
        "root_id": unit.root_id,
        "published_at": item["published_at"],
        "category_key": item["category_key"],
        "cadence": item["cadence"],
        "title": titles["zh_Hans_CN"],
        "text": content,
        "chars": len(content),
        "tokens": f"{tokens.document_tokens(content)} "
        f"{tokens.marks(unit.root_id, item['visible_scope'] == 'public', item['id'])}",
    }


def _point_to_versions(current: dict[int, int]) -> None:
    """items.current_version_id (written after the versions: the two tables refer to each
    other). One statement per run of consecutive ids with a constant offset."""
    runs: list[tuple[int, int, int]] = []  # first id, last id, offset
    for item_id in sorted(current):
        offset = current[item_id] - item_id
        if runs and runs[-1][1] == item_id - 1 and runs[-1][2] == offset:
            runs[-1] = (runs[-1][0], item_id, offset)
        else:
            runs.append((item_id, item_id, offset))
    for low, high, offset in runs:
        db.session.execute(
            update(Item)
            .where(Item.id.between(low, high))
            .values(current_version_id=Item.id + offset)
            .execution_options(synchronize_session=False)
        )


def _register(writer: Writer, register, next_id: int, units: list[Unit]) -> int:
    """Chain every unit's entries (in time order, format 2 as
    :func:`core.register.operations.append` makes them) and write them and the units' heads."""
    zone_hours = timedelta(hours=8)  # Asia/Shanghai, every synthetic unit's zone
    rows: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    count = 0
    with progress("register", total=len(register)) as bar:
        for org_id, entries in register.items():
            prev, seq, at = GENESIS_HASH, 0, None
            for seq, e in enumerate(sorted(entries, key=lambda e: e["at"]), start=1):
                at = e["at"]
                disclosed = None
                if e["public"] is not None:
                    disclosed = plain(
                        {
                            **e["public"],
                            "action": e["action"],
                            "object_type": e["object_type"],
                            "object_id": e["object_id"],
                            "object_version": e["object_version"],
                            "recorded_at": at,
                        }
                    )
                row = {
                    "org_id": org_id,
                    "seq": seq,
                    "recorded_at": at,
                    "year": (at + zone_hours).year,
                    "action": e["action"],
                    "object_type": e["object_type"],
                    "object_id": e["object_id"],
                    "object_version": e["object_version"],
                    "title": e["title"],
                    "scope": e["scope"],
                    "channels": e["channels"],
                    "approvals": [],
                    "attachments": [],
                    "actor_label": ACTOR,
                    "data": plain(e["data"]),
                    "prev_hash": prev,
                    "format": CURRENT_FORMAT,
                    "salt": new_salt(),
                    "disclosed": disclosed,
                }
                row["hash"] = prev = entry_hash(row)
                row["id"] = next_id
                next_id += 1
                rows.append(row)
            if seq:
                heads.append(
                    {"org_id": org_id, "entry_count": seq, "last_hash": prev,
                     "last_recorded_at": at, "updated_at": db.utcnow()}
                )  # fmt: skip
            count += len(entries)
            bar.advance()
            if len(rows) >= BATCH:
                writer.rows(RegisterEntry, rows)
                rows = []
    writer.rows(RegisterEntry, rows)
    writer.rows(RegisterHead, heads)
    return count
