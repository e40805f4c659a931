"""items: the acknowledgement of a withheld item's filing by a superior (PUB-6)

Revision ID: a1c2e3f4b5d6
Revises: d0e1f2a3b4c5
Create Date: 2026-12-07 10:00:00

A withheld item (暂不公开) is filed with the superiors; one of their admins or reviewers records
having read it (with an optional note), as for the filed decisions of disclosure requests. My
work lists the filings not yet acknowledged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "a1c2e3f4b5d6"
down_revision = "d0e1f2a3b4c5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("filing_acknowledged_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("filing_acknowledged_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("filing_acknowledgement", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_items_filing_acknowledged_by_id_users"),
            "users",
            ["filing_acknowledged_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_items_filing_acknowledged_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("filing_acknowledgement")
        batch_op.drop_column("filing_acknowledged_by_id")
        batch_op.drop_column("filing_acknowledged_at")
