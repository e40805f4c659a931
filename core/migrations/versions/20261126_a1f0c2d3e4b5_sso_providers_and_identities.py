"""sso providers and identities

Revision ID: a1f0c2d3e4b5
Revises: cb2ee501bfe7
Create Date: 2026-11-26 18:15:00

Sign-in providers (government portals) stored in the database, with the client secret
encrypted (core.sso.crypto), and the identities they vouch for, keyed by (issuer, subject).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "a1f0c2d3e4b5"
down_revision = "cb2ee501bfe7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sso_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("org_claim", sa.String(length=100), nullable=True),
        sa.Column("claim_map", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["root_id"],
            ["organisations.id"],
            name=op.f("fk_sso_providers_root_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_providers")),
        sa.UniqueConstraint("name", name=op.f("uq_sso_providers_name")),
    )
    with op.batch_alter_table("sso_providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_providers_root_id"), ["root_id"], unique=False)

    op.create_table(
        "sso_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("realname_level", sa.Integer(), nullable=True),
        sa.Column("account_type", sa.String(length=40), nullable=True),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["sso_providers.id"],
            name=op.f("fk_sso_identities_provider_id_sso_providers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sso_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_sso_identities_issuer_subject")),
    )
    with op.batch_alter_table("sso_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sso_identities_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sso_identities_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sso_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_identities_user_id"))
        batch_op.drop_index(batch_op.f("ix_sso_identities_provider_id"))

    op.drop_table("sso_identities")
    with op.batch_alter_table("sso_providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_providers_root_id"))

    op.drop_table("sso_providers")
