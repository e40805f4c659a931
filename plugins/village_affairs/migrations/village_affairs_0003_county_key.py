"""village_affairs: the county key (county_id) on the plugin's tables, filled from the data

Revision ID: village_affairs_0003
Revises: village_affairs_0002
"""

from __future__ import annotations

from core.toolkit import add_county_key, drop_county_key

revision = "village_affairs_0003"
down_revision = "village_affairs_0002"
branch_labels = None
depends_on = "f2a3b4c5d6e7"  # core's county key

TABLES = [
    ("village_affairs_committee_members", "org_id", "organisations", False),
    ("village_affairs_relatives", "org_id", "organisations", False),
    ("village_affairs_supervisors", "org_id", "organisations", False),
    ("village_affairs_signoffs", "org_id", "organisations", False),
]


def upgrade() -> None:
    add_county_key(TABLES)


def downgrade() -> None:
    drop_county_key(TABLES)
