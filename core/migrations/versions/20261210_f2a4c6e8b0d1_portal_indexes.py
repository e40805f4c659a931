"""indexes of a county's portal at 300,000 items

Revision ID: f2a4c6e8b0d1
Revises: e4b6d8f0a2c1
Create Date: 2026-12-10 00:00:00

A county's portal lists its newest items and dates its board by the latest change and the
latest notice ended; across a county of 300,000 items each of those sorted or aggregated every
item the visitor may see (90-300 ms each on PostgreSQL). Read backwards from these indexes they
stop at the first rows that qualify (under a millisecond):

* ``ix_items_published`` (published_at, id): the newest items (any visitor: the scopes are
  checked row by row until the page is full);
* ``ix_items_visible_updated`` (visible_scope, updated_at): the latest change;
* ``ix_items_visible_notice_ends`` (visible_scope, notice_ends_at) of notices only: the latest
  notice period ended.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f2a4c6e8b0d1"
down_revision = "e4b6d8f0a2c1"  # after the search block tokens (one linear chain)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_published", "items", ["published_at", "id"])
    op.create_index("ix_items_visible_updated", "items", ["visible_scope", "updated_at"])
    op.create_index(
        "ix_items_visible_notice_ends",
        "items",
        ["visible_scope", "notice_ends_at"],
        postgresql_where=sa.text("is_notice IS true"),
        sqlite_where=sa.text("is_notice IS true"),
    )


def downgrade() -> None:
    op.drop_index("ix_items_visible_notice_ends", table_name="items")
    op.drop_index("ix_items_visible_updated", table_name="items")
    op.drop_index("ix_items_published", table_name="items")
