"""Half-year reports' groups of My work (:mod:`core.web.work`): the reports a unit's admins and
editors have to write and submit (drafts and returned ones, by their due date), and the
submitted reports of the units below that a superior's admins and reviewers accept or return."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from core import db
from core.i18n import _
from core.reports import periods
from core.reports.models import OPEN_STATES, HalfYearReport
from core.reports.workflow import DECIDERS, WRITERS
from core.web import work
from tenants.models import Organisation


def _row(ctx: work.Context, report: HalfYearReport, org: Organisation, *, due=None, note=""):
    return work.Row(
        org,
        _(
            "Half-year report: %(period)s",
            period=periods.label(report.period_key, report.starts_on, report.ends_on),
        ),
        url_for("reports_admin.detail", org_code=org.code, report_id=report.id),
        due=due,
        urgency=work.urgency(due, ctx.today) if due else None,
        note=note,
    )


@work.provider(
    "reports.due", _("Half-year reports due"), action=_("Write"), roles=WRITERS, order=80
)
def reports_due(ctx: work.Context):
    query = (
        select(HalfYearReport, Organisation)
        .join(Organisation, Organisation.id == HalfYearReport.org_id)
        .where(
            HalfYearReport.org_id.in_(ctx.org_ids(WRITERS)),
            HalfYearReport.state.in_(OPEN_STATES),
        )
        .order_by(HalfYearReport.due_on, HalfYearReport.id)
    )
    for report, org in db.session.execute(query):
        note = str(_("Returned by the superior:")) if report.state == "returned" else ""
        yield _row(ctx, report, org, due=report.due_on, note=note)


@work.provider(
    "reports.review", _("Half-year reports to review"), action=_("Review"), roles=DECIDERS, order=81
)
def reports_to_review(ctx: work.Context):
    query = (
        select(HalfYearReport, Organisation)
        .join(Organisation, Organisation.id == HalfYearReport.org_id)
        .where(HalfYearReport.state == "submitted", ctx.below(DECIDERS))
        .order_by(HalfYearReport.submitted_at, HalfYearReport.id)
    )
    for report, org in db.session.execute(query):
        yield _row(ctx, report, org)
