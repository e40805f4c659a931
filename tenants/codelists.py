"""Code lists (organisation types, sectors, ...): read from the ``code_list_entries`` table."""

from __future__ import annotations

from sqlalchemy import select

from core import db
from tenants.models import CodeListEntry

ORG_TYPE = "org_type"

BRANCH_TYPES = frozenset({"branch", "joint_branch"})
COMMITTEE_TYPES = frozenset({"party_committee"})


def entries(list_name: str) -> list[CodeListEntry]:
    return list(
        db.session.scalars(
            select(CodeListEntry)
            .where(CodeListEntry.list_name == list_name)
            .order_by(CodeListEntry.position, CodeListEntry.code)
        )
    )


def codes(list_name: str) -> set[str]:
    return set(
        db.session.scalars(select(CodeListEntry.code).where(CodeListEntry.list_name == list_name))
    )


def labels(list_name: str, locale: str) -> dict[str, str]:
    return {e.code: e.label(locale) for e in entries(list_name)}
