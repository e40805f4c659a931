"""three_important: meetings, decisions and item lists (the root of the plugin's branch)

Revision ID: three_important_0001
Revises: (none: the root of the branch "three_important")
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.toolkit import UTCDateTime

revision = "three_important_0001"
down_revision = None
branch_labels = ("three_important",)
depends_on = "fd9f7347194b"  # core's revision that creates the organisations


def upgrade() -> None:
    op.create_table(
        "three_important_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=40), nullable=False),
        sa.Column("meeting_type", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("held_at", UTCDateTime(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("chair", sa.String(length=100), nullable=False),
        sa.Column("expected_members", sa.JSON(), nullable=False),
        sa.Column("present_members", sa.JSON(), nullable=False),
        sa.Column("absentees", sa.JSON(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("note_taker", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_three_important_meetings_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_three_important_meetings")),
        sa.UniqueConstraint(
            "org_id",
            "body",
            "year",
            "number",
            name=op.f("uq_three_important_meetings_org_id_body_year_number"),
        ),
    )
    op.create_index(
        op.f("ix_three_important_meetings_org_id"), "three_important_meetings", ["org_id"]
    )
    op.create_table(
        "three_important_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("opinions", sa.JSON(), nullable=False),
        sa.Column("decision_text", sa.Text(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("dissent", sa.Boolean(), nullable=False),
        sa.Column("study_meeting_id", sa.Integer(), nullable=True),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("ratified_meeting_id", sa.Integer(), nullable=True),
        sa.Column("ratification_overdue", sa.Boolean(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_three_important_decisions_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["three_important_meetings.id"],
            name=op.f("fk_three_important_decisions_meeting_id_three_important_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["study_meeting_id"],
            ["three_important_meetings.id"],
            name=op.f("fk_three_important_decisions_study_meeting_id_three_important_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["ratified_meeting_id"],
            ["three_important_meetings.id"],
            name=op.f("fk_three_important_decisions_ratified_meeting_id_three_important_meetings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_three_important_decisions")),
    )
    op.create_index(
        op.f("ix_three_important_decisions_org_id"), "three_important_decisions", ["org_id"]
    )
    op.create_index(
        op.f("ix_three_important_decisions_meeting_id"),
        "three_important_decisions",
        ["meeting_id"],
    )
    op.create_table(
        "three_important_item_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_three_important_item_lists_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_three_important_item_lists")),
        sa.UniqueConstraint(
            "org_id", "version", name=op.f("uq_three_important_item_lists_org_id_version")
        ),
    )
    op.create_index(
        op.f("ix_three_important_item_lists_org_id"), "three_important_item_lists", ["org_id"]
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_three_important_item_lists_org_id"), table_name="three_important_item_lists"
    )
    op.drop_table("three_important_item_lists")
    op.drop_index(
        op.f("ix_three_important_decisions_meeting_id"), table_name="three_important_decisions"
    )
    op.drop_index(
        op.f("ix_three_important_decisions_org_id"), table_name="three_important_decisions"
    )
    op.drop_table("three_important_decisions")
    op.drop_index(op.f("ix_three_important_meetings_org_id"), table_name="three_important_meetings")
    op.drop_table("three_important_meetings")
