"""search documents: the block tokens (PostgreSQL finds the newest matches block by block)

Revision ID: e4b6d8f0a2c1
Revises: b14c0a1e5d20
Create Date: 2026-12-08 04:00:00

Every document gets one token per level naming the aligned block of item ids it lies in
(``§t<level>x<item_id >> (10 + level)>``, levels 0–13: ``core.search.tokens.block_tokens``),
after its county and public tokens, as ``index_item`` now writes them. The full-text indexes
follow (SQLite: the FTS update trigger; PostgreSQL: the generated ``tsv`` column — its GIN index
is dropped for the update and built again at once, far faster than row by row).
"""

from __future__ import annotations

from alembic import op

revision = "e4b6d8f0a2c1"
down_revision = "b14c0a1e5d20"  # after the compliance indexes (one linear chain)
branch_labels = None
depends_on = None

SHIFT, LEVELS = 10, 14  # core.search.tokens.BLOCK_SHIFT, BLOCK_LEVELS (as of this revision)
BLOCKS = " || ".join(
    f"' §t{level}x' || (item_id >> {SHIFT + level})" for level in range(LEVELS)
)  # constants only
FIRST = " §t0x"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
    op.execute(f"UPDATE search_documents SET tokens = tokens || {BLOCKS}")  # noqa: S608
    if postgres:
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")


def downgrade() -> None:
    find = (
        "strpos(tokens, '{0}')"
        if op.get_bind().dialect.name == "postgresql"
        else "instr(tokens, '{0}')"
    )
    at = find.format(FIRST)
    op.execute(  # constants only
        f"UPDATE search_documents SET tokens = substr(tokens, 1, {at} - 1) WHERE {at} > 0"  # noqa: S608
    )
