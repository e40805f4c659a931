"""leading group versions, password reset links, audit search indexes

Revision ID: a7c3e9f1d2b4
Revises: e7b13a0d5c21
Create Date: 2026-12-07 10:00:00

* ``leading_group_versions``: every version of an organisation's disclosure leading group
  (ORG-2). An organisation that has a group gets it as version 1 (source ``migration``), in the
  canonical shape of ``tenants.leading_group``: a person written as one text
  ``"name（post）"`` becomes ``{name, post}``.
* ``password_resets``: the one-time links a platform admin makes (only the token's hash).
* ``audit_entries``: indexes on the actor and the action (the platform console's search).
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

import core.db
from core.migrations.county_key import add_county_key, drop_county_key

revision = "a7c3e9f1d2b4"
down_revision = "e7b13a0d5c21"
branch_labels = None
depends_on = None

PERSON_ROLES = ("leader", "office_director", "liaison")
LIST_ROLES = ("deputies", "members", "office_deputy_directors", "office_members")
FIELDS = ("leader", "deputies", "members", "office", "office_director",
          "office_deputy_directors", "office_members", "liaison", "office_phone",
          "office_email")  # fmt: skip
WITH_POST = re.compile(r"^(?P<name>[^（(]+?)\s*[（(](?P<post>.+)[）)]\s*$")


def _person(value):
    """A person of the older shape (one text) as ``{name, post}`` (a copy of
    ``tenants.leading_group.person_from_text``: a migration keeps its own rules)."""
    if isinstance(value, dict):
        return {k: str(v).strip() for k, v in value.items() if k in ("name", "post") and v}
    text = str(value or "").strip()
    match = WITH_POST.match(text)
    if match:
        return {"name": match["name"].strip(), "post": match["post"].strip()}
    return {"name": text} if text else {}


def canonical(group) -> dict:
    if not isinstance(group, dict):
        return {}
    out = {}
    for key in FIELDS:
        value = group.get(key)
        if key in PERSON_ROLES:
            person = _person(value)
            if person:
                out[key] = person
        elif key in LIST_ROLES:
            people = [p for p in (_person(v) for v in value or [] if v) if p]
            if people:
                out[key] = people
        elif value:
            out[key] = str(value).strip()
    return out


COUNTY_KEYED = [("leading_group_versions", "org_id", "organisations", False)]


def upgrade() -> None:
    op.create_table(
        "leading_group_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "source IN ('console', 'import', 'demo', 'migration')",
            name=op.f("ck_leading_group_versions_source"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_leading_group_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_leading_group_versions_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leading_group_versions")),
        sa.UniqueConstraint(
            "org_id", "number", name=op.f("uq_leading_group_versions_org_id_number")
        ),
    )
    op.create_index(op.f("ix_leading_group_versions_org_id"), "leading_group_versions", ["org_id"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_password_resets_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_resets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"])
    op.create_index("ix_audit_entries_actor_id", "audit_entries", ["actor_id"])
    op.create_index(
        "ix_audit_entries_action",
        "audit_entries",
        ["action"],
        postgresql_ops={"action": "varchar_pattern_ops"},
    )

    # the groups organisations have: canonical shape, and version 1 of their history
    bind = op.get_bind()
    orgs = sa.table(
        "organisations", sa.column("id", sa.Integer), sa.column("leading_group", sa.JSON)
    )
    versions = sa.table(
        "leading_group_versions",
        sa.column("org_id", sa.Integer),
        sa.column("number", sa.Integer),
        sa.column("content", sa.JSON),
        sa.column("source", sa.String),
        sa.column("note", sa.String),
        sa.column("created_at", core.db.UTCDateTime(timezone=True)),
    )
    now = core.db.utcnow()
    rows = []
    for org_id, group in bind.execute(sa.select(orgs.c.id, orgs.c.leading_group)).all():
        if isinstance(group, str):  # a JSON text (a driver that does not decode it)
            group = json.loads(group or "{}")
        content = canonical(group)
        if content != group:
            bind.execute(orgs.update().where(orgs.c.id == org_id).values(leading_group=content))
        if content:
            rows.append({"org_id": org_id, "number": 1, "content": content,
                         "source": "migration", "note": "", "created_at": now})  # fmt: skip
    if rows:
        bind.execute(versions.insert(), rows)
    add_county_key(COUNTY_KEYED)  # filled from the organisations (core.db.CountyKey from now on)


def downgrade() -> None:
    drop_county_key(COUNTY_KEYED)
    op.drop_index("ix_audit_entries_action", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_id", table_name="audit_entries")
    op.drop_index(op.f("ix_password_resets_user_id"), table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index(op.f("ix_leading_group_versions_org_id"), table_name="leading_group_versions")
    op.drop_table("leading_group_versions")
    # the groups in the older shape: a person as one text, only the fields it knew
    bind = op.get_bind()
    orgs = sa.table(
        "organisations", sa.column("id", sa.Integer), sa.column("leading_group", sa.JSON)
    )
    for org_id, group in bind.execute(sa.select(orgs.c.id, orgs.c.leading_group)).all():
        if isinstance(group, str):
            group = json.loads(group or "{}")
        if group:
            bind.execute(
                orgs.update().where(orgs.c.id == org_id).values(leading_group=older(group))
            )


def _text(person) -> str:
    if not isinstance(person, dict):
        return str(person or "")
    name, post = person.get("name", ""), person.get("post", "")
    return f"{name}（{post}）" if post else name


def older(group: dict) -> dict:
    out = {}
    for key in ("leader", "office_director", "liaison"):
        if group.get(key):
            out[key] = _text(group[key])
    for key in ("deputies", "members"):
        if group.get(key):
            out[key] = [_text(p) for p in group[key]]
    if group.get("office"):
        out["office"] = group["office"]
    return out
