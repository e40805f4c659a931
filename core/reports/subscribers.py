"""Reactions to half-year reports: the superior's decision-makers are told of a submitted report;
the unit's admins and editors of its acceptance or return (:mod:`core.notifications`)."""

from __future__ import annotations

from flask_babel import force_locale

from core import events
from core.config import SUPPORTED_LOCALES
from core.notifications import operations as notify
from core.reports import periods


def report_params(report, **extra) -> dict:
    with_label = {}
    for loc in SUPPORTED_LOCALES:
        with force_locale(loc):
            with_label[loc] = periods.label(report.period_key, report.starts_on, report.ends_on)
    return {
        "period": with_label,
        "org": notify.org_names(report.organisation),
        "unit": notify.org_names(report.organisation),
        "due_on": report.due_on.isoformat(),
        **extra,
    }


def report_link(report, org=None) -> str | None:
    """The report's page in the console of ``org`` (default: the unit's own)."""
    where = org or report.organisation
    return notify.path_for("reports_admin.detail", org_code=where.code, report_id=report.id)


@events.report_submitted.connect
def on_submitted(report, *, actor=None, **_kw) -> None:
    superior = report.superior
    notify.notify(
        notify.recipients("reports.decide", report.organisation, at=superior),
        "reports.submitted",
        org=superior,
        params=report_params(report),
        link=report_link(report),  # the superior reads it under the unit's code
        about=("half_year_report", report.id),
        exclude=[actor],
    )


@events.report_decided.connect
def on_decided(report, *, actor=None, decision, comment=None, **_kw) -> None:
    params = report_params(report, comment=comment or "")
    params["org"] = notify.org_names(report.superior)
    notify.notify(
        notify.recipients("reports.edit", report.organisation),
        "reports.returned" if decision == "returned" else "reports.accepted",
        org=report.organisation,
        params=params,
        link=report_link(report),
        about=("half_year_report", report.id),
        exclude=[actor],
    )
