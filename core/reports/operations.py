"""Half-year report operations (RPT-1): the only code that changes reports.

A report is prepared as a draft for a unit and a period (:func:`prepare`; the sweep
:func:`prepare_due` does it for every unit once its period is over), its statistics drawn from the
data (:mod:`core.reports.statistics`) and drawn again on request while it is a draft
(:func:`refresh`); the unit writes its narrative (:func:`update_narrative`) and submits it
(:func:`submit`: the statistics are drawn a last time and frozen; a first submission after the
due date is *late*); the superior accepts it (:func:`accept`) or returns it with a comment
(:func:`return_report`). Each step runs in the caller's unit of work; the workflow writes the
history and the audit entries; the events ``report_submitted`` and ``report_decided`` tell
people.

For other packages (the compliance page, My work): :func:`last_reports`, :func:`due_for`,
:func:`waiting_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, or_, select

from core import audit, db, events, localtime, permissions
from core.errors import UserError
from core.reports import periods, statistics
from core.reports import workflow as wf
from core.reports.models import MAX_NARRATIVE, NARRATIVE, OPEN_STATES, HalfYearReport
from core.reports.periods import Period
from core.workflow import engine
from core.workflow.engine import SYSTEM
from tenants import hierarchy
from tenants.models import Organisation

today = localtime.today
"""The day it is in an organisation's time zone (by :func:`core.db.utcnow`)."""


# --- reading ---------------------------------------------------------------------------------


def get(org: Organisation, report_id: int) -> HalfYearReport | None:
    found = db.session.get(HalfYearReport, report_id) if 0 < report_id < 2**31 else None
    return found if found is not None and found.org_id == org.id else None


def find(org: Organisation, period_key: str) -> HalfYearReport | None:
    return db.session.scalar(
        select(HalfYearReport).where(
            HalfYearReport.org_id == org.id, HalfYearReport.period_key == period_key
        )
    )


def reports_of(org: Organisation) -> list[HalfYearReport]:
    """``org``'s own reports, newest period first."""
    return list(
        db.session.scalars(
            select(HalfYearReport)
            .where(HalfYearReport.org_id == org.id)
            .order_by(HalfYearReport.ends_on.desc())
        )
    )


@dataclass
class UnitStatus:
    """A unit of a superior's subtree and its report for one period (None: none prepared)."""

    unit: Organisation
    report: HalfYearReport | None
    due_on: date | None

    def state(self, on: date) -> str:
        """``accepted``, ``submitted``, ``returned``, ``draft``, ``missing`` (not submitted
        and due), or ``none`` (no report yet and not due)."""
        if self.report is not None:
            return "missing" if self.report.missing(on) else self.report.state
        if self.due_on is not None and on > self.due_on:
            return "missing"
        return "none"


def units_status(superior: Organisation, period_key: str) -> list[UnitStatus]:
    """Every enabled unit below ``superior`` (its whole subtree) with its report for the period,
    in tree order (two queries)."""
    units = [u for u in hierarchy.subtree(superior, include_self=False) if u.enabled]
    if not units:
        return []
    found = {
        r.org_id: r
        for r in db.session.scalars(
            select(HalfYearReport).where(
                HalfYearReport.org_id.in_([u.id for u in units]),
                HalfYearReport.period_key == period_key,
            )
        )
    }
    parsed = periods.parse_key(period_key)
    own = periods.period_ending(superior, *parsed) if parsed else None
    out = []
    for unit in units:
        report = found.get(unit.id)
        due = report.due_on if report is not None else (own.due_on if own else None)
        out.append(UnitStatus(unit, report, due))
    return out


def summary(superior: Organisation, period_key: str) -> tuple[dict[str, Any], list[HalfYearReport]]:
    """The sum of the statistics of the reports submitted (or accepted) for the period by the
    units below ``superior``, and those reports."""
    reports = list(
        db.session.scalars(
            select(HalfYearReport)
            .join(Organisation, Organisation.id == HalfYearReport.org_id)
            .where(
                Organisation.path.startswith(superior.path, autoescape=True),
                Organisation.id != superior.id,
                HalfYearReport.period_key == period_key,
                HalfYearReport.state.in_(("submitted", "accepted")),
            )
            .order_by(Organisation.depth, Organisation.position, Organisation.code)
        )
    )
    return statistics.add([r.statistics for r in reports]), reports


def last_reports(org_ids) -> dict[int, HalfYearReport]:
    """``{org id: its latest report}`` (by period) of the given units, in one query: the
    "last half-year report" of the compliance page."""
    ids = list(set(org_ids))
    if not ids:
        return {}
    latest = (
        select(HalfYearReport.org_id, func.max(HalfYearReport.ends_on).label("ends_on"))
        .where(HalfYearReport.org_id.in_(ids))
        .group_by(HalfYearReport.org_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(HalfYearReport).join(
            latest,
            (latest.c.org_id == HalfYearReport.org_id)
            & (latest.c.ends_on == HalfYearReport.ends_on),
        )
    )
    return {r.org_id: r for r in rows}


def due_for(user) -> list[HalfYearReport]:
    """The reports the user has to submit (an admin or editor of the unit): drafts and returned
    reports, earliest due first (My work)."""
    ids = permissions.orgs_holding(user, "reports.edit")
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(HalfYearReport)
            .where(HalfYearReport.org_id.in_(ids), HalfYearReport.state.in_(OPEN_STATES))
            .order_by(HalfYearReport.due_on, HalfYearReport.id)
        )
    )


def waiting_for(user) -> list[HalfYearReport]:
    """Submitted reports of the units below the organisations where the user decides (My
    work), oldest first."""
    ids = permissions.orgs_holding(user, "reports.decide")
    if not ids:
        return []
    paths = [
        o.path for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    ]
    return list(
        db.session.scalars(
            select(HalfYearReport)
            .join(Organisation, Organisation.id == HalfYearReport.org_id)
            .where(
                HalfYearReport.state == "submitted",
                or_(*(Organisation.path.startswith(p, autoescape=True) for p in paths)),
                Organisation.id.not_in(ids),
            )
            .order_by(HalfYearReport.submitted_at, HalfYearReport.id)
        )
    )


def history(report: HalfYearReport):
    return engine.history(wf.report, report)


# --- preparing -------------------------------------------------------------------------------


def _draw(report: HalfYearReport) -> None:
    org = report.organisation
    report.statistics = statistics.draw(org, report.starts_on, report.ends_on, today(org))
    report.counted_at = db.utcnow()


def prepare(org: Organisation, period: Period, *, actor=SYSTEM) -> HalfYearReport:
    """The draft report of ``org`` for ``period`` (made now with its statistics, or the one
    that exists). A county has no superior on the platform and reports to nobody."""
    existing = find(org, period.key)
    if existing is not None:
        return existing
    if org.parent_id is None:
        raise UserError(gettext("A county reports to no superior on the platform."))
    if actor is not SYSTEM and not permissions.may(actor, "reports.edit", org):
        raise UserError(gettext("Only the admins and editors of this unit prepare its reports."))
    report = HalfYearReport(
        org_id=org.id,
        root_id=org.root_id or org.id,
        superior_id=org.parent_id,
        period_key=period.key,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        due_on=period.due_on,
        state="draft",
    )
    report.organisation = org
    _draw(report)
    db.session.add(report)
    db.session.flush()
    audit.log(
        "report.prepare",
        "half_year_report",
        report.id,
        org_id=org.id,
        actor=actor,
        changes={"period": [None, period.key], "due_on": [None, period.due_on.isoformat()]},
    )
    return report


def prepare_due(on: date | None = None) -> int:
    """The sweep: a draft for every enabled unit below a county whose latest period is over
    and has no report yet; returns how many were made."""
    from core.params import operations as params

    made = 0
    with params.cached():
        for root in hierarchy.roots():
            units = [u for u in hierarchy.subtree(root, include_self=False) if u.enabled]
            if not units:
                continue
            have = set(
                db.session.execute(
                    select(HalfYearReport.org_id, HalfYearReport.period_key).where(
                        HalfYearReport.root_id == root.id
                    )
                ).all()
            )
            for unit in units:
                period = periods.last_ended(unit, on or today(unit))
                if (unit.id, period.key) not in have:
                    prepare(unit, period)
                    made += 1
    return made


def _require_open(report: HalfYearReport) -> None:
    if report.state not in OPEN_STATES:
        raise UserError(
            gettext("A submitted report is frozen: it can be changed only if it is returned.")
        )


def refresh(report: HalfYearReport, *, actor) -> None:
    """Draw the statistics again (a draft or a returned report)."""
    if not permissions.may(actor, "reports.edit", report.organisation):
        raise UserError(gettext("Only the admins and editors of this unit prepare its reports."))
    _require_open(report)
    _draw(report)
    db.session.flush()
    audit.log("report.refresh", "half_year_report", report.id, org_id=report.org_id, actor=actor)


def clean_narrative(data: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    out, problems = {}, []
    for name in NARRATIVE:
        text = str(data.get(name) or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_NARRATIVE:
            problems.append(f"{name}: " + gettext("At most %(n)s characters.", n=MAX_NARRATIVE))
        out[name] = text
    return out, problems


def update_narrative(report: HalfYearReport, data: dict[str, Any], *, actor) -> bool:
    """The narrative — practices, problems, suggestions — of a draft or returned report;
    False when nothing changed."""
    if not permissions.may(actor, "reports.edit", report.organisation):
        raise UserError(gettext("Only the admins and editors of this unit prepare its reports."))
    _require_open(report)
    values, problems = clean_narrative(data)
    if problems:
        raise UserError(gettext("The report was not saved."), problems=problems)
    changes = audit.diff(report.narrative(), values)
    if not changes:
        return False
    for name, text in values.items():
        setattr(report, name, text)
    db.session.flush()
    audit.log(
        "report.update",
        "half_year_report",
        report.id,
        org_id=report.org_id,
        actor=actor,
        changes=changes,
    )
    return True


# --- the steps -------------------------------------------------------------------------------


def submit(report: HalfYearReport, *, actor) -> HalfYearReport:
    """Submit to the superior: the statistics are drawn a last time and frozen; a first
    submission after the due date is late (RPT-1)."""
    org = report.organisation

    def effect(r: HalfYearReport) -> None:
        _draw(r)
        now = db.utcnow()
        r.submitted_at = now
        r.submitted_by_id = getattr(actor, "id", None)
        if r.first_submitted_at is None:
            r.first_submitted_at = now
            r.late = localtime.date_of(now, org) > r.due_on
        r.return_comment = None

    engine.run(wf.report, report, "submit", actor=actor, effect=effect)
    events.report_submitted.send(report, actor=actor)
    return report


def accept(report: HalfYearReport, *, actor) -> HalfYearReport:
    def effect(r: HalfYearReport) -> None:
        r.decided_at, r.decided_by_id = db.utcnow(), getattr(actor, "id", None)

    engine.run(wf.report, report, "accept", actor=actor, effect=effect)
    events.report_decided.send(report, actor=actor, decision="accepted", comment=None)
    return report


def return_report(report: HalfYearReport, *, actor, comment: str) -> HalfYearReport:
    comment = (comment or "").strip()

    def effect(r: HalfYearReport) -> None:
        r.decided_at, r.decided_by_id = db.utcnow(), getattr(actor, "id", None)
        r.return_comment = comment

    engine.run(wf.report, report, "return", actor=actor, inputs={"comment": comment}, effect=effect)
    events.report_decided.send(report, actor=actor, decision="returned", comment=comment)
    return report
