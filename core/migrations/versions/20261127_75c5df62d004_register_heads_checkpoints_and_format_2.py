"""register heads, signed checkpoints, signing keys, and format 2 entries (public register)

Revision ID: 75c5df62d004
Revises: c9d0e1f2a3b4
Create Date: 2026-11-27 09:00:00

* ``register_entries`` gains ``format`` (1 for every entry recorded so far), ``salt`` and
  ``disclosed`` (core.register.models: format 2 hashes). Plain ADD COLUMN on both databases, so
  SQLite keeps the table and its triggers (a batch rebuild would drop them).
* ``register_heads``: one row per unit with entries, filled from the chains as they are (the
  count is the last ``seq``). A head only moves forward; it is never deleted unless the
  transaction lifts the guard (``gongkai.allow_purge``), like the entries.
* ``register_keys`` and ``register_checkpoints``: the deployment's public keys (never deleted)
  and the signed heads (never changed or deleted).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "75c5df62d004"
down_revision = "c9d0e1f2a3b4"
branch_labels = None
depends_on = None

FORWARD = "register_heads: a head only moves forward (ARC-2)"
REFUSED = "%s: %s refused (the register is append-only, ARC-2)"

POSTGRESQL_UP = [
    f"""
    CREATE FUNCTION register_heads_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF NEW.entry_count > OLD.entry_count AND NEW.org_id = OLD.org_id THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '{FORWARD}' USING ERRCODE = 'restrict_violation';
        END IF;
        IF current_setting('gongkai.allow_purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{REFUSED % ("register_heads", "%")}', TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER register_heads_guard BEFORE UPDATE OR DELETE ON register_heads
    FOR EACH ROW EXECUTE FUNCTION register_heads_guard()
    """,
    """
    CREATE TRIGGER register_heads_no_truncate BEFORE TRUNCATE ON register_heads
    FOR EACH STATEMENT EXECUTE FUNCTION register_heads_guard()
    """,
    f"""
    CREATE FUNCTION register_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE')
           AND current_setting('gongkai.allow_purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{REFUSED % ("register_checkpoints", "%")}', TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER register_checkpoints_append_only BEFORE UPDATE OR DELETE
    ON register_checkpoints FOR EACH ROW EXECUTE FUNCTION register_checkpoints_append_only()
    """,
    """
    CREATE TRIGGER register_checkpoints_no_truncate BEFORE TRUNCATE ON register_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION register_checkpoints_append_only()
    """,
    f"""
    CREATE FUNCTION register_keys_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF current_setting('gongkai.allow_purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{REFUSED % ("register_keys", "%")}', TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER register_keys_kept BEFORE DELETE ON register_keys
    FOR EACH ROW EXECUTE FUNCTION register_keys_kept()
    """,
    """
    CREATE TRIGGER register_keys_no_truncate BEFORE TRUNCATE ON register_keys
    FOR EACH STATEMENT EXECUTE FUNCTION register_keys_kept()
    """,
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS register_keys_no_truncate ON register_keys",
    "DROP TRIGGER IF EXISTS register_keys_kept ON register_keys",
    "DROP FUNCTION IF EXISTS register_keys_kept()",
    "DROP TRIGGER IF EXISTS register_checkpoints_no_truncate ON register_checkpoints",
    "DROP TRIGGER IF EXISTS register_checkpoints_append_only ON register_checkpoints",
    "DROP FUNCTION IF EXISTS register_checkpoints_append_only()",
    "DROP TRIGGER IF EXISTS register_heads_no_truncate ON register_heads",
    "DROP TRIGGER IF EXISTS register_heads_guard ON register_heads",
    "DROP FUNCTION IF EXISTS register_heads_guard()",
]
SQLITE_UP = [
    f"""
    CREATE TRIGGER register_heads_forward BEFORE UPDATE ON register_heads
    WHEN NEW.entry_count <= OLD.entry_count OR NEW.org_id IS NOT OLD.org_id
    BEGIN
        SELECT RAISE(ABORT, '{FORWARD}');
    END
    """,
    *(
        f"""
    CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
    WHEN current_setting('gongkai.allow_purge', 1) IS NOT 'on'
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED % (table, "DELETE")}');
    END
    """
        for table in ("register_heads", "register_checkpoints", "register_keys")
    ),
    f"""
    CREATE TRIGGER register_checkpoints_no_update BEFORE UPDATE ON register_checkpoints
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED % ("register_checkpoints", "UPDATE")}');
    END
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS register_checkpoints_no_update",
    "DROP TRIGGER IF EXISTS register_keys_no_delete",
    "DROP TRIGGER IF EXISTS register_checkpoints_no_delete",
    "DROP TRIGGER IF EXISTS register_heads_no_delete",
    "DROP TRIGGER IF EXISTS register_heads_forward",
]


def upgrade() -> None:
    op.add_column(
        "register_entries",
        sa.Column("format", sa.SmallInteger(), nullable=False, server_default="1"),
    )
    op.add_column("register_entries", sa.Column("salt", sa.String(length=32), nullable=True))
    op.add_column("register_entries", sa.Column("disclosed", sa.JSON(), nullable=True))
    op.create_table(
        "register_heads",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("last_recorded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_register_heads_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_register_heads")),
    )
    op.create_table(
        "register_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("algorithm", sa.String(length=20), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_register_keys")),
    )
    op.create_table(
        "register_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=63), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_register_checkpoints_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_checkpoints")),
    )
    op.create_index(
        "ix_register_checkpoints_org_signed", "register_checkpoints", ["org_id", "signed_at"]
    )
    # the heads of the chains as they are (one row per unit with entries)
    op.execute(
        """
        INSERT INTO register_heads (org_id, entry_count, last_hash, last_recorded_at, updated_at)
        SELECT e.org_id, e.seq, e.hash, e.recorded_at, e.recorded_at
        FROM register_entries e
        WHERE e.seq = (SELECT max(l.seq) FROM register_entries l WHERE l.org_id = e.org_id)
        """
    )
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL_UP, "sqlite": SQLITE_UP}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL_DOWN, "sqlite": SQLITE_DOWN}.get(dialect, []):
        op.execute(statement)
    op.drop_index("ix_register_checkpoints_org_signed", table_name="register_checkpoints")
    op.drop_table("register_checkpoints")
    op.drop_table("register_keys")
    op.drop_table("register_heads")
    op.drop_column("register_entries", "disclosed")
    op.drop_column("register_entries", "salt")
    op.drop_column("register_entries", "format")
