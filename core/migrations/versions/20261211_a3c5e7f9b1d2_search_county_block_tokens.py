"""search documents: the county's block tokens (a county's search reads its own documents only)

Revision ID: a3c5e7f9b1d2
Revises: f2a4c6e8b0d1
Create Date: 2026-12-11 00:00:00

After its block tokens, every document gets one token per level naming the block *of its county*
(``§<county>t<level>x<block>``), and a public document one more per level naming the block of
its county's public documents (``§<county>pt<level>x<block>``) and the token of its county's
public documents (``§<county>p``), as ``index_item`` now writes them
(``core.search.tokens.marks``). A search within a county asks those instead of the county's
and the block's tokens (an anonymous one: instead of the county's and the public token too):
PostgreSQL's index then steps through the county's documents of a block, not every county's,
and SQLite's through one list instead of two (a county portal's mixed queries at 300,000 items:
PostgreSQL p95 78 → 36 ms). The full-text indexes follow as in the block tokens' revision
(e4b6d8f0a2c1); PostgreSQL's is built again without its *pending list* (``fastupdate = off``):
a document indexed is written into the index at once (a few milliseconds more per
publication), instead of into a list that every search reads through until a vacuum merges it
(a day of publications: milliseconds on every block of every search).
"""

from __future__ import annotations

from alembic import op

revision = "a3c5e7f9b1d2"
down_revision = "f2a4c6e8b0d1"  # after the portal indexes (one linear chain)
branch_labels = None
depends_on = None

SHIFT, LEVELS = 10, 14  # core.search.tokens.BLOCK_SHIFT, BLOCK_LEVELS (as of this revision)
PUBLIC = "' §' || county_id || 'p'"  # the county's public documents (core.search.tokens.root_token)


def _blocks(mark: str) -> str:
    """SQL of the tokens ``§<county><mark><level>x<block>`` of every level (constants only)."""
    return " || ".join(
        f"' §' || county_id || '{mark}{level}x' || (item_id >> {SHIFT + level})"
        for level in range(LEVELS)
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
    op.execute(f"UPDATE search_documents SET tokens = tokens || {_blocks('t')}")  # noqa: S608
    op.execute(  # constants only
        f"UPDATE search_documents SET tokens = tokens || {_blocks('pt')} || {PUBLIC} "  # noqa: S608
        "WHERE tokens LIKE '% §public %'"
    )
    if postgres:
        op.execute(
            "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv) "
            "WITH (fastupdate = off)"
        )


def downgrade() -> None:
    find = (
        "strpos(tokens, {0})"
        if op.get_bind().dialect.name == "postgresql"
        else "instr(tokens, {0})"
    )
    at = find.format("' §' || county_id || 't0x'")
    op.execute(  # constants only
        f"UPDATE search_documents SET tokens = substr(tokens, 1, {at} - 1) WHERE {at} > 0"  # noqa: S608
    )
