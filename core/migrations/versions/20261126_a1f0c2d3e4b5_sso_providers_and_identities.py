"""sso providers and identities

Revision ID: a1f0c2d3e4b5
Revises: cb2ee501bfe7
Create Date: 2026-11-26 18:15:00
"""

from __future__ import annotations

revision = "a1f0c2d3e4b5"
down_revision = "cb2ee501bfe7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
