"""county channels

Revision ID: c3d9e1f7a2b8
Revises: c3e5a7b9d1f2
Create Date: 2026-12-07 23:30:00

* ``county_channels``: the channels of disclosure a hosted county adds to its units' list
  (CAT-6) beside the code list's and the plugins': a code unique in the county, names in
  Chinese (required), English and Uyghur, the audience that decides the scopes it suits, and
  whether it is still offered (a retired one stays on what chose it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "c3d9e1f7a2b8"
down_revision = "c3e5a7b9d1f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "county_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "audience IN ('party', 'society', 'both')", name=op.f("ck_county_channels_audience")
        ),
        sa.ForeignKeyConstraint(
            ["county_id"], ["organisations.id"],
            name=op.f("fk_county_channels_county_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_county_channels_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_channels")),
        sa.UniqueConstraint("org_id", "code", name=op.f("uq_county_channels_org_id_code")),
    )  # fmt: skip
    op.create_index(op.f("ix_county_channels_county_id"), "county_channels", ["county_id"])
    op.create_index(op.f("ix_county_channels_org_id"), "county_channels", ["org_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_county_channels_org_id"), table_name="county_channels")
    op.drop_index(op.f("ix_county_channels_county_id"), table_name="county_channels")
    op.drop_table("county_channels")
