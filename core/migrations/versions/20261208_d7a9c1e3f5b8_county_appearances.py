"""a county's branding: display name, emblem, colours

Revision ID: d7a9c1e3f5b8
Revises: c3d9e1f7a2b8
Create Date: 2026-12-08 00:30:00

* ``county_appearances``: one row per county that set its branding (issue 13): the display
  name per language, the emblem (its storage key, type, size and digest) and the primary and
  accent colours; county-keyed like every tenant-owned table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "d7a9c1e3f5b8"
down_revision = "c3d9e1f7a2b8"  # after the county channels (one linear chain)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "county_appearances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("display_names", sa.JSON(), nullable=False),
        sa.Column("primary_colour", sa.String(length=7), nullable=True),
        sa.Column("accent_colour", sa.String(length=7), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("emblem_type", sa.String(length=40), nullable=True),
        sa.Column("emblem_width", sa.Integer(), nullable=True),
        sa.Column("emblem_height", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_id"],
            ["organisations.id"],
            name=op.f("fk_county_appearances_county_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_county_appearances_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_county_appearances_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_appearances")),
        sa.UniqueConstraint("org_id", name=op.f("uq_county_appearances_org_id")),
    )
    op.create_index(op.f("ix_county_appearances_county_id"), "county_appearances", ["county_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_county_appearances_county_id"), table_name="county_appearances")
    op.drop_table("county_appearances")
