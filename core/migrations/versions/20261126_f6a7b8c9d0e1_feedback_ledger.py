"""feedback ledger

Revision ID: f6a7b8c9d0e1
Revises: e5f6a7b8c9d0
Create Date: 2026-11-26 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "f6a7b8c9d0e1"
down_revision = "e5f6a7b8c9d0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=20), nullable=False),
        sa.Column("lookup_hash", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("spam", sa.Boolean(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("submitter_name", sa.String(length=100), nullable=True),
        sa.Column("submitter_contact", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("rectification_measures", sa.Text(), nullable=True),
        sa.Column("rectification_deadline", sa.Date(), nullable=True),
        sa.Column("rectification_result", sa.Text(), nullable=True),
        sa.Column("rectification_done_on", sa.Date(), nullable=True),
        sa.Column("rectification_public", sa.Boolean(), nullable=False),
        sa.Column("rectification_private_reason", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answer_channel", sa.String(length=20), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("public_question", sa.Text(), nullable=True),
        sa.Column("answer_published", sa.Boolean(), nullable=False),
        sa.Column("published_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('online', 'hotline', 'suggestion_box', 'reception_day', "
            "'letters_visits', 'meeting')",
            name=op.f("ck_feedback_entries_channel"),
        ),
        sa.CheckConstraint(
            "state IN ('received', 'assigned', 'rectifying', 'answered', 'closed')",
            name=op.f("ck_feedback_entries_state"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_feedback_entries_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["handler_id"],
            ["users.id"],
            name=op.f("fk_feedback_entries_handler_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_feedback_entries_item_id_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_feedback_entries_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_feedback_entries_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_feedback_entries_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_entries")),
        sa.UniqueConstraint("receipt", name=op.f("uq_feedback_entries_receipt")),
    )
    with op.batch_alter_table("feedback_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_entries_due_on"), ["due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_feedback_entries_handler_id"), ["handler_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feedback_entries_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_feedback_entries_org_state", ["org_id", "state"], unique=False)
        batch_op.create_index(
            "ix_feedback_entries_published", ["org_id", "published_at"], unique=False
        )

    op.create_table(
        "feedback_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=200), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_feedback_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["feedback_entries.id"],
            name=op.f("fk_feedback_notes_entry_id_feedback_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_feedback_notes_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_notes")),
    )
    with op.batch_alter_table("feedback_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_notes_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_notes_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_notes_org_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_notes_entry_id"))
    op.drop_table("feedback_notes")
    with op.batch_alter_table("feedback_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_entries_published")
        batch_op.drop_index("ix_feedback_entries_org_state")
        batch_op.drop_index(batch_op.f("ix_feedback_entries_org_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_entries_handler_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_entries_due_on"))
    op.drop_table("feedback_entries")
