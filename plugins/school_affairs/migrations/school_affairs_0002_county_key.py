"""school_affairs: the county key (county_id) on the plugin's tables, filled from the data

Revision ID: school_affairs_0002
Revises: school_affairs_0001
"""

from __future__ import annotations

from core.toolkit import add_county_key, drop_county_key

revision = "school_affairs_0002"
down_revision = "school_affairs_0001"
branch_labels = None
depends_on = "f2a3b4c5d6e7"  # core's county key

TABLES = [
    ("school_affairs_settings", "org_id", "organisations", False),
    ("school_affairs_deliberations", "org_id", "organisations", False),
    ("school_affairs_overdue", "org_id", "organisations", False),
    ("school_affairs_deliveries", "org_id", "organisations", False),
]


def upgrade() -> None:
    add_county_key(TABLES)


def downgrade() -> None:
    drop_county_key(TABLES)
