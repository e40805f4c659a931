"""Queries of the supervision pages (no writes): inspections, findings and flags of an
organisation, and what waits for someone (My work). Each is one statement."""

from __future__ import annotations

from sqlalchemy import Select, and_, func, select

from core import db, permissions
from core.supervision.models import OPEN_FINDING_STATES, Finding, Inspection, SupervisionFlag
from core.supervision.workflow import MANAGERS, RESPONDERS
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


# --- what waits for someone (My work) --------------------------------------------------------


def _held(user, roles) -> list[int]:
    return sorted(o for o, held in permissions.roles_by_org(user).items() if held & roles)


def _by_org(query: Select) -> list[tuple[Organisation, int]]:
    rows = db.session.execute(query).all()
    return [(org, count) for org, count in rows]


def findings_to_rectify(user) -> list[tuple[Organisation, int]]:
    """``(unit, open findings)`` where ``user`` answers findings (an admin or editor of it)."""
    orgs = _held(user, RESPONDERS)
    if not orgs:
        return []
    return _by_org(
        select(Organisation, func.count(Finding.id))
        .join(Finding, Finding.org_id == Organisation.id)
        .where(Organisation.id.in_(orgs), Finding.state == "open")
        .group_by(Organisation.id)
        .order_by(Organisation.path)
    )


def findings_to_check(user) -> list[tuple[Organisation, int]]:
    """``(organisation, answered findings)`` that ``user`` closes or reopens (the findings its
    organisations raised, answered by the units)."""
    orgs = _held(user, MANAGERS)
    if not orgs:
        return []
    return _by_org(
        select(Organisation, func.count(Finding.id))
        .join(Finding, Finding.supervisor_org_id == Organisation.id)
        .where(Organisation.id.in_(orgs), Finding.state == "answered")
        .group_by(Organisation.id)
        .order_by(Organisation.path)
    )


def flags_to_decide(user) -> list[tuple[Organisation, int]]:
    """``(organisation, open flags of the units below it)`` where ``user`` decides on flags."""
    orgs = _held(user, MANAGERS)
    if not orgs:
        return []
    holder = Organisation.__table__.alias("holder")
    unit = Organisation.__table__.alias("unit")
    rows = db.session.execute(
        select(holder.c.id, func.count(SupervisionFlag.id))
        .join(
            unit,
            and_(unit.c.path.startswith(holder.c.path, autoescape=False), unit.c.id != holder.c.id),
        )
        .join(SupervisionFlag, SupervisionFlag.org_id == unit.c.id)
        .where(holder.c.id.in_(orgs), SupervisionFlag.state == "open")
        .group_by(holder.c.id)
    ).all()
    if not rows:
        return []
    found = {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(
        [r[0] for r in rows])))}  # fmt: skip
    return sorted(((found[i], n) for i, n in rows), key=lambda pair: pair[0].path)
