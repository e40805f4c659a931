"""three_important: the county key (county_id) on the plugin's tables, filled from the data

Revision ID: three_important_0002
Revises: three_important_0001
"""

from __future__ import annotations

from core.toolkit import add_county_key, drop_county_key

revision = "three_important_0002"
down_revision = "three_important_0001"
branch_labels = None
depends_on = "f2a3b4c5d6e7"  # core's county key

TABLES = [
    ("three_important_meetings", "org_id", "organisations", False),
    ("three_important_decisions", "org_id", "organisations", False),
    ("three_important_item_lists", "org_id", "organisations", False),
]


def upgrade() -> None:
    add_county_key(TABLES)


def downgrade() -> None:
    drop_county_key(TABLES)
