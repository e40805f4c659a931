"""Reactions to the supervision's events: whoever must act is told (:mod:`core.notifications`).

* an inspection recorded → the inspected unit's admins (they prepare for it);
* a finding raised → the responsible unit's admins and editors (they rectify it);
* a finding answered → the people of the organisation that raised it who close or reopen it;
* a finding closed or reopened → the responsible unit's admins and editors.
"""

from __future__ import annotations

from core import events
from core.notifications import operations as ops
from core.supervision.forms import FINDING_DECISIONS
from core.supervision.models import Finding, Inspection


def _finding_link(finding: Finding, org) -> str | None:
    return ops.path_for("supervision_admin.finding", org_code=org.code, finding_id=finding.id)


def _params(finding: Finding) -> dict:
    return {
        "org": ops.org_names(finding.supervisor),
        "unit": ops.org_names(finding.organisation),
        "excerpt": ops.excerpt(finding.description, 120),
        "deadline_on": finding.deadline.isoformat(),
    }


@events.inspection_recorded.connect
def on_inspection_recorded(inspection: Inspection, *, actor=None, **_kw) -> None:
    target = inspection.target
    if target.id == inspection.org_id:
        return
    ops.notify(
        ops.recipients("inspections.respond", target),
        "supervision.inspection_planned",
        org=target,
        params={
            "org": ops.org_names(inspection.organisation),
            "unit": ops.org_names(target),
            "subject": inspection.subject,
            "planned_on": inspection.planned_on.isoformat(),
        },
        link=ops.path_for("supervision_admin.index", org_code=target.code),
        about=("inspection", inspection.id),
        exclude=[actor],
    )


@events.finding_raised.connect
def on_finding_raised(finding: Finding, *, actor=None, **_kw) -> None:
    unit = finding.organisation
    ops.notify(
        ops.recipients("inspections.respond", unit),
        "supervision.finding_raised",
        org=unit,
        params=_params(finding),
        link=_finding_link(finding, unit),
        about=("finding", finding.id),
        exclude=[actor],
    )


@events.finding_answered.connect
def on_finding_answered(finding: Finding, *, actor=None, **_kw) -> None:
    supervisor = finding.supervisor
    ops.notify(
        ops.recipients("inspections.manage", supervisor, at=supervisor),
        "supervision.finding_answered",
        org=supervisor,
        params=_params(finding),
        link=_finding_link(finding, supervisor),
        about=("finding", finding.id),
        exclude=[actor],
    )


@events.finding_decided.connect
def on_finding_decided(finding: Finding, *, actor=None, decision: str, **_kw) -> None:
    unit = finding.organisation
    ops.notify(
        ops.recipients("inspections.respond", unit),
        "supervision.finding_decided",
        org=unit,
        params={**_params(finding), "decision": ops.texts(FINDING_DECISIONS[decision])},
        link=_finding_link(finding, unit),
        about=("finding", finding.id),
        exclude=[actor],
    )
