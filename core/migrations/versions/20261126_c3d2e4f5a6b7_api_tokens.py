"""api tokens

Revision ID: c3d2e4f5a6b7
Revises: b2e1d3c4f5a6
Create Date: 2026-11-26 18:15:00
"""

from __future__ import annotations

revision = "c3d2e4f5a6b7"
down_revision = "b2e1d3c4f5a6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
