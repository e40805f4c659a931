"""Supervision operations: the only code that changes inspections, findings and flags.

Each function validates, changes, flushes, runs at most one workflow transition
(:mod:`core.supervision.workflow`: its history and audit entry), sends the domain event
(``core.events.inspection_recorded``, ``finding_*``) that the notifications listen to, and
writes an audit entry for what is not a transition. Nothing here commits or reads ``request``.

The flag sweep (:func:`raise_flags`) is one of them: it raises what :mod:`core.supervision.flags`
detects, never twice (the unique key of a flag), and marks as resolved the open flags whose
condition ended.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from core import audit, db, events, localtime, permissions
from core import text as text_cleaning
from core.errors import Forbidden, UserError
from core.params import operations as params
from core.supervision import flags as detection
from core.supervision import workflow as wf
from core.supervision.models import (
    INSPECTION_KINDS,
    SUBJECT_MAX,
    TEXT_MAX,
    Finding,
    Inspection,
    SupervisionFlag,
)
from core.workflow import engine
from core.workflow.engine import SYSTEM
from tenants import hierarchy
from tenants.models import Organisation, User

today = localtime.today


# --- small helpers ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A text as stored: CRLF made LF, outer blank space stripped."""
    return str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _day(value: Any, field: str, problems: list[str]) -> date | None:
    try:
        return text_cleaning.as_date(value)
    except (TypeError, ValueError):
        problems.append(f"{field}: " + gettext("not a date (YYYY-MM-DD)."))
        return None


def _at_most(n: int) -> str:
    return gettext("at most %(n)s characters.", n=n)


def _require(actor, action: str, obj, message: str) -> None:
    if not permissions.may(actor, action, obj):
        raise Forbidden(message)


def _in_subtree(org: Organisation, root: Organisation) -> bool:
    return org.enabled and hierarchy.is_in_subtree(org, root)


def default_deadline(org: Organisation, start: date | None = None) -> date:
    """The default rectification deadline: ``supervision.rectification_days`` after today."""
    return (start or today(org)) + timedelta(
        days=params.value(org, "supervision.rectification_days")
    )


# --- inspections -----------------------------------------------------------------------------


def record_inspection(org: Organisation, data: dict[str, Any], *, actor) -> Inspection:
    """An inspection recorded by ``org`` of ``target`` (``org`` itself or a unit below it):
    ``kind`` planned (it starts later) or ad_hoc (it is underway at once), ``subject``,
    ``basis``, ``planned_on`` (the day it is held or planned), ``inspector`` (a user)."""
    _require(actor, "inspections.manage", org, gettext("You may not record inspections here."))
    problems: list[str] = []
    kind = data.get("kind") or "planned"
    if kind not in INSPECTION_KINDS:
        problems.append(
            "kind: " + gettext("unknown kind of inspection “%(kind)s”.", kind=str(kind)[:40])
        )
    target = data.get("target")
    if not isinstance(target, Organisation) or not _in_subtree(target, org):
        problems.append("target: " + gettext("choose this organisation or a unit below it."))
    subject = _text(data.get("subject"))
    if not subject:
        problems.append("subject: " + gettext("say what is inspected."))
    elif len(subject) > SUBJECT_MAX:
        problems.append("subject: " + _at_most(SUBJECT_MAX))
    basis = _text(data.get("basis"))
    if len(basis) > TEXT_MAX:
        problems.append("basis: " + _at_most(TEXT_MAX))
    planned_on = _day(data.get("planned_on"), "planned_on", problems) or today(org)
    if kind == "ad_hoc" and planned_on > today(org):
        problems.append(
            "planned_on: " + gettext("an ad hoc inspection is held today or was held already.")
        )
    inspector = data.get("inspector")
    if inspector is not None and not isinstance(inspector, User):
        problems.append("inspector: " + gettext("unknown person."))
    if problems:
        raise UserError(gettext("The inspection was not saved."), problems=problems)
    inspection = Inspection(
        org_id=org.id,
        target_org_id=target.id,
        kind=kind,
        subject=subject,
        basis=basis,
        planned_on=planned_on,
        inspector_id=(inspector or actor).id,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(inspection)
    db.session.flush()
    db.session.refresh(inspection)
    audit.log(
        "inspection.record",
        "inspection",
        inspection.id,
        org_id=org.id,
        actor=actor,
        changes={
            "kind": [None, kind],
            "target": [None, target.code],
            "subject": [None, subject],
            "planned_on": [None, planned_on.isoformat()],
        },
    )
    if kind == "ad_hoc":
        start(inspection, actor=actor)
    events.inspection_recorded.send(inspection, actor=actor)
    return inspection


def start(inspection: Inspection, *, actor) -> Inspection:
    def effect(it: Inspection) -> None:
        it.held_on = min(it.planned_on, today(it.organisation))

    engine.run(wf.inspection, inspection, "start", actor=actor, effect=effect)
    return inspection


def conclude(inspection: Inspection, *, actor, summary: str) -> Inspection:
    """The inspection is over; its findings go on until each is closed."""
    summary = _text(summary)

    def validate(_it: Inspection) -> None:
        if not summary:
            raise UserError(
                gettext("The inspection was not concluded."),
                problems=["summary: " + gettext("write the conclusion.")],
            )
        if len(summary) > TEXT_MAX:
            raise UserError(
                gettext("The inspection was not concluded."),
                problems=["summary: " + _at_most(TEXT_MAX)],
            )

    def effect(it: Inspection) -> None:
        it.summary = summary

    engine.run(
        wf.inspection,
        inspection,
        "conclude",
        actor=actor,
        inputs={"comment": summary},
        validate=validate,
        effect=effect,
    )
    return inspection


def cancel(inspection: Inspection, *, actor, reason: str) -> Inspection:
    reason = _text(reason)

    def effect(it: Inspection) -> None:
        it.cancel_reason = reason

    engine.run(
        wf.inspection, inspection, "cancel", actor=actor, inputs={"reason": reason}, effect=effect
    )
    return inspection


# --- findings --------------------------------------------------------------------------------


def _finding_fields(
    supervisor: Organisation, within: Organisation, data: dict[str, Any], problems: list[str]
) -> dict[str, Any]:
    unit = data.get("unit")
    if not isinstance(unit, Organisation) or not _in_subtree(unit, within):
        problems.append("unit: " + gettext("choose the inspected unit or a unit below it."))
    description = _text(data.get("description"))
    if not description:
        problems.append("description: " + gettext("describe what was found."))
    requirement = _text(data.get("requirement"))
    for name, value in (("description", description), ("requirement", requirement)):
        if len(value) > TEXT_MAX:
            problems.append(f"{name}: " + _at_most(TEXT_MAX))
    raw = data.get("deadline")
    deadline = _day(raw, "deadline", problems)
    if raw in (None, ""):
        deadline = default_deadline(supervisor)
    if deadline is not None and deadline < today(supervisor):
        problems.append("deadline: " + gettext("the rectification deadline cannot be in the past."))
    return {
        "org_id": getattr(unit, "id", None),
        "description": description,
        "requirement": requirement,
        "deadline": deadline,
    }


def add_finding(inspection: Inspection, data: dict[str, Any], *, actor) -> Finding:
    """A finding of an inspection that is underway: ``unit`` (the inspected unit or one below
    it) rectifies ``description`` by ``deadline`` (default: ``supervision.rectification_days``)
    as ``requirement`` says."""
    org = inspection.organisation
    _require(actor, "inspections.manage", org, gettext("You may not record findings here."))
    if inspection.state != "underway":
        raise UserError(gettext("Findings are recorded while the inspection is underway."))
    problems: list[str] = []
    fields = _finding_fields(org, inspection.target, data, problems)
    if problems:
        raise UserError(gettext("The finding was not saved."), problems=problems)
    return _raise_finding(
        Finding(supervisor_org_id=org.id, inspection_id=inspection.id, **fields), actor
    )


def _raise_finding(finding: Finding, actor) -> Finding:
    finding.created_by_id = getattr(actor, "id", None)
    db.session.add(finding)
    db.session.flush()
    db.session.refresh(finding)
    audit.log(
        "finding.raise",
        "finding",
        finding.id,
        org_id=finding.org_id,
        actor=actor,
        changes={
            "supervisor": [None, finding.supervisor.code],
            "description": [None, finding.description],
            "requirement": [None, finding.requirement],
            "deadline": [None, finding.deadline.isoformat()],
            "inspection": [None, finding.inspection_id],
            "flag": [None, finding.flag_id],
        },
    )
    events.finding_raised.send(finding, actor=actor)
    return finding


def answer(finding: Finding, *, actor, rectification: str) -> Finding:
    """The responsible unit answers with what it rectified."""
    text = _text(rectification)

    def validate(_f: Finding) -> None:
        if not text:
            raise UserError(
                gettext("The answer was not saved."),
                problems=["rectification: " + gettext("say what was rectified.")],
            )
        if len(text) > TEXT_MAX:
            raise UserError(
                gettext("The answer was not saved."),
                problems=["rectification: " + _at_most(TEXT_MAX)],
            )

    def effect(f: Finding) -> None:
        f.rectification = text
        f.answered_at = db.utcnow()
        f.answered_by_id = getattr(actor, "id", None)

    engine.run(
        wf.finding,
        finding,
        "answer",
        actor=actor,
        inputs={"comment": text},
        validate=validate,
        effect=effect,
    )
    events.finding_answered.send(finding, actor=actor)
    return finding


def close(finding: Finding, *, actor, comment: str | None = None) -> Finding:
    """The organisation that raised the finding accepts the rectification."""
    comment = _text(comment) or None

    def effect(f: Finding) -> None:
        f.closed_at = db.utcnow()
        f.closed_by_id = getattr(actor, "id", None)
        f.comment = comment

    engine.run(
        wf.finding, finding, "close", actor=actor, inputs={"comment": comment}, effect=effect
    )
    events.finding_decided.send(finding, actor=actor, decision="closed")
    return finding


def reopen(finding: Finding, *, actor, comment: str, deadline: Any = None) -> Finding:
    """The rectification is not enough: the finding is open again (a new deadline may be set)."""
    comment = _text(comment)
    problems: list[str] = []
    new_deadline = _day(deadline, "deadline", problems)
    if new_deadline is not None and new_deadline < today(finding.supervisor):
        problems.append("deadline: " + gettext("the rectification deadline cannot be in the past."))
    if problems:
        raise UserError(gettext("The finding was not reopened."), problems=problems)

    def effect(f: Finding) -> None:
        f.comment = comment
        f.closed_at = f.closed_by_id = None
        f.reopened += 1
        if new_deadline is not None:
            f.deadline = new_deadline

    engine.run(
        wf.finding, finding, "reopen", actor=actor, inputs={"comment": comment}, effect=effect
    )
    events.finding_decided.send(finding, actor=actor, decision="reopened")
    return finding


# --- automatic flags (SUP-2) -----------------------------------------------------------------


def confirm_flag(
    flag: SupervisionFlag, org: Organisation, data: dict[str, Any], *, actor
) -> Finding:
    """A superior (``org``, above the flagged unit) confirms the flag: it becomes a finding of
    ``org`` for the flagged unit, with a description, requirement and deadline."""
    _require(actor, "inspections.manage", org, gettext("You may not decide on flags here."))
    if not hierarchy.is_in_subtree(flag.organisation, org) or flag.org_id == org.id:
        raise UserError(gettext("Only a superior of the flagged unit confirms its flags."))
    problems: list[str] = []
    fields = _finding_fields(org, flag.organisation, {**data, "unit": flag.organisation}, problems)
    if problems:
        raise UserError(gettext("The flag was not confirmed."), problems=problems)
    finding = Finding(supervisor_org_id=org.id, flag_id=flag.id, **fields)

    def effect(f: SupervisionFlag) -> None:
        f.decided_at = db.utcnow()
        f.decided_by_id = getattr(actor, "id", None)
        f.decided_org_id = org.id

    engine.run(wf.flag, flag, "confirm", actor=actor, effect=effect)
    return _raise_finding(finding, actor)


def dismiss_flag(
    flag: SupervisionFlag, org: Organisation, *, actor, reason: str
) -> SupervisionFlag:
    """A superior dismisses the flag with a reason (it stays on record, never raised again)."""
    _require(actor, "inspections.manage", org, gettext("You may not decide on flags here."))
    if not hierarchy.is_in_subtree(flag.organisation, org) or flag.org_id == org.id:
        raise UserError(gettext("Only a superior of the flagged unit dismisses its flags."))
    reason = _text(reason)
    if len(reason) > TEXT_MAX:
        raise UserError(
            gettext("The flag was not dismissed."), problems=["reason: " + _at_most(TEXT_MAX)]
        )

    def effect(f: SupervisionFlag) -> None:
        f.reason = reason
        f.decided_at = db.utcnow()
        f.decided_by_id = getattr(actor, "id", None)
        f.decided_org_id = org.id

    engine.run(wf.flag, flag, "dismiss", actor=actor, inputs={"reason": reason}, effect=effect)
    return flag


def raise_flags(*, on: date | None = None) -> tuple[int, int]:
    """The sweep (SUP-2): raise a flag for every condition :mod:`core.supervision.flags`
    detects that has none yet, and resolve the open flags whose condition ended. Idempotent:
    running it twice raises nothing new, and a flag once raised (whatever became of it) is
    never raised again. Returns (raised, resolved)."""
    on = on or localtime.today(None)
    known = {
        tuple(row)
        for row in db.session.execute(
            select(SupervisionFlag.org_id, SupervisionFlag.kind, SupervisionFlag.subject_key)
        )
    }
    found = detection.detect(on)
    raised = resolved = 0
    for condition in found:
        key = (condition.org_id, condition.kind, condition.subject_key)
        if key in known:
            continue
        known.add(key)
        db.session.add(
            SupervisionFlag(
                org_id=condition.org_id,
                kind=condition.kind,
                subject_key=condition.subject_key,
                subject_type=condition.subject_type,
                subject_id=condition.subject_id,
                facts=condition.facts,
            )
        )
        raised += 1
    db.session.flush()
    active = {(c.org_id, c.kind, c.subject_key) for c in found}
    still_open = db.session.scalars(
        select(SupervisionFlag).where(
            SupervisionFlag.state == "open", SupervisionFlag.kind.in_(detection.RESOLVABLE)
        )
    ).all()
    for flag in still_open:
        if (flag.org_id, flag.kind, flag.subject_key) not in active:
            now = db.utcnow()

            def effect(f: SupervisionFlag, now=now) -> None:
                f.resolved_at = now

            engine.run(wf.flag, flag, "resolve", actor=SYSTEM, effect=effect)
            resolved += 1
    return raised, resolved
