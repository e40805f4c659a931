"""search documents and full-text index

Revision ID: cb2ee501bfe7
Revises: 8e4ea9068504
Create Date: 2026-11-26 16:33:15.588128

The full-text index is database-specific and not declared in the models (see
core.search.models; core.migrations.include_name keeps it out of Alembic's comparison):

* SQLite: the FTS5 table ``search_fts`` with external content ``search_documents`` (rowid =
  ``item_id``), kept in sync by triggers. A later migration that rebuilds ``search_documents`` in
  batch mode (table copy) drops these triggers and must create them again.
* PostgreSQL: the stored generated column ``tsv``, the set of the tokens (``array_to_tsvector``:
  no parser, no positions — a small value checked without decompressing), and its GIN index.

The index starts empty: on a database that already has disclosed items run
``gongkai search reindex``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "cb2ee501bfe7"
down_revision = "8e4ea9068504"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        tokens, content='search_documents', content_rowid='item_id', tokenize='ascii'
    )
    """,
    """
    CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents
    BEGIN
        INSERT INTO search_fts(rowid, tokens) VALUES (new.item_id, new.tokens);
    END
    """,
    """
    CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents
    BEGIN
        INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.item_id, old.tokens);
    END
    """,
    """
    CREATE TRIGGER search_documents_fts_update AFTER UPDATE OF item_id, tokens ON search_documents
    BEGIN
        INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.item_id, old.tokens);
        INSERT INTO search_fts(rowid, tokens) VALUES (new.item_id, new.tokens);
    END
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_documents_fts_update",
    "DROP TRIGGER IF EXISTS search_documents_fts_delete",
    "DROP TRIGGER IF EXISTS search_documents_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRESQL_UP = [
    """
    ALTER TABLE search_documents ADD COLUMN tsv tsvector
        GENERATED ALWAYS AS (array_to_tsvector(string_to_array(tokens, ' '))) STORED
    """,
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
]
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_search_documents_tsv",
    "ALTER TABLE search_documents DROP COLUMN IF EXISTS tsv",
]


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("root_id", sa.Integer(), nullable=False),
        sa.Column("published_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("category_key", sa.String(length=60), nullable=True),
        sa.Column("cadence", sa.String(length=20), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.Column("indexed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"],
            name=op.f("fk_search_documents_item_id_items"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_search_documents_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["root_id"], ["organisations.id"], name=op.f("fk_search_documents_root_id_organisations")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_search_documents")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_search_documents_org_id"), "search_documents", ["org_id"], unique=False
    )
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL_UP, "sqlite": SQLITE_UP}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL_DOWN, "sqlite": SQLITE_DOWN}.get(dialect, []):
        op.execute(statement)
    op.drop_index(op.f("ix_search_documents_org_id"), table_name="search_documents")
    op.drop_table("search_documents")
