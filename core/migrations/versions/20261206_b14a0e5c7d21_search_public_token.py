"""search documents: the public token (an anonymous search's pre-filter)

Revision ID: b14a0e5c7d21
Revises: 75c5df62d004
Create Date: 2026-12-06 18:00:00

Every document of an item visible to everyone gets the token ``§public``
(``core.search.tokens.PUBLIC_TOKEN``) after its county token, as ``index_item`` now writes it.
The full-text indexes follow by themselves (SQLite: the FTS update trigger; PostgreSQL: the
generated ``tsv`` column).
"""

from __future__ import annotations

from alembic import op

revision = "b14a0e5c7d21"
down_revision = "75c5df62d004"
branch_labels = None
depends_on = None

TOKEN = "§public"  # noqa: S105 - a search token, not a secret


def upgrade() -> None:
    op.execute(  # a constant, no input
        "UPDATE search_documents SET tokens = tokens || ' " + TOKEN + "' "  # noqa: S608
        "WHERE item_id IN (SELECT id FROM items WHERE visible_scope = 'public')"
    )


def downgrade() -> None:
    op.execute(  # a constant, no input
        "UPDATE search_documents SET tokens = replace(tokens, ' " + TOKEN + "', '') "  # noqa: S608
        "WHERE tokens LIKE '% " + TOKEN + "'"
    )
