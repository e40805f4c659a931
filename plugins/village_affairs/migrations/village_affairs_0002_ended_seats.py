"""village_affairs: a seat on the supervision committee ends with its reason (VIL-3)

Revision ID: village_affairs_0002
Revises: village_affairs_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.toolkit import UTCDateTime

revision = "village_affairs_0002"
down_revision = "village_affairs_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("village_affairs_supervisors") as batch_op:
        batch_op.add_column(sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("end_reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("end_detail", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("village_affairs_supervisors") as batch_op:
        batch_op.drop_column("end_detail")
        batch_op.drop_column("end_reason")
        batch_op.drop_column("ended_at")
