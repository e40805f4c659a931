"""notification channels, objections handled

Revision ID: 8793a786548c
Revises: 4b71ac7efc95
Create Date: 2026-12-06 20:15:08

* ``notification_channel_choices`` (a person's choice of an extra channel per kind) and
  ``notification_deliveries`` (a notification sent through an extra channel, with its attempts);
* objections: their receipt number and the digest of their lookup code, and the unit's handling
  (what was checked, the outcome, the reason, the remedy, who and when). Objections lodged
  before have no lookup code: they get a receipt number, so that staff can name them, and can
  be looked up by nobody.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import core.db

revision = "8793a786548c"
down_revision = "4b71ac7efc95"
branch_labels = None
depends_on = None

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # as core.receipts (a migration keeps its own copy)


def upgrade() -> None:
    op.create_table(
        "notification_channel_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_notification_channel_choices_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channel_choices")),
        sa.UniqueConstraint(
            "user_id", "kind", "channel",
            name=op.f("uq_notification_channel_choices_user_id_kind_channel"),
        ),
    )  # fmt: skip
    with op.batch_alter_table("notification_channel_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_channel_choices_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("gave_up", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint(
            "notification_id", "channel",
            name=op.f("uq_notification_deliveries_notification_id_channel"),
        ),
    )  # fmt: skip
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_notification_id"),
            ["notification_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notification_deliveries_pending", ["sent_at", "attempts"], unique=False
        )

    with op.batch_alter_table("item_objections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("lookup_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("checked", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("remedy", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("handled_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("handled_by_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_item_objections_receipt"), ["receipt"])
        batch_op.create_check_constraint(
            "outcome", "outcome IS NULL OR outcome IN ('upheld', 'dismissed')"
        )
        batch_op.create_check_constraint(
            "remedy",
            "remedy IS NULL OR remedy IN ('amendment', 'withholding', 'revocation')",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_item_objections_handled_by_id_users"),
            "users", ["handled_by_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip

    # objections lodged before: a receipt number each (no lookup code: nobody can look them up)
    bind = op.get_bind()
    objections = sa.table("item_objections", sa.column("id"), sa.column("receipt"))
    taken: set[str] = set()
    for (objection_id,) in bind.execute(sa.select(objections.c.id)).all():
        receipt = ""
        while not receipt or receipt in taken:
            raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
            receipt = f"YY-{raw[:4]}-{raw[4:]}"
        taken.add(receipt)
        bind.execute(
            objections.update().where(objections.c.id == objection_id).values(receipt=receipt)
        )


def downgrade() -> None:
    with op.batch_alter_table("item_objections", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_item_objections_handled_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("ck_item_objections_remedy"), type_="check")
        batch_op.drop_constraint(op.f("ck_item_objections_outcome"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_item_objections_receipt"), type_="unique")
        for column in ("handled_by_id", "handled_at", "remedy", "reason",
                       "checked", "outcome", "lookup_hash", "receipt"):  # fmt: skip
            batch_op.drop_column(column)

    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_deliveries_pending")
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_notification_id"))
    op.drop_table("notification_deliveries")
    with op.batch_alter_table("notification_channel_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_channel_choices_user_id"))
    op.drop_table("notification_channel_choices")
