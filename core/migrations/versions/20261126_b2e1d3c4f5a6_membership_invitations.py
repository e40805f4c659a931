"""membership invitations

Revision ID: b2e1d3c4f5a6
Revises: a1f0c2d3e4b5
Create Date: 2026-11-26 18:15:00
"""

from __future__ import annotations

revision = "b2e1d3c4f5a6"
down_revision = "a1f0c2d3e4b5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
