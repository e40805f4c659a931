"""working day calendar

Revision ID: d4e5f6a7b8c9
Revises: c3d2e4f5a6b7
Create Date: 2026-11-26 18:45:00

The official holidays and make-up working days (调休) as data: the loaded years, their special
days, and the missing years the platform admins were alerted about. Tables only: the calendar
is seeded from the chinese-calendar package by ``gongkai calendar seed``, ``gongkai demo load``
and at first use (core.workdays), so this migration does not depend on the package's version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "d4e5f6a7b8c9"
down_revision = "c3d2e4f5a6b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workday_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("loaded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("loaded_by_id", sa.Integer(), nullable=True),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "source IN ('chinese-calendar', 'import', 'manual')",
            name=op.f("ck_workday_years_source"),
        ),
        sa.CheckConstraint("year BETWEEN 1900 AND 2999", name=op.f("ck_workday_years_year_range")),
        sa.ForeignKeyConstraint(
            ["loaded_by_id"],
            ["users.id"],
            name=op.f("fk_workday_years_loaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_workday_years")),
    )
    op.create_table(
        "workday_special_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "kind IN ('holiday', 'workday')", name=op.f("ck_workday_special_days_kind")
        ),
        sa.CheckConstraint(
            "source IN ('chinese-calendar', 'import', 'manual')",
            name=op.f("ck_workday_special_days_source"),
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["workday_years.year"],
            name=op.f("fk_workday_special_days_year_workday_years"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workday_special_days")),
        sa.UniqueConstraint("day", name=op.f("uq_workday_special_days_day")),
    )
    with op.batch_alter_table("workday_special_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workday_special_days_year"), ["year"], unique=False)
    op.create_table(
        "workday_missing_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_seen_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("alerted_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_workday_missing_years")),
    )


def downgrade() -> None:
    op.drop_table("workday_missing_years")
    with op.batch_alter_table("workday_special_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workday_special_days_year"))
    op.drop_table("workday_special_days")
    op.drop_table("workday_years")
