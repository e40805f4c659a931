"""working day calendar

Revision ID: d4e5f6a7b8c9
Revises: c3d2e4f5a6b7
Create Date: 2026-11-26 18:45:00
"""

from __future__ import annotations

revision = "d4e5f6a7b8c9"
down_revision = "c3d2e4f5a6b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
