"""Reactions to assessments (SUP-3): the units are told when a scheme opens and when its results
are published; the superior's scorers when a unit submits its self-assessment; the unit when its
self-assessment is returned (:mod:`core.notifications`)."""

from __future__ import annotations

from core import events
from core.notifications import operations as notify


def sheet_link(sheet, org=None) -> str | None:
    """The sheet's page in the console of ``org`` (default: the unit's own)."""
    where = org or sheet.organisation
    return notify.path_for("assessments_admin.sheet", org_code=where.code, sheet_id=sheet.id)


def _params(scheme, unit, **extra) -> dict:
    return {
        "title": dict(scheme.titles or {}),
        "org": notify.org_names(unit),
        "unit": notify.org_names(unit),
        "due_on": scheme.self_due_on.isoformat(),
        **extra,
    }


def _tell_units(scheme, kind: str, actor) -> None:
    from core.assessments import operations

    for sheet in operations.sheets(scheme):
        unit = sheet.organisation
        notify.notify(
            notify.recipients("assessments.self_assess", unit),
            kind,
            org=unit,
            params=_params(scheme, unit),
            link=sheet_link(sheet),
            about=("assessment_sheet", sheet.id),
            exclude=[actor],
        )


@events.assessment_opened.connect
def on_opened(scheme, *, actor=None, **_kw) -> None:
    _tell_units(scheme, "assessments.opened", actor)


@events.assessment_published.connect
def on_published(scheme, *, actor=None, **_kw) -> None:
    _tell_units(scheme, "assessments.published", actor)


@events.assessment_self_assessed.connect
def on_self_assessed(sheet, *, actor=None, **_kw) -> None:
    superior = sheet.scheme.organisation
    notify.notify(
        notify.recipients("assessments.score", sheet.organisation, at=superior),
        "assessments.self_assessed",
        org=superior,
        params=_params(sheet.scheme, sheet.organisation),
        link=sheet_link(sheet, superior),
        about=("assessment_sheet", sheet.id),
        exclude=[actor],
    )


@events.assessment_returned.connect
def on_returned(sheet, *, actor=None, comment="", **_kw) -> None:
    notify.notify(
        notify.recipients("assessments.self_assess", sheet.organisation),
        "assessments.returned",
        org=sheet.organisation,
        params=_params(sheet.scheme, sheet.organisation, comment=comment or ""),
        link=sheet_link(sheet),
        about=("assessment_sheet", sheet.id),
        exclude=[actor],
    )
