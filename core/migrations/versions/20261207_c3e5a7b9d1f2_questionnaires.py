"""questionnaires (调查表): a unit's short surveys, their anonymous answers, the keyed hashes of
the addresses that answered

Revision ID: c3e5a7b9d1f2
Revises: b5d8f0a2c4e6
Create Date: 2026-12-07 00:40:00

* ``questionnaires``: titles, introduction, questions (JSON), period, state; county-keyed.
* ``questionnaire_responses``: the answers, with a random id, no address and no time.
* ``questionnaire_respondents``: the keyed hash (HMAC-SHA256) of each address that answered,
  unique per questionnaire; never the address.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "c3e5a7b9d1f2"
down_revision = "b5d8f0a2c4e6"
branch_labels = None
depends_on = None


def _keys(table: str) -> list:
    return [
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f(f"fk_{table}_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["county_id"], ["organisations.id"], name=op.f(f"fk_{table}_county_id_organisations")
        ),
    ]


def _indexes(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_org_id"), table, ["org_id"])
    op.create_index(op.f(f"ix_{table}_county_id"), table, ["county_id"])


def upgrade() -> None:
    op.create_table(
        "questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("intros", sa.JSON(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", core.db.UTCDateTime(timezone=True), nullable=True),
        *_keys("questionnaires"),
        sa.CheckConstraint(
            "state IN ('draft', 'open', 'closed', 'published')",
            name=op.f("ck_questionnaires_state"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_questionnaires_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaires")),
    )
    _indexes("questionnaires")
    op.create_index("ix_questionnaires_org_state", "questionnaires", ["org_id", "state"])
    for table in ("questionnaire_responses", "questionnaire_respondents"):
        columns = (
            [
                sa.Column("id", sa.String(length=32), nullable=False),
                sa.Column("answers", sa.JSON(), nullable=False),
            ]
            if table == "questionnaire_responses"
            else [
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("address_hash", sa.String(length=64), nullable=False),
            ]
        )
        extra = (
            [
                sa.UniqueConstraint(
                    "questionnaire_id",
                    "address_hash",
                    name=op.f("uq_questionnaire_respondents_questionnaire_id_address_hash"),
                )
            ]
            if table == "questionnaire_respondents"
            else []
        )
        op.create_table(
            table,
            *columns,
            sa.Column("questionnaire_id", sa.Integer(), nullable=False),
            *_keys(table),
            sa.ForeignKeyConstraint(
                ["questionnaire_id"],
                ["questionnaires.id"],
                name=op.f(f"fk_{table}_questionnaire_id_questionnaires"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            *extra,
        )
        _indexes(table)
        op.create_index(op.f(f"ix_{table}_questionnaire_id"), table, ["questionnaire_id"])


def downgrade() -> None:
    for table in ("questionnaire_respondents", "questionnaire_responses", "questionnaires"):
        op.drop_table(table)
