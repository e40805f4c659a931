"""Queries of the supervision pages (no writes): inspections, findings and flags of an
organisation, and what waits for someone (My work). Each is one statement."""

from __future__ import annotations

from sqlalchemy import func, select

from core import db
from core.supervision.models import OPEN_FINDING_STATES, Finding, Inspection, SupervisionFlag
from tenants.models import Organisation


def inspections_by(org: Organisation) -> list[Inspection]:
    """The inspections ``org`` recorded, the newest first."""
    return list(
        db.session.scalars(
            select(Inspection)
            .where(Inspection.org_id == org.id)
            .order_by(Inspection.planned_on.desc(), Inspection.id.desc())
        )
    )


def inspections_of(org: Organisation) -> list[Inspection]:
    """The inspections of ``org`` recorded by its superiors (not cancelled), the newest first."""
    return list(
        db.session.scalars(
            select(Inspection)
            .where(
                Inspection.target_org_id == org.id,
                Inspection.org_id != org.id,
                Inspection.state != "cancelled",
            )
            .order_by(Inspection.planned_on.desc(), Inspection.id.desc())
        )
    )


def findings_of_inspection(inspection: Inspection) -> list[Finding]:
    return list(
        db.session.scalars(
            select(Finding).where(Finding.inspection_id == inspection.id).order_by(Finding.id)
        )
    )


def findings_of(org: Organisation, *, open_only: bool = False) -> list[Finding]:
    """The findings ``org`` is responsible for: open ones first, by deadline."""
    query = select(Finding).where(Finding.org_id == org.id)
    if open_only:
        query = query.where(Finding.state.in_(OPEN_FINDING_STATES))
    order = (Finding.state == "closed", Finding.deadline, Finding.id)
    return list(db.session.scalars(query.order_by(*order)))


def findings_raised_by(org: Organisation, *, open_only: bool = True) -> list[Finding]:
    """The findings ``org`` raised (by its inspections or by confirming flags)."""
    query = select(Finding).where(Finding.supervisor_org_id == org.id)
    if open_only:
        query = query.where(Finding.state.in_(OPEN_FINDING_STATES))
    order = (Finding.state != "answered", Finding.deadline, Finding.id)
    return list(db.session.scalars(query.order_by(*order)))


def flags_query(org: Organisation, *, below: bool, states=("open",), kind: str | None = None):
    """Flags of the units strictly below ``org`` (``below``), else of ``org`` itself."""
    query = select(SupervisionFlag).join(Organisation, Organisation.id == SupervisionFlag.org_id)
    if below:
        query = query.where(
            Organisation.path.startswith(org.path, autoescape=True), Organisation.id != org.id
        )
    else:
        query = query.where(SupervisionFlag.org_id == org.id)
    if states:
        query = query.where(SupervisionFlag.state.in_(states))
    if kind:
        query = query.where(SupervisionFlag.kind == kind)
    return query.order_by(SupervisionFlag.raised_at.desc(), SupervisionFlag.id.desc())


def flag_counts_below(org: Organisation) -> dict[str, int]:
    """``{kind: open flags}`` of the units below ``org``."""
    rows = db.session.execute(
        flags_query(org, below=True)
        .order_by(None)
        .with_only_columns(SupervisionFlag.kind, func.count(SupervisionFlag.id))
        .group_by(SupervisionFlag.kind)
    )
    return dict(tuple(r) for r in rows)
