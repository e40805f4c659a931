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
