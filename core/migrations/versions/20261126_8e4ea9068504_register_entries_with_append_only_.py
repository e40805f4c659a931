"""register entries with append-only triggers

Revision ID: 8e4ea9068504
Revises: 336aaf4fafff
Create Date: 2026-11-26 16:28:50.104250

The triggers refuse every UPDATE of a register entry, and every DELETE (and TRUNCATE) unless the
transaction set ``gongkai.allow_purge`` to ``on`` (core.register.models.purge_allowed). SQLite
reads the setting through ``current_setting()``, which core.db defines on its connections; a
connection without it (the sqlite3 shell) cannot delete entries at all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "8e4ea9068504"
down_revision = "336aaf4fafff"
branch_labels = None
depends_on = None

REFUSED = "register_entries: %s refused (the register is append-only, ARC-2)"

POSTGRESQL_UP = [
    f"""
    CREATE FUNCTION register_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE')
           AND current_setting('gongkai.allow_purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{REFUSED % "%"}', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER register_entries_append_only BEFORE UPDATE OR DELETE ON register_entries
    FOR EACH ROW EXECUTE FUNCTION register_entries_append_only()
    """,
    """
    CREATE TRIGGER register_entries_no_truncate BEFORE TRUNCATE ON register_entries
    FOR EACH STATEMENT EXECUTE FUNCTION register_entries_append_only()
    """,
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS register_entries_no_truncate ON register_entries",
    "DROP TRIGGER IF EXISTS register_entries_append_only ON register_entries",
    "DROP FUNCTION IF EXISTS register_entries_append_only()",
]
SQLITE_UP = [
    f"""
    CREATE TRIGGER register_entries_no_update BEFORE UPDATE ON register_entries
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED % "UPDATE"}');
    END
    """,
    f"""
    CREATE TRIGGER register_entries_no_delete BEFORE DELETE ON register_entries
    WHEN current_setting('gongkai.allow_purge', 1) IS NOT 'on'
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED % "DELETE"}');
    END
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS register_entries_no_delete",
    "DROP TRIGGER IF EXISTS register_entries_no_update",
]


def upgrade() -> None:
    op.create_table(
        "register_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("recorded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=60), nullable=False),
        sa.Column("object_id", sa.String(length=60), nullable=False),
        sa.Column("object_version", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_register_entries_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entries")),
        sa.UniqueConstraint("org_id", "seq", name=op.f("uq_register_entries_org_id_seq")),
    )
    op.create_index("ix_register_entries_org_year", "register_entries", ["org_id", "year"])
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL_UP, "sqlite": SQLITE_UP}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL_DOWN, "sqlite": SQLITE_DOWN}.get(dialect, []):
        op.execute(statement)
    op.drop_index("ix_register_entries_org_year", table_name="register_entries")
    op.drop_table("register_entries")
