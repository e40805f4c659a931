"""The county key (issue 14): every tenant-owned table carries ``county_id``, the hosted county
(root organisation) of its row, set on insert by :class:`core.db.CountyKey` and filled for the
data that was there by the migration (core.migrations.county_key) — so that a county can be
exported, deleted, or given a database of its own (deploy/README.md).

* the schema: every table is either county-keyed (``NOT NULL``, a foreign key to
  ``organisations``, indexed) or named here as platform-wide, with the reason — a new table
  that is neither fails;
* the rows: in a world of two counties (tests/isolation_world.py) every row's key is the root
  of its organisation, and none is missing;
* the migration: downgraded below the county key and upgraded again, the keys come back the
  same, on SQLite and PostgreSQL, the register's guard triggers still in place.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from core import db, migrations
from tests import isolation_world as iw

PLATFORM_TABLES = {
    "organisations": "the tenants themselves: an organisation's county is its root_id (or itself)",
    "users": "a person may hold roles in several counties; memberships carry the county",
    "code_list_entries": "national code lists, shared by every county",
    "register_keys": "the deployment's signing keys, one set for every county",
    "sso_identities": "a person's sign-in identity (the provider carries its county)",
    "notification_digests": "a person's mail digest, across the counties they work in",
    "notification_preferences": "a person's own settings",
    "notification_channel_choices": "a person's own settings (the channels of each kind)",
    # TODO(b14rest): key it from its notification (optional, like notifications) — landed
    # with b11flow after the county key; found by its notification_id until then
    "notification_deliveries": "a notification's delivery by a channel, found by its notification",
    "password_resets": "a person's one-time link to choose a new password (accounts span counties)",
    "email_verifications": "the link confirming a self-registered account's address (accounts "
    "span counties)",
    "workday_years": "the State Council's working-day calendar, the same for everyone",
    "workday_special_days": "the State Council's working-day calendar, the same for everyone",
    "workday_missing_years": "the State Council's working-day calendar, the same for everyone",
}
"""Tables without a county key, and why."""

OPTIONAL = {"audit_entries", "api_tokens", "job_outbox", "notifications", "sso_providers"}
"""County-keyed tables whose rows may also be platform-wide (no organisation): NULL then."""

BEFORE_COUNTY_KEY = "e1f2a3b4c5d6"
"""Core's revision before the county key."""


def _tables():
    """Every table of the models: core's, and the plugins' (imported with the application)."""
    return sorted(db.Base.metadata.tables.values(), key=lambda t: t.name)


def _keyed():
    """(model, table) of every county-keyed model."""
    return sorted(
        (
            (m.class_, m.local_table)
            for m in db.Base.registry.mappers
            if issubclass(m.class_, db.CountyKey)
        ),
        key=lambda pair: pair[1].name,
    )


def test_every_table_is_county_keyed_or_named_platform_wide(app):
    keyed = {table.name for _model, table in _keyed()}
    tables = {t.name for t in _tables()}
    assert {"items", "register_entries", "village_affairs_signoffs"} <= keyed
    unclassified = tables - keyed - set(PLATFORM_TABLES)
    assert not unclassified, f"give these tables the county key (core.db.CountyKey): {unclassified}"
    assert not keyed & set(PLATFORM_TABLES)
    assert {name for name in keyed if db.Base.metadata.tables[name].c.county_id.nullable} == (
        OPTIONAL
    )


def test_the_database_has_the_key_on_every_county_keyed_table(app):
    """What the migrations built (core's chain and the plugins' branches), not the models."""
    inspector = inspect(db.session.get_bind())
    for model, table in _keyed():
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert "county_id" in columns, table.name
        assert columns["county_id"]["nullable"] is (table.name in OPTIONAL), table.name
        fks = [f for f in inspector.get_foreign_keys(table.name)
               if f["constrained_columns"] == ["county_id"]]  # fmt: skip
        assert [(f["referred_table"], f["referred_columns"]) for f in fks] == [
            ("organisations", ["id"])
        ], table.name
        indexed = [
            i for i in inspector.get_indexes(table.name) if i["column_names"] == ["county_id"]
        ]
        assert indexed, f"{table.name}: county_id is not indexed"
        column, source = model.__county_from__
        assert column in table.c and source in db.Base.metadata.tables, model


def _wrong_keys() -> dict[str, int]:
    """Rows whose county key is not the county of the row it comes from (or is missing)."""
    wrong = {}
    for model, table in _keyed():
        column, source = model.__county_from__
        key = "coalesce(s.root_id, s.id)" if source == "organisations" else "s.county_id"
        count = db.session.execute(
            text(
                f"SELECT count(*) FROM {table.name} t LEFT JOIN {source} s ON s.id = t.{column} "
                f"WHERE (t.county_id IS NULL AND t.{column} IS NOT NULL) "
                f"OR (t.county_id IS NOT NULL AND t.{column} IS NULL) OR t.county_id <> {key}"
            )
        ).scalar()
        if count:
            wrong[table.name] = count
    return wrong


def _counts() -> dict[str, dict[int, int]]:
    """Per county-keyed table: {county id: rows} (tables with rows only)."""
    counts = {}
    for _model, table in _keyed():
        rows = db.session.execute(
            text(f"SELECT county_id, count(*) FROM {table.name} GROUP BY county_id")
        ).all()
        if rows:
            counts[table.name] = {county: n for county, n in rows}
    return counts


def test_every_row_carries_the_county_of_its_organisation(app):
    world = iw.build()
    counties = {world.orgs[iw.COUNTY], world.orgs[iw.COUNTY2]}
    assert _wrong_keys() == {}
    counts = _counts()
    # the world reaches these tables, in both counties (rows of one county are not the other's)
    for name in ("items", "item_versions", "item_attachments", "catalogue_entries",
                 "memberships", "register_entries", "audit_entries"):  # fmt: skip
        assert set(counts[name]) - {None} == counties, (name, counts[name])
    # a unit's item: the county, not the unit nor its superior
    item = db.session.execute(
        text("SELECT org_id, county_id FROM items WHERE org_id = :b LIMIT 1"),
        {"b": world.orgs[iw.B]},
    ).one()
    assert item.county_id == world.orgs[iw.COUNTY] != item.org_id


def test_a_row_without_an_organisation_is_refused(app, make_org):
    """The key cannot be skipped: a tenant row whose organisation is unknown is not stored."""
    from core.catalogue.models import Catalogue

    county = make_org("ck-county", type_code="county_committee")
    db.session.add(Catalogue(org_id=county.id + 1000, kind="unit"))
    with pytest.raises(ValueError, match="no county"):
        db.session.flush()
    db.session.rollback()


def test_the_migration_fills_the_key_from_the_data(app):
    """Downgrade below the county key (the column goes) and upgrade again: the migration fills
    every key from the data as the mixin had set it; the register still refuses an update."""
    iw.build()
    before = _counts()
    url = app.config["DATABASE_URL"]
    db.session.remove()
    try:
        plugins = ("school_affairs_0001", "three_important_0001", "village_affairs_0002",
                   "testplugin_0001")  # fmt: skip
        for branch in plugins:
            migrations.downgrade(url, branch)  # the plugins' county keys depend on core's
        migrations.downgrade(url, BEFORE_COUNTY_KEY)
        columns = {c["name"] for c in inspect(db.get_engine(url)).get_columns("items")}
        assert "county_id" not in columns
        # tables made by later migrations (with their key from the start) go with the downgrade
        kept = set(inspect(db.get_engine(url)).get_table_names())
    finally:
        migrations.upgrade(url)
    db.session.remove()
    assert _wrong_keys() == {}
    assert {t: n for t, n in _counts().items() if t in kept} == {
        t: n for t, n in before.items() if t in kept
    }
    # the guard triggers of the register survived the migration (ARC-2)
    with pytest.raises(Exception, match=r"append-only|refused|ARC-2"):
        db.session.execute(text("UPDATE register_entries SET title = 'x'"))
    db.session.rollback()
