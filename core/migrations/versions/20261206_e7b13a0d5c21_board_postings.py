"""board_postings: the printed notice board marked as put up, with a dated photo (issue 13)

Revision ID: e7b13a0d5c21
Revises: 232f9e549643
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "e7b13a0d5c21"
down_revision = "232f9e549643"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("edition", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("photo_key", sa.String(length=200), nullable=False),
        sa.Column("photo_type", sa.String(length=40), nullable=False),
        sa.Column("photo_width", sa.Integer(), nullable=False),
        sa.Column("photo_height", sa.Integer(), nullable=False),
        sa.Column("photo_size", sa.Integer(), nullable=False),
        sa.Column("photo_sha256", sa.String(length=64), nullable=False),
        sa.Column("photo_taken_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_id"],
            ["organisations.id"],
            name=op.f("fk_board_postings_county_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_board_postings_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_board_postings_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_postings")),
    )
    with op.batch_alter_table("board_postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_postings_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_board_postings_county_id"), ["county_id"], unique=False
        )
        batch_op.create_index("ix_board_postings_org_posted", ["org_id", "posted_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("board_postings", schema=None) as batch_op:
        batch_op.drop_index("ix_board_postings_org_posted")
        batch_op.drop_index(batch_op.f("ix_board_postings_org_id"))
        batch_op.drop_index(batch_op.f("ix_board_postings_county_id"))
    op.drop_table("board_postings")
