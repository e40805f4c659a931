"""disclosure requests

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
Create Date: 2026-11-26 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "e5f6a7b8c9d0"
down_revision = "d4e5f6a7b8c9"
branch_labels = None
depends_on = None

TABLES = (
    "request_escalations",
    "request_attachments",
    "request_decisions",
    "request_consultations",
    "disclosure_requests",
)


def upgrade() -> None:
    op.create_table(
        "disclosure_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=True),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_address", sa.String(length=500), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("clock_start", sa.Date(), nullable=False),
        sa.Column("decision_days", sa.Integer(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extended_on", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("deadline_provisional", sa.Boolean(), nullable=False),
        sa.Column("amend_request", sa.Text(), nullable=True),
        sa.Column("amend_due", sa.Date(), nullable=True),
        sa.Column("amendment", sa.Text(), nullable=True),
        sa.Column("amended_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('online', 'api', 'oral', 'paper', 'letter')",
            name=op.f("ck_disclosure_requests_channel"),
        ),
        sa.CheckConstraint(
            "delivery IN ('electronic', 'paper', 'collect', 'inspect')",
            name=op.f("ck_disclosure_requests_delivery"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('already_public', 'granted', 'granted_published', 'partly_granted', 'declined', 'not_held', 'not_this_unit', 'unclear', 'duplicate', 'rejected_invalid')",
            name=op.f("ck_disclosure_requests_outcome"),
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'accepted', 'consulting', 'awaiting_amendment', 'decided', 'rejected_invalid', 'lapsed', 'escalated')",
            name=op.f("ck_disclosure_requests_state"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["users.id"],
            name=op.f("fk_disclosure_requests_applicant_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_disclosure_requests_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_disclosure_requests_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_requests")),
        sa.UniqueConstraint(
            "org_id", "year", "seq", name=op.f("uq_disclosure_requests_org_id_year_seq")
        ),
    )
    with op.batch_alter_table("disclosure_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_requests_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_disclosure_requests_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_disclosure_requests_org_state", ["org_id", "state"], unique=False)
        batch_op.create_index(
            "ix_disclosure_requests_state_deadline", ["state", "deadline"], unique=False
        )

    op.create_table(
        "request_consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("third_party", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["users.id"],
            name=op.f("fk_request_consultations_ended_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_request_consultations_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_request_consultations_request_id_disclosure_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_request_consultations_started_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_consultations")),
    )
    with op.batch_alter_table("request_consultations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_consultations_org_id"), ["org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_request_consultations_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "request_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("declined_part", sa.Text(), nullable=True),
        sa.Column("reason_code", sa.String(length=30), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("public_item_id", sa.Integer(), nullable=True),
        sa.Column("public_url", sa.String(length=500), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("referred_org_id", sa.Integer(), nullable=True),
        sa.Column("referred_to", sa.String(length=300), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decided_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_with_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledgement", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('already_public', 'granted', 'granted_published', 'partly_granted', 'declined', 'not_held', 'not_this_unit', 'unclear', 'duplicate', 'rejected_invalid')",
            name=op.f("ck_request_decisions_outcome"),
        ),
        sa.CheckConstraint(
            "reason_code IS NULL OR reason_code IN ('state_secret', 'party_secret', 'personal_privacy', 'trade_secret', 'internal_affairs', 'process_information', 'security_stability', 'law_prohibits', 'other')",
            name=op.f("ck_request_decisions_reason_code"),
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_request_decisions_acknowledged_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_request_decisions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_request_decisions_duplicate_of_id_disclosure_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filed_with_id"],
            ["organisations.id"],
            name=op.f("fk_request_decisions_filed_with_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_request_decisions_item_id_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_request_decisions_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["public_item_id"],
            ["items.id"],
            name=op.f("fk_request_decisions_public_item_id_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referred_org_id"],
            ["organisations.id"],
            name=op.f("fk_request_decisions_referred_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_request_decisions_request_id_disclosure_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_decisions")),
    )
    with op.batch_alter_table("request_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_decisions_filed_with_id"), ["filed_with_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_request_decisions_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_request_decisions_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "request_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["request_decisions.id"],
            name=op.f("fk_request_attachments_decision_id_request_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_request_attachments_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_request_attachments_request_id_disclosure_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_request_attachments_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_attachments")),
    )
    with op.batch_alter_table("request_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_attachments_decision_id"), ["decision_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_request_attachments_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_request_attachments_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "request_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("to_org_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(length=24), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("escalated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalated_by_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'upheld', 'reconsider')",
            name=op.f("ck_request_escalations_state"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_request_escalations_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["request_decisions.id"],
            name=op.f("fk_request_escalations_decision_id_request_decisions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["escalated_by_id"],
            ["users.id"],
            name=op.f("fk_request_escalations_escalated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_request_escalations_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_request_escalations_request_id_disclosure_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_org_id"],
            ["organisations.id"],
            name=op.f("fk_request_escalations_to_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_escalations")),
    )
    with op.batch_alter_table("request_escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_escalations_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_request_escalations_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_request_escalations_to_org_id"), ["to_org_id"], unique=False
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
