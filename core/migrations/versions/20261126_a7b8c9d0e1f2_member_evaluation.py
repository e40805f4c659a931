"""member evaluation

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
Create Date: 2026-11-26 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "a7b8c9d0e1f2"
down_revision = "f6a7b8c9d0e1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("root_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("result_scope", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "result_scope IN ('public', 'party_wide', 'unit')",
            name=op.f("ck_evaluation_rounds_result_scope"),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'open', 'closed', 'published')",
            name=op.f("ck_evaluation_rounds_state"),
        ),
        sa.CheckConstraint("closes_on >= opens_on", name=op.f("ck_evaluation_rounds_period")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_rounds_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_evaluation_rounds_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["root_id"],
            ["organisations.id"],
            name=op.f("fk_evaluation_rounds_root_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_rounds")),
    )
    with op.batch_alter_table("evaluation_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_rounds_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_rounds_root_id"), ["root_id"], unique=False)
        batch_op.create_index(
            "ix_evaluation_rounds_state_closes_on", ["state", "closes_on"], unique=False
        )

    op.create_table(
        "evaluation_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_evaluation_units_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["evaluation_rounds.id"],
            name=op.f("fk_evaluation_units_round_id_evaluation_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_units")),
        sa.UniqueConstraint("round_id", "org_id", name=op.f("uq_evaluation_units_round_id_org_id")),
    )
    with op.batch_alter_table("evaluation_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_units_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evaluation_units_round_id"), ["round_id"], unique=False
        )

    # who voted (the roll) ...
    op.create_table(
        "evaluation_voters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("voted_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_evaluation_voters_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["evaluation_rounds.id"],
            name=op.f("fk_evaluation_voters_round_id_evaluation_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_evaluation_voters_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_voters")),
        sa.UniqueConstraint(
            "round_id",
            "org_id",
            "user_id",
            name=op.f("uq_evaluation_voters_round_id_org_id_user_id"),
        ),
    )
    with op.batch_alter_table("evaluation_voters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_voters_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evaluation_voters_round_id"), ["round_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evaluation_voters_user_id"), ["user_id"], unique=False)

    # ... and what was voted: no user, no time, a random id (the secret ballot)
    op.create_table(
        "evaluation_ballots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_evaluation_ballots_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["evaluation_rounds.id"],
            name=op.f("fk_evaluation_ballots_round_id_evaluation_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_ballots")),
    )
    with op.batch_alter_table("evaluation_ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_ballots_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evaluation_ballots_round_id"), ["round_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluation_ballots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_ballots_round_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_ballots_org_id"))
    op.drop_table("evaluation_ballots")
    with op.batch_alter_table("evaluation_voters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_voters_user_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_voters_round_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_voters_org_id"))
    op.drop_table("evaluation_voters")
    with op.batch_alter_table("evaluation_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_units_round_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_units_org_id"))
    op.drop_table("evaluation_units")
    with op.batch_alter_table("evaluation_rounds", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_rounds_state_closes_on")
        batch_op.drop_index(batch_op.f("ix_evaluation_rounds_root_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_rounds_org_id"))
    op.drop_table("evaluation_rounds")
