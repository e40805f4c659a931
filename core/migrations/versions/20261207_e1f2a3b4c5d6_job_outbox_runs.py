"""job_outbox: when a job started and finished, how many times it ran (a job runs once in
effect: its finish is committed with its work, and a second delivery finds it finished)

Revision ID: e1f2a3b4c5d6
Revises: 8793a786548c
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "e1f2a3b4c5d6"
down_revision = "8793a786548c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runs", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("started_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("finished_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_job_outbox_finished_at", ["finished_at"], unique=False)
    # the jobs sent before this release ran (or will run) without being marked: count them as
    # finished, so that nothing takes them for lost
    op.execute("UPDATE job_outbox SET finished_at = sent_at WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("job_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_job_outbox_finished_at")
        batch_op.drop_column("finished_at")
        batch_op.drop_column("started_at")
        batch_op.drop_column("runs")
