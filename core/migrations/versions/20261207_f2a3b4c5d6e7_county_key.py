"""the county key: county_id on every table of an organisation's data

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
Create Date: 2026-12-07 21:00:00

Every tenant-owned table gains ``county_id``, the hosted county (root organisation) its row
belongs to, filled from the data (core.migrations.county_key) and from now on set on insert
(core.db.CountyKey): ``NOT NULL``, a foreign key to ``organisations``, indexed. Tables whose rows
may also be platform-wide (audit entries, API tokens, outbox jobs, notifications, sign-in
providers) get it nullable: NULL exactly when the row has no organisation.
"""

from __future__ import annotations

from core.migrations.county_key import add_county_key, drop_county_key

revision = "f2a3b4c5d6e7"
down_revision = "e1f2a3b4c5d6"
branch_labels = None
depends_on = None

ORG = "organisations"
TABLES = [
    # (table, the column its county comes from, that column's table, optional)
    ("memberships", "org_id", ORG, False),
    ("invitations", "org_id", ORG, False),
    ("org_parameters", "org_id", ORG, False),
    ("catalogues", "org_id", ORG, False),
    ("catalogue_versions", "org_id", ORG, False),
    ("catalogue_categories", "version_id", "catalogue_versions", False),
    ("catalogue_entries", "version_id", "catalogue_versions", False),
    ("items", "org_id", ORG, False),
    ("item_versions", "item_id", "items", False),
    ("item_reviews", "item_id", "items", False),
    ("item_attachments", "item_id", "items", False),
    ("item_audience", "item_id", "items", False),
    ("item_objections", "org_id", ORG, False),
    ("disclosure_flags", "org_id", ORG, False),
    ("workflow_steps", "org_id", ORG, False),
    ("search_documents", "org_id", ORG, False),
    ("disclosure_requests", "org_id", ORG, False),
    ("request_decisions", "org_id", ORG, False),
    ("request_attachments", "org_id", ORG, False),
    ("request_consultations", "org_id", ORG, False),
    ("request_escalations", "org_id", ORG, False),
    ("feedback_entries", "org_id", ORG, False),
    ("feedback_notes", "org_id", ORG, False),
    ("evaluation_rounds", "org_id", ORG, False),
    ("evaluation_units", "org_id", ORG, False),
    ("evaluation_voters", "org_id", ORG, False),
    ("evaluation_ballots", "org_id", ORG, False),
    ("register_entries", "org_id", ORG, False),
    ("register_heads", "org_id", ORG, False),
    ("register_checkpoints", "org_id", ORG, False),
    ("assessment_schemes", "org_id", ORG, False),
    ("assessment_criteria", "org_id", ORG, False),
    ("assessment_sheets", "org_id", ORG, False),
    ("assessment_scores", "org_id", ORG, False),
    ("assessment_evidence", "org_id", ORG, False),
    ("designations", "org_id", ORG, False),
    ("campaigns", "org_id", ORG, False),
    ("campaign_stages", "org_id", ORG, False),
    ("campaign_units", "org_id", ORG, False),
    ("campaign_checks", "org_id", ORG, False),
    ("campaign_evidence", "org_id", ORG, False),
    ("half_year_reports", "org_id", ORG, False),
    ("audit_entries", "org_id", ORG, True),
    ("api_tokens", "org_id", ORG, True),
    ("job_outbox", "org_id", ORG, True),
    ("notifications", "org_id", ORG, True),
    ("sso_providers", "root_id", ORG, True),
]


def upgrade() -> None:
    add_county_key(TABLES)


def downgrade() -> None:
    drop_county_key(TABLES)
