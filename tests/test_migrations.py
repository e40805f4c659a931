"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from core import db, migrations
from core.migrations import import_all_models
from tenants import codelists
from tenants.models import CodeListEntry


def test_models_and_migrations_agree(app):
    import_all_models()
    with db.get_engine(app.config["DATABASE_URL"]).connect() as conn:
        # the same filter as core/migrations/env.py: database-only objects (full-text index)
        opts = {"compare_type": True, "include_name": migrations.include_name}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, db.Base.metadata)
    assert diff == [], "a model changed without a migration: run `gongkai db revision -m ...`"


def test_database_is_at_the_head_revision(app):
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(
        migrations.alembic_config(app.config["DATABASE_URL"])
    ).get_current_head()
    assert migrations.current(app.config["DATABASE_URL"]) == head


@pytest.mark.rule("ORG-1")
def test_organisation_types_are_the_national_code_list(app):
    rows = {e.code: e.national_code for e in db.session.scalars(select(CodeListEntry))}
    assert rows["party_committee"] == "611"
    assert rows["leading_party_group"] == "612"
    assert rows["general_branch"] == "621"
    assert rows["branch"] == "631"
    assert rows["joint_branch"] == "632"
    assert rows["party_group"] == "641"
    assert rows["temporary_branch"].startswith("9")
    assert {"county_committee", "working_committee"} <= codelists.codes(codelists.ORG_TYPE)


def test_upgrade_from_empty_and_downgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    migrations.upgrade(url)
    assert migrations.current(url) is not None
    migrations.downgrade(url, "base")
    assert migrations.current(url) is None
    migrations.upgrade(url)
    assert migrations.current(url) is not None


def _insert(conn, table: str, given: dict) -> None:
    """A row of ``table`` as the schema of the moment has it: the given values, and a plain
    value for every other required column."""
    from sqlalchemy import inspect, text

    values = dict(given)
    for column in inspect(conn).get_columns(table):
        name, kind = column["name"], str(column["type"]).upper()
        if name in values or column["nullable"] or column.get("default") is not None:
            continue
        if "INT" in kind:
            values[name] = 1
        elif "BOOL" in kind:
            values[name] = 0
        elif "DATETIME" in kind:
            values[name] = "2026-01-01 00:00:00.000000"
        elif "DATE" in kind:
            values[name] = "2026-01-01"
        elif "JSON" in kind:
            values[name] = "{}"
        else:
            values[name] = "x"
    names = ", ".join(values)
    conn.execute(
        text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"),
        values,
    )


def test_a_populated_sqlite_database_upgrades_in_place_and_keeps_every_row(tmp_path):
    """SQLite alters a table by rebuilding it (copy, drop, rename): with foreign keys enforced,
    dropping ``items`` deleted every item's versions (ON DELETE CASCADE) — an upgraded demo
    database lost its texts. The migrations run with foreign keys off and check them after."""
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'populated.sqlite'}"
    migrations.upgrade(url, "d0e1f2a3b4c5")  # before a1c2e3f4b5d6 rebuilds ``items``
    engine = create_engine(url)
    with engine.begin() as conn:
        _insert(conn, "organisations", {"id": 1, "code": "u1", "path": "/1/", "depth": 0})
        _insert(conn, "users", {"id": 1, "username": "someone"})
        _insert(
            conn,
            "items",
            {"id": 1, "org_id": 1, "state": "draft", "scope": "public", "visible_scope": "public"},
        )
        _insert(conn, "item_versions", {"id": 1, "item_id": 1, "number": 1})
    engine.dispose()
    migrations.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM item_versions")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()
    with db.get_engine(url).connect() as conn:  # the application's connections enforce them again
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
