"""indexes of the county compliance page at 3,000 units

Revision ID: b14c0a1e5d20
Revises: d7a9c1e3f5b8
Create Date: 2026-12-09 00:00:00

* ``ix_items_state_org`` (state, org_id): the items waiting for approval across a subtree
  (a few of 300,000) without reading every item;
* ``ix_scheduled_disclosures_due`` (due_on, org_id, due_month, item_id, late): the subtree's
  expected disclosures of a period (the rates, overdue, late) and of the last 12 months (the
  trend) from the index alone.
"""

from __future__ import annotations

from alembic import op

revision = "b14c0a1e5d20"
down_revision = "d7a9c1e3f5b8"  # after the county appearances (one linear chain)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_state_org", "items", ["state", "org_id"])
    op.create_index(
        "ix_scheduled_disclosures_due",
        "scheduled_disclosures",
        ["due_on", "org_id", "due_month", "item_id", "late"],
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_disclosures_due", table_name="scheduled_disclosures")
    op.drop_index("ix_items_state_org", table_name="items")
