"""village_affairs: committees, relatives, supervisors, sign-offs (the root of the branch)

Revision ID: village_affairs_0001
Revises: (none: the root of the branch "village_affairs")
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.toolkit import UTCDateTime

revision = "village_affairs_0001"
down_revision = None
branch_labels = ("village_affairs",)
depends_on = "c9d0e1f2a3b4"  # core's revision of the day (items, feedback)


def upgrade() -> None:
    op.create_table(
        "village_affairs_committee_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"],
            name=op.f("fk_village_affairs_committee_members_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="SET NULL",
            name=op.f("fk_village_affairs_committee_members_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_affairs_committee_members")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_village_affairs_committee_members_org_id"),
        "village_affairs_committee_members", ["org_id"],
    )  # fmt: skip
    op.create_table(
        "village_affairs_relatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"],
            name=op.f("fk_village_affairs_relatives_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["village_affairs_committee_members.id"], ondelete="CASCADE",
            name=op.f("fk_village_affairs_relatives_member_id_village_affairs_committee_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_affairs_relatives")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_village_affairs_relatives_org_id"), "village_affairs_relatives", ["org_id"]
    )
    op.create_index(
        op.f("ix_village_affairs_relatives_member_id"), "village_affairs_relatives", ["member_id"]
    )
    op.create_table(
        "village_affairs_supervisors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"],
            name=op.f("fk_village_affairs_supervisors_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="SET NULL",
            name=op.f("fk_village_affairs_supervisors_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_affairs_supervisors")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_village_affairs_supervisors_org_id"), "village_affairs_supervisors", ["org_id"]
    )
    op.create_table(
        "village_affairs_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("signer_name", sa.String(length=100), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"],
            name=op.f("fk_village_affairs_signoffs_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], ondelete="CASCADE",
            name=op.f("fk_village_affairs_signoffs_item_id_items"),
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["village_affairs_supervisors.id"], ondelete="SET NULL",
            name=op.f("fk_village_affairs_signoffs_supervisor_id_village_affairs_supervisors"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="SET NULL",
            name=op.f("fk_village_affairs_signoffs_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_affairs_signoffs")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_village_affairs_signoffs_org_id"), "village_affairs_signoffs", ["org_id"]
    )
    op.create_index(
        op.f("ix_village_affairs_signoffs_item_id"), "village_affairs_signoffs", ["item_id"]
    )


def downgrade() -> None:
    op.drop_table("village_affairs_signoffs")
    op.drop_table("village_affairs_supervisors")
    op.drop_table("village_affairs_relatives")
    op.drop_table("village_affairs_committee_members")
